"""Reviews and 渐退 (DYN-1, DYN-2, DYN-5, DYN-8) and stops with their notice (DYN-3); moved
from ``jiuzhu/payments/tests/test_funds_and_reviews.py`` with the code they test."""

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.monitoring import actions as monitoring
from jiuzhu.monitoring.models import Review
from jiuzhu.payments import actions
from jiuzhu.payments.models import (
    Benefit,
    PaymentNotice,
)
from jiuzhu.payments.tests.conftest import DEC, JAN, NOV, freeze_today

pytestmark = pytest.mark.django_db


# ---- reviews --------------------------------------------------------------------------------------


def test_due_reviews_become_tasks_with_deadlines(county, approved_case):
    """DYN-1/DYN-8: a case reaching its review date (6 months after start) becomes a task."""
    app = approved_case(start_month=dt.date(2026, 6, 1))
    approved_case()  # not due yet
    actions.generate_roster(by=county, area_code="370405", month=NOV)  # creates the benefits
    made = monitoring.create_due_reviews(by=county, on=dt.date(2026, 11, 23), county_code="370405")
    assert made == 1
    review = Review.objects.get()
    assert review.application_id == app.pk and review.kind == "periodic" and review.due_on == dt.date(2026, 12, 1)
    assert monitoring.create_due_reviews(by=county, on=dt.date(2026, 11, 23), county_code="370405") == 0


def test_open_reviews_opens_one_per_case_and_leaves_open_ones_alone(county, approved_case):
    """DYN-1: at most one open review per case — a case with an open review keeps it, a case
    whose last review was decided gets a new one; the deadline is the county's limit in working
    days; one audit entry counts what was opened, none when nothing was."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.holidays.calendar import current_calendar
    from jiuzhu.payments.roster import config_for

    busy, fresh, decided = approved_case(), approved_case(), approved_case()
    assert monitoring.open_reviews([busy.pk, decided.pk], "death", "家庭成员死亡", NOV, by=county) == 2
    Review.objects.filter(application=decided).update(status="decided", outcome="continue")
    start = dt.date(2026, 12, 4)
    opened = monitoring.open_reviews(
        [busy.pk, fresh.pk, fresh.pk, decided.pk], "data", "批量复核发现部门数据预警", start, by=SystemActor()
    )
    assert opened == 2
    assert Review.objects.get(application=busy).kind == "death"
    review = Review.objects.get(application=fresh)
    due = current_calendar().add_working_days(start, config_for("370405").review_limit_days)
    assert (review.kind, review.status, review.due_on, review.created_by) == ("data", "open", due, None)
    assert (review.area_code, review.county_code) == (fresh.area_code, "370405")
    assert (review.evaluation, review.outcome, review.note) == ({}, "", "")
    assert Review.objects.filter(application=decided).order_by("id").last().status == "open"
    entry = AuditEntry.objects.filter(action="payments.review.open_data").get()
    assert entry.changes["count"] == 2
    assert monitoring.open_reviews([fresh.pk], "data", "再次", start, by=SystemActor()) == 0
    assert AuditEntry.objects.filter(action="payments.review.open_data").count() == 1


def test_a_review_cannot_end_before_the_verification_report(world, county, approved_case):
    app = approved_case()
    review = monitoring.report_change(app, by=county, reason="家庭成员就业，收入增加")
    with pytest.raises(DomainError) as exc:
        monitoring.decide_review(review, by=county, outcome="continue")
    assert exc.value.code == "verification_pending"


def _verified_review(world, county, app, facts, signed_intake):
    """A change report, the review started (real verification request), the 核对报告 issued by
    the verification centre's own action (authorizations signed at a real intake)."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.verification.actions import run_verification

    review = monitoring.report_change(app, by=county, reason="家庭成员就业，收入增加", facts=facts)
    review = monitoring.start_review(review, by=county)
    run_verification(
        by=SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification
    )
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
    from jiuzhu.applications.tests.support import use_setting
    from jiuzhu.payments.roster import config_for

    # the decision takes effect next month: decided in November, so December is the one month
    freeze_today(monkeypatch, dt.date(2026, 11, 20))

    app = signed_case
    use_setting("review.gradual_exit_months", 1)
    assert config_for("370405").gradual_exit_months == 1
    nov = locked_roster()
    amount = nov.lines.get(application=app).amount_fen
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 1_000_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    with pytest.raises(DomainError):
        monitoring.decide_review(review, by=county, outcome="continue")
    review = monitoring.decide_review(review, by=county, outcome="gradual", note="就业后收入超过标准")
    assert review.outcome == "gradual" and review.notice.kind == "gradual"
    benefit = Benefit.objects.get(application=app)
    assert benefit.status == "gradual" and benefit.end_month == DEC and benefit.gradual_amount_fen == amount
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    line = dec.lines.get(application=app)
    assert line.amount_fen == amount and line.change == "gradual"
    jan = actions.generate_roster(by=county, area_code="370405", month=JAN)
    assert not jan.lines.filter(application=app).exists()
    benefit.refresh_from_db()
    assert benefit.status == "stopped" and benefit.stop_reason == "gradual_end"


