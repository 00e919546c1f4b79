"""应急期报告, 过渡期生活救助 (PRG-12, issue 17 leftovers): the report shows 应发 (the amounts put
on the rosters) and 实发 (what the bank confirmed, from the ledger) apart — a month on a roster
not yet paid, and a transfer the bank refused, are 应发 but not 实发."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine

from jiuzhu.funds import actions as funds
from jiuzhu.monitoring import emergency as em
from jiuzhu.payments import actions
from jiuzhu.payments.models import BLOCKING, RosterLine
from jiuzhu.payments.tests.conftest import new_account, result_csv, set_account
from jiuzhu.registry.pii import unseal

pytestmark = pytest.mark.django_db
COUNTY, CLERK, ADMIN = "tez_county", "tez_zhangshanzi", "tez_admin"
WHEN = dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
JULY = dt.date(2026, 7, 1)


@pytest.fixture(autouse=True)
def _monday() -> Any:
    with time_machine.travel(WHEN, tick=True):
        yield


def _flood(world: Any, households: list[Any]) -> Any:
    county = world.user(COUNTY)
    fund = funds.open_reserve(by=county, town_code="370405101")
    funds.top_up_reserve(fund, by=county, amount_fen=1_000_000)
    e = em.declare_emergency(
        {
            "name": "洪涝灾害",
            "kind": "flood",
            "area_code": "370405101",
            "starts_on": "2026-07-06",
            "planned_end_on": "2026-08-05",
            "source_document": "区自然灾害救助应急预案",
        },
        by=county,
    )
    heads = [h.members.get(relation="self") for h in households]
    body = "姓名,身份证号码\n" + "".join(f"某,{unseal('id_number', p.id_number_enc)}\n" for p in heads)
    em.import_victims(e, "a.csv", body.encode("utf-8"), by=world.user(CLERK))
    em.pay_advance_relief(e, by=world.user(CLERK))
    for p in heads:
        set_account(p, new_account())
    assert em.pay_transition_month(e, by=county, month="2026-07") == len(households)
    return e


def _locked_july(world: Any) -> Any:
    county = world.user(COUNTY)
    roster = actions.generate_roster(by=county, area_code="370405", month=JULY)
    for line in roster.lines.exclude(exceptions=[]):
        blocked = set(BLOCKING) & set(line.exceptions)
        actions.resolve_line(line, by=county, decision="hold" if blocked else "pay", note="核实无误")
    assert actions.check_roster(roster, by=county)["status"] == "checked"
    actions.request_lock(roster, by=county)
    return actions.confirm_lock(roster, by=world.user(ADMIN))


def test_the_report_shows_transition_aid_due_and_paid_apart(
    world: Any, household_in: Any, api_of: Any, client_of: Any
) -> None:
    families = [household_in("张山子镇", size=2) for _ in range(2)]
    e = _flood(world, families)
    url = f"/api/v1/monitoring/emergencies/{e.pk}/report"
    county = api_of(COUNTY)
    r = county.get(url).json()
    assert (r["transition_fen"], r["transition_paid_fen"]) == (120000, 0)  # set, nothing paid yet

    roster = _locked_july(world)
    batch, _, _ = actions.export_bank_file(roster, by=world.user(COUNTY))
    r = county.get(url).json()
    assert (r["transition_fen"], r["transition_paid_fen"]) == (120000, 0)  # at the bank, not confirmed

    refused = RosterLine.objects.get(roster=roster, household=families[1])
    reference = batch.lines.get(line=refused).reference
    data = result_csv(batch, fail={reference: "账户已销户"})
    actions.import_bank_results(batch, by=world.user(COUNTY), file_name="回盘202607.csv", data=data)
    r = county.get(url).json()
    assert (r["transition_fen"], r["transition_paid_fen"]) == (120000, 60000)
    items = {i["household_id"]: i for i in r["items"]}
    assert items[families[0].pk]["transition_paid_fen"] == 60000
    assert items[families[1].pk]["transition_paid_fen"] == 0 and items[families[1].pk]["transition_fen"] == 60000

    page = client_of(COUNTY).get(f"/monitoring/emergencies/{e.pk}/").content.decode()
    assert "应发1,200.00元（列入花名册），实发600.00元（银行发放成功）" in page
    xlsx = county.get(f"{url}.xlsx")
    from openpyxl import load_workbook

    sheet = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert sheet[0][11:13] == ("过渡期生活救助应发金额（元）", "过渡期生活救助实发金额（元）")
    assert sorted((row[11], row[12]) for row in sheet[1:]) == [(600, 0), (600, 600)]
