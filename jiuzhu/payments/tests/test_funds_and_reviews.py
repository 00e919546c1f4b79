"""备用金 (FND-2, FND-3), reviews and 渐退 (DYN-1, DYN-2, DYN-5, DYN-8), stops and recoveries
with 失信 records (DYN-3, SUP-6, SUP-8, SUP-11)."""

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.payments import actions
from jiuzhu.payments.models import (
    AppendOnlyError,
    Benefit,
    CreditRecord,
    LedgerEntry,
    PaymentNotice,
    ReserveEntry,
    Review,
)
from jiuzhu.payments.tests.conftest import DEC, JAN, NOV, freeze_today, result_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(county):
    fund = actions.open_reserve(county, town_code="370405101", low_balance_fen=1_000_000)
    actions.top_up_reserve(county, fund, amount_fen=5_000_000, source="fiscal", note="台民发〔2026〕1号")
    return fund


def _emergency(world, signed_intake):
    return signed_intake(
        programs=("temporary",), temporary_kind="emergency", emergency_event="fire", documents_provided=["急难事由说明"]
    ).applications.get()


def test_an_advance_is_drawn_from_the_town_reserve(world, fund, signed_intake):
    """FND-3: 先行救助 draws from the reserve, linked to the case and booked on the ledger."""
    from jiuzhu.applications import actions as app_actions

    app = _emergency(world, signed_intake)
    app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=100_000, note="火灾")
    entry = ReserveEntry.objects.get(kind="disbursement")
    assert entry.application_id == app.pk and entry.balance_after_fen == 4_900_000
    assert actions.reserve_balance(fund) == 4_900_000
    assert {e.kind for e in LedgerEntry.objects.filter(application=app)} == {"entitlement", "payment"}
    assert actions.balance(app)["balance"] == 0


def test_an_advance_is_refused_when_the_reserve_would_go_below_zero(world, county, signed_intake):
    """FND-3: refused with a clear message; nothing of the advance is kept."""
    from jiuzhu.applications import actions as app_actions

    fund = actions.open_reserve(county, town_code="370405101")
    actions.top_up_reserve(county, fund, amount_fen=50_000)
    app = _emergency(world, signed_intake)
    with pytest.raises(DomainError) as exc:
        app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=100_000)
    assert exc.value.code == "reserve_insufficient" and "当前余额500.00元" in exc.value.message
    app.refresh_from_db()
    assert app.state == "accepted" and not ReserveEntry.objects.filter(kind="disbursement").exists()
    assert not LedgerEntry.objects.exists()


def test_a_town_without_a_reserve_cannot_advance(world, signed_intake):
    from jiuzhu.applications import actions as app_actions

    app = _emergency(world, signed_intake)
    with pytest.raises(DomainError) as exc:
        app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=1000)
    assert exc.value.code == "reserve_missing"


def test_the_reserve_warns_when_low(county, fund):
    from jiuzhu.payments.queries import reserve_summary

    assert not reserve_summary([fund])[0]["low"]
    fund2 = actions.open_reserve(county, town_code="370405103", low_balance_fen=1_000_000)
    actions.top_up_reserve(county, fund2, amount_fen=300_000, source="donation")
    row = reserve_summary([fund2])[0]
    assert row["low"] and row["top_up_donation_fen"] == 300_000


def test_only_the_county_tops_up_and_the_passbook_is_append_only(world, fund):
    with pytest.raises(Forbidden):
        actions.top_up_reserve(world.user("tez_zhangshanzi"), fund, amount_fen=100)
    entry = ReserveEntry.objects.first()
    entry.amount_fen = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        ReserveEntry.objects.all().delete()


# ---- reviews --------------------------------------------------------------------------------------


def test_due_reviews_become_tasks_with_deadlines(county, approved_case):
    """DYN-1/DYN-8: a case reaching its review date (6 months after start) becomes a task."""
    app = approved_case(start_month=dt.date(2026, 6, 1))
    approved_case()  # not due yet
    actions.generate_roster(county, area_code="370405", month=NOV)  # creates the benefits
    made = actions.create_due_reviews(county, on=dt.date(2026, 11, 23), county_code="370405")
    assert made == 1
    review = Review.objects.get()
    assert review.application_id == app.pk and review.kind == "periodic" and review.due_on == dt.date(2026, 12, 1)
    assert actions.create_due_reviews(county, on=dt.date(2026, 11, 23), county_code="370405") == 0


def test_a_review_cannot_end_before_the_verification_report(world, county, approved_case):
    app = approved_case()
    review = actions.report_change(county, app, reason="家庭成员就业，收入增加")
    with pytest.raises(DomainError) as exc:
        actions.decide_review(county, review, outcome="continue")
    assert exc.value.code == "verification_pending"


