"""A stop, a suspension or a death stops the money (issue 14 item 3): every roster line of the
month it takes effect and later that has not gone to the bank is withdrawn with its reason; a
line already locked needs the roster re-confirmed before any bank file; a line already exported
is left to the existing recovery; the recipient registers change in the same transaction.

DYN-2, DYN-3, DYN-7, FND-4, REG-2, SUP-11."""

import datetime as dt
import json

import pytest
from django.test import Client

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.monitoring import actions as monitoring
from jiuzhu.monitoring.models import Review
from jiuzhu.payments import actions, queries
from jiuzhu.payments.models import Benefit, LedgerEntry, RosterLine
from jiuzhu.payments.tests.conftest import DEC, JAN, NOV, freeze_today, result_csv
from jiuzhu.referrals.models import AssistanceRecord
from jiuzhu.referrals.records import record_application

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_through_december(county, approved_case, locked_roster):
    """Two 低保 families paid from November; November and December paid at the bank, January
    locked but not yet exported (the county locks next month's roster early in the month)."""
    apps = [approved_case(), approved_case()]
    for app in apps:
        record_application(app)
    for month in (NOV, DEC):
        roster = locked_roster(month=month)
        batch, _, _ = actions.export_bank_file(roster, by=county)
        actions.import_bank_results(batch, by=county, file_name=f"{month:%Y%m}.csv", data=result_csv(batch))
    jan = locked_roster(month=JAN)
    return apps, jan


def _open_records(app):
    today = dt.date(2027, 1, 15)
    return [
        r
        for r in AssistanceRecord.objects.filter(source="application", source_ref=app.number)
        if r.end_on is None or r.end_on >= today
    ]


def test_it_pulls_the_locked_line_of_a_stop_effective_next_month(county, admin, paid_through_december):
    """issue 14 item 3, the county's walk: stopped with December as the last month, the locked
    January line is withdrawn (not 待发放), its entitlement is taken back on the ledger, the
    bank file is refused until the roster is re-confirmed, and the register ends the same moment."""
    (app, other), jan = paid_through_december
    line = jan.lines.get(application=app)
    monitoring.stop_benefit(app, by=county, reason="income", note="家庭成员就业，收入超过标准", last_month=DEC)

    line.refresh_from_db()
    assert line.status == "pulled" and "停发" in line.resolution_note
    assert Benefit.objects.get(application=app).status == "stopped"
    pulled = LedgerEntry.objects.get(roster_line=line, kind="adjustment")
    assert pulled.amount_fen == -line.amount_fen and pulled.period == JAN
    assert actions.balance(app)["balance"] == 0
    jan.refresh_from_db()
    assert jan.reconfirm_required and jan.line_count == 1
    assert jan.total_fen == jan.lines.get(application=other).amount_fen
    assert not _open_records(app), "the recipient register still lists the stopped family"
    assert all(r.end_on == dt.date(2026, 12, 31) for r in AssistanceRecord.objects.filter(source_ref=app.number))
    assert _open_records(other)

    with pytest.raises(DomainError) as exc:
        actions.export_bank_file(jan, by=county)
    assert exc.value.code == "reconfirm_required" and "重新确认" in exc.value.message
    assert not jan.batches.exists()

    actions.reconfirm_roster(jan, by=admin, note="已核对撤出的明细")
    batch, _content, _ = actions.export_bank_file(jan, by=county)
    assert batch.line_count == 1 and batch.total_fen == jan.total_fen
    assert not batch.lines.filter(line=line).exists()
    rec = queries.reconciliation(jan)
    assert rec["balanced"], rec


def test_a_stop_decided_on_review_pulls_the_locked_line(
    world, county, admin, approved_case, signed_intake, locked_roster, monkeypatch
):
    """issue 14 item 3: 停发 as the outcome of a review (effective next month) withdraws the line
    already locked for that month."""
    from jiuzhu.monitoring.tests.test_reviews import _verified_review

    freeze_today(monkeypatch, dt.date(2026, 11, 20))
    app = approved_case(household=signed_intake(programs=("dibao_edge",)).household)
    locked_roster(month=NOV)
    dec = locked_roster(month=DEC)
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"pension": 1_000_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    monitoring.decide_review(review, by=county, outcome="stop", note="退休金收入超过标准", stop_reason="income")
    line = dec.lines.get(application=app)
    assert line.status == "pulled"
    dec.refresh_from_db()
    assert dec.reconfirm_required


