"""The demo funds of 台儿庄区 load once and a second run changes nothing (FND-1, FND-6, FND-15)."""

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.funds import queries
from jiuzhu.funds.demo import load_demo_funds
from jiuzhu.funds.models import BudgetLine, CharityAccount, FiscalPower, Incentive, ServiceContract

pytestmark = pytest.mark.django_db


def test_the_demo_funds_load_and_are_idempotent(world):
    assert load_demo_funds() == 6
    audit = AuditEntry.objects.count()
    assert load_demo_funds() == 0 and AuditEntry.objects.count() == audit
    assert BudgetLine.objects.filter(year=2026, county_code="370405").count() >= 10
    assert set(FiscalPower.objects.values_list("program", flat=True)) >= {"dibao", "tekun", "temporary"}
    assert Incentive.objects.count() == 3 and ServiceContract.objects.count() == 1
    county = world.user("tez_county")
    report = queries.execution(county, year=2026, root=world.area_named("台儿庄区"))
    assert report["totals"]["budget_fen"] == report["totals"]["plan_fen"]  # every line fully planned
    assert queries.charity_summary(list(CharityAccount.objects.all()))[0]["balance_fen"] == 30 * 10_000 * 100