def test_a_review_changes_the_amount_with_an_adjustment_notice(world, county, signed_case, signed_intake):
    """DYN-2: 调整告知书 with the amounts before and after."""
    app = signed_case
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 30_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    review = monitoring.decide_review(review, by=county, outcome="change")
    app.refresh_from_db()
    assert review.amount_after_fen == app.amount_fen < review.amount_before_fen
    assert PaymentNotice.objects.get(application=app).kind == "adjustment"


def test_stop_with_reason_issues_the_stop_notice(county, approved_case):
    app = approved_case()
    with pytest.raises(InvalidInput):
        monitoring.stop_benefit(app, by=county, reason="moved", note="")
    benefit = monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=NOV)
    assert benefit.status == "stopped" and benefit.end_month == NOV
    assert PaymentNotice.objects.get(application=app, kind="stop").notice.kind == "stop"


def _posted(formset):
    """What the page's member forms send as the browser shows them (initial values)."""
    data = {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
    for form in formset.forms:
        for bf in form:
            value = bf.value()
            if value in (None, False) or bf.name == "DELETE":
                continue
            data[bf.html_name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return data


def test_a_refused_review_form_comes_back_as_typed(world, county, signed_case, signed_intake):
    """Bad input loses nothing: the review's member forms with one malformed figure come back
    with every figure as typed and the error beside its field, and nothing is started; a 结论
    the engine refuses comes back with the outcome and the note as chosen."""
    from django.test import Client

    from jiuzhu.monitoring.views import _review_formset

    app = signed_case
    review = monitoring.report_change(app, by=county, reason="家庭成员就业，收入增加")
    c = Client()
    c.force_login(county)
    data = _posted(_review_formset(review))
    data["members-0-income_wage"] = "1200.50"
    data["members-1-income_wage"] = "三千"
    r = c.post(f"/payments/reviews/{review.pk}/start/", data)
    assert r.status_code == 200
    page = r.content.decode()
    assert 'data-testid="action-error"' in page and "家庭情况填写有误" in page
    assert 'value="1200.50"' in page and 'value="三千"' in page
    review.refresh_from_db()
    assert review.status == "open" and review.verification is None

    review = _verified_review(world, county, app, None, signed_intake)
    r = c.post(f"/payments/reviews/{review.pk}/decide/", {"outcome": "stop", "note": "  ", "stop_reason": "other"})
    assert r.status_code == 200
    form = r.content.decode().split("/decide/")[1].split("</form>")[0]
    assert "未作出结论：停发须填写情况说明" in form
    assert '<option value="stop" selected>' in form and '<option value="other" selected>' in form
    review.refresh_from_db()
    assert review.status == "verifying" and not review.outcome


def test_a_review_sends_a_death_to_the_registry_and_tells_the_clerk_who_decides(
    world, county, client_of, signed_case, signed_intake
):
    """DYN-7: as on the payments page, the review's 结论 does not offer 死亡 as a reason to stop
    (the notice could not name who died and would be addressed to the dead): it links the
    一户一档. A clerk without the right to decide is told who decides instead of an empty page."""
    import re

    review = _verified_review(world, county, signed_case, None, signed_intake)
    page = client_of("tez_county").get(f"/payments/reviews/{review.pk}/").content.decode()
    form = page.split("/decide/")[1].split("</form>")[0]
    stop_reasons = re.findall(r'<option value="([a-z_]+)"', form.split('name="stop_reason"')[1])
    assert "income" in stop_reasons and "death" not in stop_reasons
    assert f'href="/households/{signed_case.household_id}/"' in page
    clerk = client_of("tez_zhangshanzi").get(f"/payments/reviews/{review.pk}/").content.decode()
    assert "/decide/" not in clerk and "复核结论由有审批权限的工作人员作出" in clerk


def test_the_verification_queue_says_a_request_is_for_a_review(world, county, client_of, signed_case):
    """The 核对中心's queue tells a review's request (复核 of an approved case) from an application's;
    the review page names the month its result would take effect as a document does."""
    import re

    review = monitoring.start_review(monitoring.report_change(signed_case, by=county, reason="收入变化"), by=county)
    assert review.verification.status == "pending"
    queue = client_of("tez_hecha").get("/verification/").content.decode()
    queue = queue.split('data-testid="pending-requests"')[1].split("</table>")[0]
    assert f"复核 · {signed_case.number}" in queue
    page = client_of("tez_county").get(f"/payments/reviews/{review.pk}/").content.decode()
    assert re.search(r"测算结果（复核后情况，\d{4}年\d{1,2}月起）", page)  # not 2027-01-01


def test_no_one_stops_a_benefit_for_a_death_by_hand(world, county, api_of, signed_case, signed_intake):
    """DYN-7: a death goes through the 一户一档 (which stops or suspends and writes the notice to
    the family), so neither the review's 结论 nor a 停发 accepts 死亡 — through the API as on the
    pages — nor 渐退期满, which the roster records; nothing changes and the message says where."""
    from jiuzhu.audit.models import AuditEntry

    review = _verified_review(world, county, signed_case, None, signed_intake)
    api = api_of("tez_county")
    before = AuditEntry.objects.count()
    body = {"outcome": "stop", "stop_reason": "death", "note": "申请人已死亡"}
    r = api.post(f"/api/v1/payments/reviews/{review.pk}/decide", body, content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "death_in_registry"
    assert "一户一档" in r.json()["message"]
    for reason in ("death", "gradual_end"):
        r = api.post(
            f"/api/v1/payments/cases/{signed_case.pk}/stop",
            {"reason": reason, "note": "停发"},
            content_type="application/json",
        )
        assert r.status_code == 422 and r.json()["code"] in ("death_in_registry", "invalid_choice")
    review.refresh_from_db()
    assert review.status == "verifying" and not review.outcome
    assert not Benefit.objects.filter(application=signed_case, status="stopped").exists()
    assert AuditEntry.objects.count() == before
    with pytest.raises(InvalidInput) as exc:
        monitoring.stop_benefit(signed_case, by=county, reason="gradual_end", note="渐退期满")
    assert exc.value.code == "invalid_choice"


def test_the_case_page_shows_the_amount_paid_after_a_standard_raise(world, county, admin, approved_case, client_of):
    """DYN-4, PAY-1: after the 低保标准 rises the roster pays more while the case's own amount
    (moved only by a review) stays; the staff case page reads 现救助金额 from the rosters, as the
    family reads it on 掌上办, and its 决定 row keeps the approval."""
    from jiuzhu.payments.tests.conftest import raise_standard

    app = approved_case(start_month=NOV)
    first = app.amount_fen
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.pk}/").content.decode()
    assert 'data-testid="current-amount"' not in page  # nothing changed: the 决定 row says it all
    actions.generate_roster(by=county, area_code="370405", month=NOV)
    raise_standard(app, county=county, admin=admin)
    raised = actions.generate_roster(by=county, area_code="370405", month=DEC).lines.get(application=app).amount_fen
    assert raised > first and Review.objects.filter(application=app).count() == 0
    yuan = lambda fen: f"{fen / 100:,.2f}元"  # noqa: E731
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.pk}/").content.decode()
    current = page.split('data-testid="current-amount">', 1)[1].split("</dd>", 1)[0]
    assert current == f"每月{yuan(raised)}，自2026年12月起（此前每月{yuan(first)}）"
    assert 'data-testid="case-reviews"' not in page  # no review was decided
    decision = page.split('data-testid="decision">', 1)[1].split("</dd>", 1)[0]
    assert f"批准，{yuan(first)}" in decision
