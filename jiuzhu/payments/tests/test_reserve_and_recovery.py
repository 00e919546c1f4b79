"""Recoveries with 失信 records (DYN-3, SUP-6, SUP-8, SUP-11) and spending by need (FND-14).
Reviews, 渐退 and stops: ``jiuzhu/monitoring/tests/test_reviews.py``; the town reserve:
``jiuzhu/funds/tests/test_reserve.py``."""

import datetime as dt

import pytest

from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments import actions
from jiuzhu.payments.models import (
    Benefit,
    CreditRecord,
    LedgerEntry,
)
from jiuzhu.payments.tests.conftest import NOV, result_csv

pytestmark = pytest.mark.django_db


# ---- recoveries -----------------------------------------------------------------------------------


def test_late_death_data_creates_a_recovery_with_a_plan(world, county, approved_case, locked_roster):
    """SUP-11, DYN-3: a payment after death is found later, taken back and repaid in instalments."""
    from jiuzhu.registry.models import Person

    app = approved_case()
    nov = locked_roster()
    batch, _, _ = actions.export_bank_file(nov, by=county)
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    Person.objects.filter(pk=app.applicant_id).update(death_date=dt.date(2026, 10, 20))
    from jiuzhu.payments.queries import payments_after_death

    found = payments_after_death(LedgerEntry.objects.all())
    assert found[0]["application_id"] == app.pk and found[0]["months"] == 1
    paid = nov.lines.get(application=app).amount_fen
    half = paid // 2
    plan = actions.create_recovery(
        app,
        by=county,
        reason="death",
        note="民政殡葬数据显示10月20日死亡",
        months=["2026-11"],
        installments=[
            {"due_on": "2026-12-31", "amount_fen": half},
            {"due_on": "2027-01-31", "amount_fen": paid - half},
        ],
    )
    assert plan.total_fen == paid and actions.balance(app)["balance"] == -paid
    actions.record_repayment(plan, by=county, amount_fen=half)
    actions.record_repayment(plan, by=county, amount_fen=paid - half)
    plan.refresh_from_db()
    assert plan.status == "settled" and actions.balance(app)["balance"] == 0
    assert Benefit.objects.get(application=app).status == "stopped"
    with pytest.raises(InvalidInput):
        actions.create_recovery(app, by=county, reason="death", note="again", months=["2026-11"])


def test_fraud_writes_a_credit_record(county, approved_case, locked_roster):
    """SUP-6/SUP-8: 骗取 → 失信记录 with its category."""
    app = approved_case()
    nov = locked_roster()
    batch, _, _ = actions.export_bank_file(nov, by=county)
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    with pytest.raises(InvalidInput):
        actions.create_recovery(app, by=county, reason="fraud", note="隐瞒工资收入", months=["2026-11"])
    actions.create_recovery(
        app, by=county, reason="fraud", note="隐瞒工资收入", months=["2026-11"], fraud_category="concealment"
    )
    record = CreditRecord.objects.get()
    assert record.category == "concealment" and record.person_id == app.applicant_id
    assert actions.mark_credit_reported([record], by=county) == 1


def test_spending_is_shown_by_the_needs_of_the_families_reached(approved_case, household_in, county):
    """FND-14: money per program split by need (elderly, minors, severe disability, illness);
    a partial return counts net; a household with several needs counts under each."""
    from jiuzhu.payments import queries

    elderly = approved_case(household=household_in(size=5))  # the fifth member is 70
    plain = approved_case()
    ill = approved_case(household=household_in(size=2))
    ill_member = ill.household.members.exclude(relation="self").get()
    ill_member.health_status, ill_member.disability_grade = "serious", 1
    ill_member.save(update_fields=["health_status", "disability_grade"])

    def pay(app, amount, **kw):
        return LedgerEntry.objects.create(
            application=app,
            person_id=app.applicant_id,
            household_id=app.household_id,
            program=app.program,
            area_code=app.area_code,
            county_code=app.county_code,
            period=NOV,
            amount_fen=amount,
            reason="测试",
            source="bank",
            **kw,
        )

    pay(elderly, 80000, kind="payment")
    payment = pay(plain, 50000, kind="payment")
    pay(plain, 10000, kind="reversal", reverses=payment)
    pay(ill, 30000, kind="payment")
    rows = {r["need"]: r for r in queries.spending_by_need(LedgerEntry.objects.visible_to(county), year=2026)}
    assert (rows["all"]["households"], rows["all"]["paid_fen"]) == (3, 150000)
    assert (rows["elderly"]["households"], rows["elderly"]["paid_fen"]) == (1, 80000)
    assert (rows["none"]["households"], rows["none"]["paid_fen"]) == (1, 40000)
    assert rows["disabled"]["paid_fen"] == rows["ill"]["paid_fen"] == 30000
    assert "minor" not in rows
    assert rows["elderly"]["share"] == round(80000 / 150000, 4)
    assert rows["elderly"]["need_label"] == "有60周岁以上老年人"