def test_a_draft_line_is_withdrawn_and_a_pending_lock_goes_back(county, approved_case):
    """Before locking, a stopped case's line is withdrawn from the draft; a lock already asked
    for goes back to 已核查 so that both officers lock what will really be paid."""
    app, other = approved_case(), approved_case()
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    actions.check_roster(dec, by=county)
    actions.request_lock(dec, by=county)
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=NOV)
    dec.refresh_from_db()
    assert dec.lines.get(application=app).status == "pulled"
    assert dec.status == "checked" and dec.lock_requested_by is None and not dec.reconfirm_required
    assert dec.line_count == 1 and dec.total_fen == dec.lines.get(application=other).amount_fen
    assert AuditEntry.objects.filter(action="payments.roster.withdraw").count() == 1


def test_an_exported_line_cannot_be_pulled_and_becomes_an_overpayment(county, approved_case, locked_roster):
    """issue 14 item 3: what went to the bank is not withdrawn; once paid it is recovered with
    the existing recovery."""
    app = approved_case()
    nov = locked_roster(month=NOV)
    batch, _, _ = actions.export_bank_file(nov, by=county)
    benefit = monitoring.stop_benefit(
        app,
        by=county,
        reason="moved",
        note="10月已迁往外县",
        last_month=dt.date(2026, 10, 1),
    )
    assert benefit.status == "stopped"
    line = nov.lines.get(application=app)
    assert line.status == "sent"
    entry = AuditEntry.objects.filter(action="payments.benefit.stop").latest("seq")
    assert entry.changes["exported_months"] == ["2026-11"]
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    assert [m for m, _ in actions.overpaid_months(app, dt.date(2026, 10, 1))] == [NOV]
    actions.create_recovery(app, by=county, reason="other", note="迁出后发放", months=["2026-11"])
    assert actions.balance(app)["balance"] == -line.amount_fen


def test_the_stop_notice_tells_the_family_what_went_to_the_bank_after_it(county, approved_case, locked_roster):
    """DYN-3, DYN-7: a death entered after November's bank file went out: the 停发告知书 says that
    November's money went to the bank before the stop and is to be returned once it arrived —
    the family is not left to find out from the recovery."""
    from jiuzhu.applications.tests.test_decisions import notice_text

    app = approved_case()
    nov = locked_roster(month=NOV)
    actions.export_bank_file(nov, by=county)
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=dt.date(2026, 10, 1))
    text = "".join(notice_text(app, "stop").split())
    assert "2026年11月的救助金在停发前已送银行发放，停发后不应领取：已到账的须予退回" in text
    other = approved_case()
    monitoring.stop_benefit(other, by=county, reason="moved", note="迁往外县", last_month=NOV)
    assert "已送银行发放" not in "".join(notice_text(other, "stop").split())


def test_a_failed_transfer_of_a_stopped_case_is_not_sent_again(county, admin, approved_case, locked_roster):
    """A failed line is not yet paid: a stop withdraws it, so 重新发放 cannot send it."""
    app, _other = approved_case(), approved_case()
    nov = locked_roster(month=NOV)
    batch, _, _ = actions.export_bank_file(nov, by=county)
    failing = batch.lines.get(line__application=app)
    actions.import_bank_results(
        batch, by=county, file_name="r.csv", data=result_csv(batch, fail={failing.reference: "账户已冻结"})
    )
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=dt.date(2026, 10, 1))
    line = nov.lines.get(application=app)
    assert line.status == "pulled"
    assert actions.balance(app)["balance"] == 0
    nov.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        actions.reissue(nov, by=county)
    assert exc.value.code == "reconfirm_required"
    actions.reconfirm_roster(nov, by=admin, note="已核对")
    with pytest.raises(DomainError) as exc:
        actions.reissue(nov, by=county)
    assert exc.value.code == "nothing_to_export"
    assert queries.reconciliation(nov)["balanced"]


def test_a_suspension_pulls_the_lines_and_resuming_restores_them(county, admin, paid_through_december):
    """暂停发放 (e.g. the person cannot be reached) withdraws the unexported lines and takes the
    family off the active register; 恢复发放 puts the lines of the resumed months back."""
    (app, _other), jan = paid_through_december
    benefit = monitoring.suspend_benefit(app, by=county, reason="unreachable", note="多次联系不上本人", from_month=JAN)
    assert benefit.status == "suspended" and benefit.suspended_from == JAN
    line = jan.lines.get(application=app)
    assert line.status == "pulled" and "暂停" in line.resolution_note
    assert not _open_records(app)
    assert not Benefit.objects.in_force(JAN).filter(application=app).exists()
    assert Benefit.objects.in_force(DEC).filter(application=app).exists()

    with pytest.raises(DomainError):
        monitoring.suspend_benefit(app, by=county, reason="unreachable", note="再次", from_month=JAN)
    benefit = monitoring.resume_benefit(app, by=county, note="已联系本人，情况属实")
    assert benefit.status == "active" and benefit.suspended_from is None
    line.refresh_from_db()
    assert line.status == "pending"
    assert actions.balance(app)["balance"] == line.amount_fen  # January owed again
    assert _open_records(app)
    actions.reconfirm_roster(jan, by=admin, note="已核对")
    batch, _, _ = actions.export_bank_file(jan, by=county)
    assert batch.lines.filter(line=line).exists()


