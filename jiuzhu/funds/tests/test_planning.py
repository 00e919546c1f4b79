"""Fiscal powers (FND-6), forecast (FND-7), multi-year plans (FND-9), incentives (FND-10),
purchase-of-service contracts (FND-12) and the charity fund (FND-15)."""

import datetime as dt

import pytest

from jiuzhu.core.appendonly import AppendOnlyError
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.funds import actions, queries
from jiuzhu.funds.models import CharityEntry, FiscalPower
from jiuzhu.funds.tests.conftest import COUNTY, YEAR, ZHANGSHANZI
from jiuzhu.payments.models import Benefit

pytestmark = pytest.mark.django_db

SHARES = {"central": 60, "provincial": 20, "city": 5, "county": 15, "town": 0}


def test_it_keeps_the_fiscal_power_list_with_shares_summing_to_100(world, county):
    """FND-6: per programme the shares of 中央/省/市/县/镇, department and legal basis; towns read it."""
    power = actions.set_fiscal_power(
        by=county,
        county_code=COUNTY,
        program="dibao",
        shares=SHARES,
        department="区民政局",
        legal_basis="《社会救助暂行办法》；鲁政办发〔2019〕号",
    )
    assert power.shares == SHARES
    with pytest.raises(InvalidInput) as exc:
        actions.set_fiscal_power(
            by=county,
            county_code=COUNTY,
            program="dibao",
            shares={**SHARES, "town": 5},
            department="区民政局",
            legal_basis="x",
        )
    assert exc.value.code == "shares_not_100" and "105%" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        actions.set_fiscal_power(
            by=county, county_code=ZHANGSHANZI, program="dibao", shares=SHARES, department="x", legal_basis="x"
        )
    assert exc.value.code == "invalid_area"
    actions.set_fiscal_power(
        by=county, county_code=COUNTY, program="dibao", shares={"county": 100}, department="区民政局", legal_basis="y"
    )
    assert FiscalPower.objects.get().county_pct == 100  # replaced, not duplicated
    assert FiscalPower.objects.visible_to(world.user("tez_zhangshanzi")).count() == 1
    assert not FiscalPower.objects.visible_to(world.user("yc_county")).exists()


def test_the_forecast_uses_current_recipients_and_shows_the_gap(world, county, line, approved_case, paid):
    """FND-7: recipients × current monthly amount for the months not yet paid vs remaining budget."""
    budget = line(ZHANGSHANZI, amount_fen=3_000_00)
    a, b = approved_case(), approved_case()
    paid(a, dt.date(YEAR, 11, 1), a.amount_fen)
    paid(b, dt.date(YEAR, 11, 1), b.amount_fen)
    result = queries.forecast(county, year=YEAR, root=world.area_named("台儿庄区"), as_of=dt.date(YEAR, 11, 20))
    row = next(r for r in result["rows"] if r["area_name"] == "张山子镇" and r["program"] == "dibao")
    monthly = a.amount_fen + b.amount_fen
    assert (row["recipients"], row["monthly_fen"], row["months_left"]) == (2, monthly, 1)  # Nov paid: Dec left
    assert row["demand_fen"] == monthly
    assert row["remaining_fen"] == budget.amount_fen - monthly
    assert row["gap_fen"] == monthly - (budget.amount_fen - monthly)
    Benefit.objects.filter(application=a).update(status="gradual", gradual_amount_fen=100_00)
    again = queries.forecast(county, year=YEAR, root=world.area_named("张山子镇"), as_of=dt.date(YEAR, 11, 20))
    assert again["rows"][0]["monthly_fen"] == b.amount_fen + 100_00


def test_a_multi_year_plan_compares_targets_with_budgets_and_actuals(world, county, line, approved_case, paid):
    """FND-9: 十四五 plan with yearly targets per programme against budgets and actual payments."""
    plan = actions.create_fund_plan(
        by=county, county_code=COUNTY, name="十四五社会救助资金规划", start_year=2021, end_year=2025
    )
    actions.set_plan_targets(plan, by=county, program="dibao", targets={2024: 900_000_00, 2025: 1_000_000_00})
    with pytest.raises(InvalidInput) as exc:
        actions.set_plan_targets(plan, by=county, program="dibao", targets={2026: 1})
    assert exc.value.code == "year_out_of_plan"
    with pytest.raises(InvalidInput):
        actions.create_fund_plan(by=county, county_code=COUNTY, name="x", start_year=2025, end_year=2021)
    line(year=2025, amount_fen=950_000_00)
    paid(approved_case(), dt.date(2025, 6, 1), 800_00)
    result = queries.plan_comparison(county, plan)
    cells = {c["year"]: c for c in result["rows"][0]["years"]}
    assert cells[2025]["target_fen"] == 1_000_000_00 and cells[2025]["budget_fen"] == 950_000_00
    assert cells[2025]["actual_fen"] == 800_00 and cells[2025]["budget_rate"] == "95.0%"
    assert cells[2021]["target_fen"] is None


