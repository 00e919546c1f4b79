"""应急期 journey (issue 17 item 6; WF-12, LNK-9, PRG-12): a flood in 张山子镇. The county
declares the emergency period; the 应急局's list of 5 households is imported (plus an ID the
registry does not know); 24-hour 先行救助 is paid to each from the town's 备用金 (passbook and
ledger checked) by a job whose progress the page shows; one household registers within 5
working days, one is overdue when the clock moves on; a month of 过渡期生活救助 is paid through
the July roster and bank file (roster line → bank line → ledger, booked once); the period ends
with a report of the real counts.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from journeys.conftest import CLERK, COUNTY, act, pay_month, post, set_account

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
JIANTOUJI_CLERK = "tez_jiantouji"


def id_of(person) -> str:  # type: ignore[no-untyped-def]
    from jiuzhu.registry.pii import unseal

    return unseal("id_number", person.id_number_enc)


def victims_csv(rows: list[tuple[str, str, str]]) -> io.BytesIO:
    text = "姓名,身份证号码,受灾情况\n" + "".join(f"{n},{i},{loss}\n" for n, i, loss in rows)
    f = io.BytesIO(text.encode("utf-8"))
    f.name = "受灾人员名单.csv"
    return f


@pytest.fixture
def run_jobs(settings, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Background jobs run at once (django-tasks ImmediateBackend) when their transaction commits."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_journey_a_flood_in_one_town_is_relieved_within_24_hours_and_reported(
    world, household_in, api_of, client_of, clock, new_id, run_jobs
):
    from jiuzhu.funds import actions as funds
    from jiuzhu.funds.models import ReserveEntry
    from jiuzhu.monitoring.models import EmergencyHousehold
    from jiuzhu.payments.models import LedgerEntry

    clock("2026-07-06 09:00")
    county_user = world.user(COUNTY)
    fund = funds.open_reserve(by=county_user, town_code="370405101")
    funds.top_up_reserve(fund, by=county_user, amount_fen=5_000_000)
    families = [household_in("张山子镇", size=2) for _ in range(5)]
    elsewhere = household_in("涧头集镇", size=1)
    county, clerk = api_of(COUNTY), api_of(CLERK)

    # the county declares the period (WF-12); the town cannot
    body = {
        "name": "7·6张山子镇洪涝灾害",
        "kind": "flood",
        "area_code": "370405101",
        "starts_on": "2026-07-06",
        "planned_end_on": "2026-08-05",
        "source_document": "台儿庄区自然灾害救助应急预案Ⅳ级响应",
    }
    assert post(clerk, "/api/v1/monitoring/emergencies", body).status_code == 403
    r = post(county, "/api/v1/monitoring/emergencies", body)
    assert r.status_code == 201, r.content.decode()
    e = r.json()
    assert e["advance_fen"] == 100000 and e["transition_months"] == 3
    assert "示例值" in e["settings_sources"]["emergency.advance_fen"]["source"]
    url = f"/api/v1/monitoring/emergencies/{e['id']}"
    # 涧头集镇 is not in this period
    assert api_of(JIANTOUJI_CLERK).get(url).status_code == 404

    # a bad list is refused whole: a wrong ID, a repeat, a family outside the flooded town (LNK-9)
    heads = [f.members.get(relation="self") for f in families]
    bad = victims_csv(
        [
            ("甲", id_of(heads[0]), "房屋进水"),
            ("乙", "370405199001011234", ""),
            ("甲", id_of(heads[0]), ""),
            ("外", id_of(elsewhere.members.get()), ""),
        ]
    )
    r = clerk.post(f"{url}/victims", {"file": bad})
    assert r.status_code == 422, r.content.decode()
    rows = {x["row"] for x in r.json()["errors"]}
    assert {3, 4, 5} <= rows and r.json()["code"] == "import_invalid"
    assert not EmergencyHousehold.objects.exists()

    # the real list: 5 households (two members of one household), and one ID nobody knows
    spouse = families[0].members.get(relation="spouse")
    unknown = new_id(age=30, gender="M", area="370405")
    good = victims_csv(
        [(h.name, id_of(h), "房屋倒塌") for h in heads] + [(spouse.name, id_of(spouse), ""), ("某", unknown, "")]
    )
    r = clerk.post(f"{url}/victims", {"file": good})
    assert r.status_code == 200, r.content.decode()
    out = r.json()
    assert out["rows"] == 7 and out["loaded"] == 5 and len(out["unknown"]) == 1
    assert out["unknown"][0]["row"] == 8 and unknown not in str(out) and "*" in out["unknown"][0]["id_number"]
    assert EmergencyHousehold.objects.get(emergency_id=e["id"], household=families[0]).persons == 2

    # 24-hour advance relief to each, drawn on the town's reserve and booked in the ledger
    clock("2026-07-06 15:00")
    with run_jobs():
        r = post(clerk, f"{url}/actions/relieve")
        assert r.status_code == 202, r.content.decode()
        assert r.json()["relief"]["total"] == 5 and r.json()["relief"]["status"] == "queued"
    job = clerk.get(r.json()["progress_url"]).json()
    assert job["status"] == "done" and job["percent"] == 100, job
    assert job["relieved"] == 5 and job["amount_fen"] == 500000
    progress = client_of(CLERK).get(f"/monitoring/emergencies/{e['id']}/").content.decode()
    assert 'data-testid="relief-progress"' in progress and "已先行救助5户" in progress
    assert funds.reserve_balance(fund) == 5_000_000 - 500000
    drawn = ReserveEntry.objects.filter(fund=fund, kind="disbursement")
    assert drawn.count() == 5 and all(abs(d.amount_fen) == 100000 for d in drawn)
    paid = LedgerEntry.objects.filter(kind="payment", source="reserve", household__in=families)
    assert paid.count() == 5 and sum(p.amount_fen for p in paid) == 500000
    assert post(clerk, f"{url}/actions/relieve").json()["code"] == "nothing_to_relieve"
    from jiuzhu.audit.models import AuditEntry

    trail = AuditEntry.objects.get(action="monitoring.emergency.relieve")
    assert trail.changes == {"households": 5, "amount_fen": 500000}
    assert AuditEntry.objects.filter(action="payments.reserve.disburse").count() == 5

    rows = {r.household_id: r for r in EmergencyHousehold.objects.filter(emergency_id=e["id"])}
    first, second = rows[families[0].pk].application, rows[families[1].pk].application
    assert first.state == "advance_paid" and first.temporary_kind == "emergency"
    due = first.deadlines.get(step="registration").due_on
    assert str(due) == "2026-07-13"  # Monday 6 July + 5 working days

    # one family registers in time; the others do not
    clock("2026-07-10 10:00")
    assert act(clerk, first.pk, "register_formally")["state"] == "approved"
    clock("2026-07-15 10:00")
    report = clerk.get(f"{url}/report").json()
    assert report["households"] == 5 and report["relieved"] == 5
    assert report["registered_on_time"] == 1 and report["overdue"] == 4
    clock("2026-07-16 10:00")
    act(clerk, second.pk, "register_formally")

    # one month of 过渡期生活救助 (PRG-12), by the county, onto the July roster
    assert post(clerk, f"{url}/actions/transition", {"month": "2026-07"}).status_code == 403
    r = post(county, f"{url}/actions/transition", {"month": "2026-07"})
    assert r.status_code == 200 and r.json()["households"] == 5, r.content.decode()
    assert post(county, f"{url}/actions/transition", {"month": "2026-07"}).json()["code"] == "transition_done"
    # nothing is booked beside the roster: the money goes roster → bank file → ledger
    relieved_apps = [rows[f.pk].application_id for f in families]
    transition = LedgerEntry.objects.filter(application_id__in=relieved_apps, period=dt.date(2026, 7, 1))
    assert not transition.exists()
    for i, head in enumerate(heads):
        set_account(head, f"62284801234567{i:05d}")
    roster, batch = pay_month(world, dt.date(2026, 7, 1))
    from jiuzhu.payments.models import RosterLine

    lines = RosterLine.objects.filter(roster=roster, application_id__in=relieved_apps)
    assert lines.count() == 5 and {ln.amount_fen for ln in lines} == {60000}
    assert all("过渡期生活救助" in ln.change_note for ln in lines)
    assert sorted(b.amount_fen for b in batch.lines.filter(line__in=lines)) == [60000] * 5
    assert sum(x.amount_fen for x in transition.filter(kind="entitlement", source="roster")) == 300000
    assert sum(x.amount_fen for x in transition.filter(kind="payment", source="bank")) == 300000
    assert transition.count() == 10  # one entitlement and one payment each, nothing else
    # a locked July roster takes no more July aid
    assert post(county, f"{url}/actions/transition", {"month": "2026-07"}).json()["code"] == "transition_done"

    # the period ends with its report: page, Excel, API
    r = post(county, f"{url}/actions/end", {"note": "洪水退去，群众已返家"})
    assert r.status_code == 200 and r.json()["emergency"]["status"] == "ended"
    report = county.get(f"{url}/report").json()
    assert (report["households"], report["relieved"], report["advance_fen"]) == (5, 5, 500000)
    assert (report["registered_on_time"], report["registered_late"], report["overdue"]) == (1, 1, 3)
    assert report["transition_households"] == 5 and report["transition_fen"] == 5 * 60000
    assert report["transition_paid_fen"] == 5 * 60000  # 实发: every transfer confirmed by the bank
    assert report["unknown_ids"] == 1
    assert post(clerk, f"{url}/victims").status_code in (400, 409, 422)
    xlsx = county.get(f"{url}/report.xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    sheet = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(sheet) == 6 and sheet[0][9] == "补办登记情况"
    assert sorted(r[9] for r in sheet[1:]) == ["按期补办", "逾期未补办", "逾期未补办", "逾期未补办", "逾期补办"]
    notes = [r[0] for r in book.worksheets[1].iter_rows(values_only=True)]
    assert any("先行救助户数：5" in n for n in notes)
    page = client_of(COUNTY).get(f"/monitoring/emergencies/{e['id']}/")
    text = page.content.decode()
    assert page.status_code == 200 and "按期1户，逾期补办1户，逾期未补办3户" in text
    assert id_of(heads[0]) not in text
