"""渐退 only when income rises through work (issue 14 item 14): employment or business income,
as the parameters say which income types are work income; a pension rise or a member who
happens to have a wage does not open 渐退. DYN-8, DYN-1."""

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError
from jiuzhu.monitoring import actions as monitoring
from jiuzhu.monitoring.tests.test_reviews import _verified_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def working_case(world, signed_intake, approved_case):
    """A 低保 family in which the head already earns a small wage."""
    from jiuzhu.applications.actions import default_facts

    household = signed_intake(programs=("dibao_edge",)).household
    facts = default_facts(household)
    facts["members"][0]["incomes"] = {"wage": 30_000}
    return approved_case(household=household, facts=facts)


def _review(world, county, app, signed_intake, incomes):
    members = [dict(m) for m in app.facts["members"]]
    members[0] = {**members[0], "incomes": {**members[0].get("incomes", {}), **incomes}}
    return _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)


def test_gradual_exit_is_refused_when_a_pension_raised_the_income(world, county, working_case, signed_intake):
    """issue 14 item 14: the head's small wage is unchanged; the income rose through a pension,
    so the case stops (no 渐退) even though a member has a wage."""
    review = _review(world, county, working_case, signed_intake, {"pension": 1_000_000})
    assert not monitoring.review_evaluation(review)["gradual_allowed"]
    with pytest.raises(DomainError) as exc:
        monitoring.decide_review(review, by=county, outcome="gradual", note="退休金")
    assert exc.value.code == "gradual_not_allowed"


def test_gradual_exit_is_allowed_when_business_income_rose(world, county, approved_case, signed_intake):
    """issue 14 item 14: 经营净收入 is work income: a family that opened a small shop gets 渐退
    though nobody has a wage."""
    app = approved_case(household=signed_intake(programs=("dibao_edge",)).household)
    review = _review(world, county, app, signed_intake, {"business": 1_000_000})
    assert monitoring.review_evaluation(review)["gradual_allowed"]
    review = monitoring.decide_review(review, by=county, outcome="gradual", note="经营小卖部收入增加")
    assert review.outcome == "gradual"


def test_gradual_exit_follows_the_work_income_parameters(world, county, approved_case, signed_intake):
    """Which income types are work income is a dated parameter (income.work.*), not code."""
    from jiuzhu.programs import actions as parameters

    app = approved_case(household=signed_intake(programs=("dibao_edge",)).household)
    review = _review(world, county, app, signed_intake, {"business": 1_000_000})
    change = parameters.propose_change(
        by=county,
        name="income.work.business",
        area_code="370405",
        valid_from=dt.date(2026, 1, 1),
        value=False,
        reason="本县规定经营净收入增加不适用渐退",
        source="台民发〔2026〕9号",
    )
    parameters.confirm_change(change, by=world.user("tez_admin"))
    assert not monitoring.review_evaluation(review)["gradual_allowed"]