def test_it_records_incentives_for_social_forces(county):
    """FND-10: 税收优惠/资金奖补/费用减免 with organisation, amount, date and basis."""
    inc = actions.record_incentive(
        by=county,
        area_code=COUNTY,
        kind="grant",
        organisation="台儿庄区阳光社会工作服务中心",
        credit_code="52370405MJ1234567X",
        amount_fen=20_000_00,
        granted_on="2026-06-30",
        basis="台民发〔2026〕8号",
    )
    assert inc.get_kind_display() == "资金奖补"
    with pytest.raises(InvalidInput) as exc:
        actions.record_incentive(
            by=county,
            area_code=COUNTY,
            kind="grant",
            organisation="x",
            amount_fen=-1,
            granted_on="2026-06-30",
            basis="y",
        )
    assert exc.value.code == "invalid_amount"
    with pytest.raises(InvalidInput) as exc:
        actions.record_incentive(
            by=county, area_code=COUNTY, kind="gift", organisation="x", amount_fen=1, granted_on="2026-06-30", basis="y"
        )
    assert exc.value.code == "invalid_kind"


def test_contracts_are_charged_to_their_budget_line(world, county, line):
    """FND-12: a purchase-of-service contract counts against its line, never beyond the budget."""
    budget = line(program="services", amount_fen=100_000_00)
    actions.create_contract(
        budget,
        by=county,
        provider="台儿庄区阳光社会工作服务中心",
        content="特困人员探访照料",
        amount_fen=60_000_00,
        start_on="2026-01-01",
        end_on="2026-12-31",
    )
    with pytest.raises(DomainError) as exc:
        actions.create_contract(
            budget,
            by=county,
            provider="某公司",
            content="x",
            amount_fen=50_000_00,
            start_on="2026-01-01",
            end_on="2026-12-31",
        )
    assert exc.value.code == "contract_exceeds_budget"
    with pytest.raises(InvalidInput) as exc:
        actions.create_contract(
            budget, by=county, provider="某公司", content="x", amount_fen=1, start_on="2026-05-01", end_on="2026-04-01"
        )
    assert exc.value.code == "invalid_period"
    row = queries.execution(county, year=YEAR, root=world.area_named("台儿庄区"))["rows"][0]
    assert (row["contracted_fen"], row["balance_fen"], row["rate"]) == (60_000_00, 40_000_00, "60.0%")
    with pytest.raises(DomainError) as exc:
        actions.update_budget_line(budget, by=county, amount_fen=50_000_00)
    assert exc.value.code == "contract_exceeds_budget"


def test_the_charity_fund_never_goes_below_zero(world, county, approved_case):
    """FND-15: inflows with donor and restricted purpose; outflows linked to a case; no overdraft."""
    account = actions.open_charity_account(by=county, area_code=COUNTY, manager="台儿庄区慈善总会")
    actions.charity_inflow(
        account, by=county, amount_fen=10_000_00, donor="某爱心企业", restricted_purpose="专项用于救助困难群众"
    )
    app = approved_case()
    out = actions.charity_outflow(account, by=county, amount_fen=3_000_00, purpose="大病救助", application_id=app.pk)
    assert out.balance_after_fen == 7_000_00 and out.application == app
    with pytest.raises(DomainError) as exc:
        actions.charity_outflow(account, by=county, amount_fen=7_000_01, purpose="临时困难")
    assert exc.value.code == "charity_insufficient" and "余额不足" in exc.value.message
    assert actions.charity_balance(account) == 7_000_00
    other = approved_case("涧头集镇")
    town = actions.open_charity_account(by=county, area_code=ZHANGSHANZI)
    actions.charity_inflow(town, by=county, amount_fen=100_00, donor="村民")
    with pytest.raises(NotFound):  # a 涧头集镇 case is not in 张山子镇's account
        actions.charity_outflow(town, by=county, amount_fen=1_00, purpose="x", application_id=other.pk)
    with pytest.raises(AppendOnlyError):
        CharityEntry.objects.filter(pk=out.pk).update(amount_fen=1)
    summary = queries.charity_summary([account])[0]
    assert (summary["inflow_fen"], summary["outflow_fen"], summary["balance_fen"]) == (10_000_00, 3_000_00, 7_000_00)