def test_a_recorded_death_stops_a_one_person_benefit(world, county, approved_case, household_in, locked_roster):
    """DYN-7: the town records a death in the 一户一档; the benefit stops after the month of
    death, the locked line of the next month is withdrawn and the register ends that day."""
    from jiuzhu.registry.actions import update_member

    app = approved_case(household=household_in(size=1))
    record_application(app)
    locked_roster(month=NOV)
    dec = locked_roster(month=DEC)
    update_member(app.applicant, {"death_date": "2026-11-18"}, by=world.user("tez_zhangshanzi"))
    benefit = Benefit.objects.get(application=app)
    assert benefit.status == "stopped" and benefit.stop_reason == "death" and benefit.end_month == NOV
    assert dec.lines.get(application=app).status == "pulled"
    assert AssistanceRecord.objects.get(source_ref=app.number).end_on == dt.date(2026, 11, 18)


def test_the_stop_notice_of_a_recorded_death_writes_the_date_as_a_document_does(world, approved_case, household_in):
    """The 停发告知书 after a death entered in the 一户一档 says "于2026年11月5日死亡", not "11月05日"."""
    from jiuzhu.applications.tests.test_decisions import notice_text
    from jiuzhu.registry.actions import update_member

    app = approved_case(household=household_in(size=1))
    update_member(app.applicant, {"death_date": "2026-11-05"}, by=world.user("tez_zhangshanzi"))
    text = "".join(notice_text(app, "stop").split())
    assert "于2026年11月5日死亡" in text and "11月05日" not in text


def test_the_payees_death_suspends_a_family_benefit_for_review(world, county, approved_case, locked_roster):
    """DYN-7: the payee of a family of three dies: the money is held (暂停发放) and a review
    task is opened; the register ends the payee on the day of death and the others while the
    payment is suspended."""
    from jiuzhu.registry.actions import update_member

    app = approved_case()
    record_application(app)
    dec = locked_roster(month=DEC)
    update_member(app.applicant, {"death_date": "2026-11-30"}, by=world.user("tez_zhangshanzi"))
    benefit = Benefit.objects.get(application=app)
    assert benefit.status == "suspended" and benefit.suspended_from == DEC and benefit.suspend_reason == "payee_died"
    assert dec.lines.get(application=app).status == "pulled"
    assert Review.objects.get(application=app).kind == "death"
    ended = AssistanceRecord.objects.get(source_ref=app.number, person=app.applicant)
    assert ended.end_on == dt.date(2026, 11, 30)
    others = AssistanceRecord.objects.filter(source_ref=app.number).exclude(person=app.applicant)
    assert [r.end_on for r in others] == [dt.date(2026, 11, 30)] * 2


def test_resuming_a_family_benefit_names_a_living_payee(world, county, approved_case, locked_roster):
    """After the payee's death the county resumes payment to another member of the family."""
    from jiuzhu.payments.tests.conftest import new_account, set_account
    from jiuzhu.registry.actions import update_member

    app = approved_case()
    dec = locked_roster(month=DEC)
    update_member(app.applicant, {"death_date": "2026-11-30"}, by=world.user("tez_zhangshanzi"))
    with pytest.raises(DomainError) as exc:
        monitoring.resume_benefit(app, by=county, note="恢复")
    assert exc.value.code == "payee_deceased"
    spouse = app.household.members.get(relation="spouse")
    set_account(spouse, new_account())
    with pytest.raises(InvalidInput):
        monitoring.resume_benefit(app, by=county, note="恢复", payee_id=app.applicant_id)
    benefit = monitoring.resume_benefit(app, by=county, note="由配偶领取", payee_id=spouse.pk)
    assert benefit.payee_id == spouse.pk
    line = dec.lines.get(application=app)
    assert line.status == "pending" and line.payee_id == spouse.pk


def test_a_death_found_in_department_data_is_pulled_before_export(county, approved_case, locked_roster):
    """The death date came in with department data after locking: the export withdraws the
    line and refuses until the roster is re-confirmed, instead of paying a dead person."""
    from jiuzhu.registry.models import Person

    app, _other = approved_case(), approved_case()
    dec = locked_roster(month=DEC)
    Person.objects.filter(pk=app.applicant_id).update(death_date=dt.date(2026, 11, 5))
    with pytest.raises(DomainError) as exc:
        actions.export_bank_file(dec, by=county)
    assert exc.value.code == "reconfirm_required"
    assert dec.lines.get(application=app).status == "pulled"
    assert Benefit.objects.get(application=app).status == "suspended"


