"""Budget lines, monthly plans and their execution against the payments ledger (FND-1, FND-5,
FND-11), the Excel export, and jurisdiction."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.funds import actions, queries
from jiuzhu.funds.models import BudgetLine, MonthlyPlan
from jiuzhu.funds.tests.conftest import COUNTY, JIANTOUJI, YEAR, ZHANGSHANZI

pytestmark = pytest.mark.django_db

NOV, DEC = dt.date(YEAR, 11, 1), dt.date(YEAR, 12, 1)


def test_it_creates_county_and_town_lines_with_source_and_audit(county, line):
    """FND-1, FND-11: lines at county and town level, each with its source of funds and tilt flag."""
    a = line(COUNTY, source="central", tilted=True, tilt_note="省级补助向财政困难县倾斜")
    b = line(ZHANGSHANZI, source="local", amount_fen=50_000_00)
    assert (a.area_code, a.county_code, a.get_source_display()) == ("370405000000", "370405", "上级补助（中央）")
    assert a.tilted and b.area_code == "370405101000"
    assert AuditEntry.objects.filter(action="funds.line.create").count() == 2


def test_it_refuses_a_duplicate_line(line):
    """FND-1: one line per year, area, programme and source."""
    line()
    with pytest.raises(DomainError) as exc:
        line(amount_fen=1)
    assert exc.value.code == "duplicate_budget_line" and "已存在" in exc.value.message
    line(source="provincial")  # another source is another line
    assert BudgetLine.objects.count() == 2


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount_fen": -1}, "invalid_amount", "amount_fen"),
        ({"area": "370405101201"}, "invalid_area", "area_code"),  # a village has no budget
        ({"source": "lottery"}, "invalid_source", "source"),
        ({"program": "x"}, "invalid_program", "program"),
        ({"year": 1999}, "invalid_year", "year"),
        ({"tilted": True}, "required", "tilt_note"),
    ],
)
def test_it_refuses_invalid_lines_with_the_field(line, kwargs, code, field):
    """FND-1: precise Chinese errors naming the field."""
    with pytest.raises(InvalidInput) as exc:
        line(**kwargs)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_it_keeps_towns_and_other_counties_out(world, line):
    """Rule 4: a town user may not edit; another county's line does not exist for this county."""
    with pytest.raises(Forbidden):
        actions.create_budget_line(
            by=world.user("tez_zhangshanzi"),
            year=YEAR,
            area_code=ZHANGSHANZI,
            program="dibao",
            source="local",
            amount_fen=1,
        )
    with pytest.raises(NotFound):
        actions.create_budget_line(
            by=world.user("yc_county"), year=YEAR, area_code=COUNTY, program="dibao", source="local", amount_fen=1
        )
    own = line(ZHANGSHANZI)
    line(JIANTOUJI)
    visible = BudgetLine.objects.visible_to(world.user("tez_zhangshanzi"))
    assert list(visible) == [own]
    assert BudgetLine.objects.visible_to(world.user("tez_viewer")).count() == 2
    assert not BudgetLine.objects.visible_to(world.user("yc_county")).exists()


def test_a_monthly_plan_may_not_exceed_the_budget(county, line):
    """FND-5: the monthly plan is the whole year at once; its sum may not pass the budget."""
    budget = line(amount_fen=120_000_00)
    plan = actions.set_monthly_plan(budget, by=county, months={m: 10_000_00 for m in range(1, 13)})
    assert sum(plan.values()) == 120_000_00
    with pytest.raises(InvalidInput) as exc:
        actions.set_monthly_plan(budget, by=county, months={1: 120_000_00, 2: 1})
    assert exc.value.code == "plan_exceeds_budget" and "超过年度预算" in exc.value.message
    assert MonthlyPlan.objects.filter(line=budget).count() == 12  # refused: unchanged
    with pytest.raises(InvalidInput) as exc:
        actions.set_monthly_plan(budget, by=county, months={13: 1})
    assert exc.value.code == "invalid_month"
    with pytest.raises(InvalidInput) as exc:
        actions.set_monthly_plan(budget, by=county, months={3: -5})
    assert (exc.value.code, exc.value.field) == ("invalid_amount", "months.3")
    with pytest.raises(InvalidInput) as exc:
        actions.update_budget_line(budget, by=county, amount_fen=100_000_00)
    assert exc.value.code == "plan_exceeds_budget"
    actions.set_monthly_plan(budget, by=county, months=[50_000_00, 50_000_00])  # a list: Jan, Feb
    assert dict(MonthlyPlan.objects.filter(line=budget).values_list("month", "amount_fen")) == {
        1: 50_000_00,
        2: 50_000_00,
    }
    actions.update_budget_line(budget, by=county, amount_fen=100_000_00, note="台财社〔2026〕3号")
    budget.refresh_from_db()
    assert budget.amount_fen == 100_000_00
    assert AuditEntry.objects.filter(action="funds.line.update").exists()