def _verified_review(world, county, app, facts, signed_intake):
    """A change report, the review started (real verification request), the 核对报告 issued by
    the verification centre's own action (authorizations signed at a real intake)."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.verification.actions import run_verification

    review = actions.report_change(county, app, reason="家庭成员就业，收入增加", facts=facts)
    review = actions.start_review(county, review)
    run_verification(SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification)
    review.refresh_from_db()
    assert review.verification.status == "done"
    return review


@pytest.fixture
def signed_case(world, signed_intake, approved_case):
    """An approved 低保 case of a household whose adults signed 授权书 at a real intake."""
    intake = signed_intake(programs=("dibao_edge",))
    return approved_case(household=intake.household)


def test_a_review_ends_in_gradual_exit_and_the_benefit_stops_after_it(
    world, county, admin, signed_case, signed_intake, locked_roster, monkeypatch
):
    """DYN-8 and the issue's walk: income rises through work → 渐退 for the configured months
    at the old amount, with the 渐退告知书; then the roster no longer pays."""
    from jiuzhu.payments.roster import config_for

    # the decision takes effect next month: decided in November, so December is the one month
    freeze_today(monkeypatch, dt.date(2026, 11, 20))

    app = signed_case
    config = config_for("370405")
    config.gradual_exit_months = 1
    config.save()
    nov = locked_roster()
    amount = nov.lines.get(application=app).amount_fen
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 1_000_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    with pytest.raises(DomainError):
        actions.decide_review(county, review, outcome="continue")
    review = actions.decide_review(county, review, outcome="gradual", note="就业后收入超过标准")
    assert review.outcome == "gradual" and review.notice.kind == "gradual"
    benefit = Benefit.objects.get(application=app)
    assert benefit.status == "gradual" and benefit.end_month == DEC and benefit.gradual_amount_fen == amount
    dec = actions.generate_roster(county, area_code="370405", month=DEC)
    line = dec.lines.get(application=app)
    assert line.amount_fen == amount and line.change == "gradual"
    jan = actions.generate_roster(county, area_code="370405", month=JAN)
    assert not jan.lines.filter(application=app).exists()
    benefit.refresh_from_db()
    assert benefit.status == "stopped" and benefit.stop_reason == "gradual_end"


def test_a_review_changes_the_amount_with_an_adjustment_notice(world, county, signed_case, signed_intake):
    """DYN-2: 调整告知书 with the amounts before and after."""
    app = signed_case
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 30_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    review = actions.decide_review(county, review, outcome="change")
    app.refresh_from_db()
    assert review.amount_after_fen == app.amount_fen < review.amount_before_fen
    assert PaymentNotice.objects.get(application=app).kind == "adjustment"


def test_stop_with_reason_issues_the_stop_notice(county, approved_case):
    app = approved_case()
    with pytest.raises(InvalidInput):
        actions.stop_benefit(county, app, reason="moved", note="")
    benefit = actions.stop_benefit(county, app, reason="moved", note="迁往外县", last_month=NOV)
    assert benefit.status == "stopped" and benefit.end_month == NOV
    assert PaymentNotice.objects.get(application=app, kind="stop").notice.kind == "stop"


def test_late_death_data_creates_a_recovery_with_a_plan(world, county, approved_case, locked_roster):
    """SUP-11, DYN-3: a payment after death is found later, taken back and repaid in instalments."""
    from jiuzhu.registry.models import Person

    app = approved_case()
    nov = locked_roster()
    batch, _, _ = actions.export_bank_file(county, nov)
    actions.import_bank_results(county, batch, file_name="r.csv", data=result_csv(batch))
    Person.objects.filter(pk=app.applicant_id).update(death_date=dt.date(2026, 10, 20))
    from jiuzhu.payments.queries import payments_after_death

    found = payments_after_death(LedgerEntry.objects.all())
    assert found[0]["application_id"] == app.pk and found[0]["months"] == 1
    paid = nov.lines.get(application=app).amount_fen
    half = paid // 2
    plan = actions.create_recovery(
        county,
        app,
        reason="death",
        note="民政殡葬数据显示10月20日死亡",
        months=["2026-11"],
        installments=[
            {"due_on": "2026-12-31", "amount_fen": half},
            {"due_on": "2027-01-31", "amount_fen": paid - half},
        ],
    )
    assert plan.total_fen == paid and actions.balance(app)["balance"] == -paid
    actions.record_repayment(county, plan, amount_fen=half)
    actions.record_repayment(county, plan, amount_fen=paid - half)
    plan.refresh_from_db()
    assert plan.status == "settled" and actions.balance(app)["balance"] == 0
    assert Benefit.objects.get(application=app).status == "stopped"
    with pytest.raises(InvalidInput):
        actions.create_recovery(county, app, reason="death", note="again", months=["2026-11"])


def test_fraud_writes_a_credit_record(county, approved_case, locked_roster):
    """SUP-6/SUP-8: 骗取 → 失信记录 with its category."""
    app = approved_case()
    nov = locked_roster()
    batch, _, _ = actions.export_bank_file(county, nov)
    actions.import_bank_results(county, batch, file_name="r.csv", data=result_csv(batch))
    with pytest.raises(InvalidInput):
        actions.create_recovery(county, app, reason="fraud", note="隐瞒工资收入", months=["2026-11"])
    actions.create_recovery(
        county, app, reason="fraud", note="隐瞒工资收入", months=["2026-11"], fraud_category="concealment"
    )
    record = CreditRecord.objects.get()
    assert record.category == "concealment" and record.person_id == app.applicant_id
    assert actions.mark_credit_reported(county, [record]) == 1


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