def test_release_and_reconfirm_need_the_right_state(county, admin, approved_case, locked_roster):
    app = approved_case(account=None)
    other = approved_case()
    nov = locked_roster(month=NOV)
    held = nov.lines.get(application=app)
    assert held.status == "held"
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=dt.date(2026, 10, 1))
    held.refresh_from_db()
    assert held.status == "pulled"
    with pytest.raises(DomainError):
        actions.release_line(held, by=county, note="补发")
    with pytest.raises(InvalidInput):
        actions.reconfirm_roster(nov, by=admin, note="")
    fresh = locked_roster(month=DEC)
    with pytest.raises(DomainError) as exc:
        actions.reconfirm_roster(fresh, by=admin, note="无变化")
    assert exc.value.code == "nothing_to_reconfirm"
    assert other.pk


def test_suspend_resume_and_reconfirm_through_the_api(api_of, approved_case, locked_roster):
    app, _other = approved_case(), approved_case()
    dec = locked_roster(month=DEC)
    county, admin = api_of("tez_county"), api_of("tez_admin")

    def post(client, url, body):
        return client.post(url, json.dumps(body), content_type="application/json")

    r = post(
        county,
        f"/api/v1/payments/cases/{app.pk}/suspend",
        {"reason": "custody", "note": "服刑", "from_month": "2026-12"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "suspended" and r.json()["withdrawn_months"] == ["2026-12"]
    bad = post(county, f"/api/v1/payments/cases/{app.pk}/suspend", {"reason": "nope", "note": "x"})
    assert bad.status_code == 409 or bad.status_code == 422
    refused = post(county, f"/api/v1/payments/rosters/{dec.pk}/bank-file", {})
    assert refused.status_code == 409 and refused.json()["code"] == "reconfirm_required"
    ok = post(admin, f"/api/v1/payments/rosters/{dec.pk}/actions/reconfirm", {"note": "已核对"})
    assert ok.status_code == 200 and not ok.json()["reconfirm_required"]
    lines = county.get(f"/api/v1/payments/rosters/{dec.pk}/lines?status=pulled").json()
    assert lines["count"] == 1 and lines["items"][0]["status_label"] == "已撤出（不再发放）"
    resumed = post(county, f"/api/v1/payments/cases/{app.pk}/resume", {"note": "刑满释放，本人已回村"})
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert RosterLine.objects.get(roster=dec, application=app).status == "pending"


def test_a_withdrawn_line_cannot_be_handled_again(county, approved_case):
    """A withdrawn line of a draft stays withdrawn: 核查 cannot put it back to be paid."""
    app = approved_case(account=None)
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=NOV)
    line = dec.lines.get(application=app)
    assert line.status == "pulled" and line.exceptions == ["no_account"]
    with pytest.raises(DomainError) as exc:
        actions.resolve_line(line, by=county, decision="hold", note="补录账户")
    assert exc.value.code == "line_pulled"


@pytest.mark.parametrize(
    ("last_month", "words"),
    [
        (NOV, "自2026年12月起停止发放救助金（最后发放月份：2026年11月）"),
        (dt.date(2026, 10, 1), "起始发放月份起不予发放"),
    ],
)
def test_the_stop_notice_names_a_last_paid_month_only_if_there_was_one(county, approved_case, last_month, words):
    """DYN-3 停发告知书: a family stopped before its first month (paying from November, stopped
    from November) is not told that October was its last paid month."""
    from jiuzhu.applications.tests.test_decisions import notice_text

    app = approved_case(start_month=NOV)
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=last_month)
    text = "".join(notice_text(app, "stop").split())
    assert words in text
    assert ("2026年10月" in text) is False
    client = Client()
    client.force_login(county)
    page = client.get(f"/payments/cases/{app.pk}/").content.decode()
    assert ("最后发放2026年10月" in page) is False
    assert ("自起始发放月份起不予发放" in page) is (last_month < NOV)
    assert Benefit.objects.get(application=app).next_review_on is not None
    assert "下次复核" not in page  # a stopped benefit is not reviewed again


def test_a_death_is_recorded_in_the_registry_not_chosen_as_a_stop_reason(county, approved_case, locked_roster):
    """DYN-7: the payments page does not offer 死亡 as a reason to stop by hand (its notice could
    not say who died and would be addressed to the dead); it sends the clerk to the 一户一档,
    where entering the death date stops or suspends the money and the notice names the dead."""
    import re

    app = approved_case()
    locked_roster(month=NOV)
    client = Client()
    client.force_login(county)
    page = client.get(f"/payments/cases/{app.pk}/").content.decode()
    stop_form = page[page.index("<h2>停发</h2>") :]
    stop_form = stop_form[: stop_form.index("</form>")]
    assert re.findall(r'<option value="([a-z_]+)"', stop_form) and 'value="death"' not in stop_form
    assert f'href="/households/{app.household_id}/"' in stop_form