def test_execution_takes_actual_payments_from_the_ledger(world, county, line, approved_case, paid, reverse):
    """FND-5: planned vs actual per month; actual = payments − reversals from the ledger,
    grouped by programme, town and month; the county row consolidates its towns."""
    county_line = line(COUNTY, amount_fen=100_000_00)
    town_line = line(ZHANGSHANZI, source="local", amount_fen=20_000_00)
    actions.set_monthly_plan(county_line, by=county, months={11: 8_000_00, 12: 8_000_00})
    actions.set_monthly_plan(town_line, by=county, months={11: 2_000_00})
    zs, jt = approved_case(), approved_case("涧头集镇")
    paid(zs, NOV, 900_00)
    bounced = paid(jt, NOV, 700_00)
    reverse(bounced)
    paid(jt, NOV, 700_00, attempt=1)
    paid(jt, DEC, 700_00)
    paid(zs, dt.date(YEAR - 1, 12, 1), 500_00)  # another year: not counted
    report = queries.execution(county, year=YEAR, root=world.area_named("台儿庄区"))
    rows = {(r["area_name"], r["program"]): r for r in report["rows"]}
    total = rows[("台儿庄区", "dibao")]
    assert total["consolidated"] and total["budget_fen"] == 120_000_00
    assert total["months"][10] == {"month": 11, "plan_fen": 10_000_00, "actual_fen": 1_600_00}
    assert total["months"][11]["actual_fen"] == 700_00 and total["actual_fen"] == 2_300_00
    assert total["balance_fen"] == 120_000_00 - 2_300_00
    town = rows[("张山子镇", "dibao")]
    assert (town["budget_fen"], town["actual_fen"], town["plan_fen"]) == (20_000_00, 900_00, 2_000_00)
    assert rows[("涧头集镇", "dibao")]["budget_fen"] == 0  # spending without a town line still shows
    assert report["totals"]["actual_fen"] == 2_300_00  # consolidated rows only, no double count
    only_town = queries.execution(world.user("tez_zhangshanzi"), year=YEAR, root=world.area_named("张山子镇"))
    assert [(r["area_name"], r["actual_fen"]) for r in only_town["rows"]] == [("张山子镇", 900_00)]


def test_a_town_user_cannot_report_on_the_county(world):
    """Rule 4: asking for an area outside one's jurisdiction is a 404."""
    with pytest.raises(NotFound):
        queries.root_area(world.user("tez_zhangshanzi"), "370405")
    assert queries.root_area(world.user("tez_zhangshanzi")).code == "370405101000"


def test_the_execution_report_exports_to_excel(world, county, line, approved_case, paid):
    """FND-5: the execution report as a workbook, amounts in 元."""
    budget = line(ZHANGSHANZI, amount_fen=10_000_00)
    actions.set_monthly_plan(budget, by=county, months={11: 1_000_00})
    paid(approved_case(), NOV, 880_00)
    report = queries.execution(county, year=YEAR, root=world.area_named("台儿庄区"))
    sheet = load_workbook(io.BytesIO(queries.execution_xlsx(report))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("区域代码", "区域", "救助项目", "年度预算（元）", "用款计划（元）")
    body = {r[1]: r for r in rows[1:]}
    assert body["台儿庄区（合计）"][3] == 10000 and body["张山子镇"][4 + 21] == 1000 and body["张山子镇"][4 + 22] == 880


def test_the_source_report_splits_budget_by_source_and_tilt(world, county, line):
    """FND-11, FND-8: budget by source with shares; the tilted part; charity inflows beside it."""
    line(source="local", amount_fen=60_000_00)
    line(source="central", amount_fen=30_000_00, tilted=True, tilt_note="中央财政困难地区补助")
    line(program="tekun", source="provincial", amount_fen=10_000_00)
    account = actions.open_charity_account(by=county, area_code=COUNTY)
    actions.charity_inflow(account, by=county, amount_fen=5_000_00, donor="某企业", received_on=dt.date(YEAR, 3, 1))
    report = queries.by_source(county, year=YEAR, root=world.area_named("台儿庄区"))
    shares = {s["source"]: (s["amount_fen"], s["share"]) for s in report["sources"]}
    assert shares["local"] == (60_000_00, "60.0%") and shares["central"] == (30_000_00, "30.0%")
    assert report["tilted_fen"] == 30_000_00 and report["total_fen"] == 100_000_00
    assert report["charity_in_fen"] == 5_000_00
