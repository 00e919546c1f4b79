"""A case walked to the decision through the real actions (入户调查 → 一键核对 → 提交审核), as
the town's clerk and the verification centre would: the one place that strings these steps
together for the demo cases (``web/demo_cases.py``) and the tests and journeys that need a case
waiting for its decision. It adds no rule of its own: every check, audit row, deadline and
notice is the actions'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jiuzhu.accounts.models import User

from . import actions
from .models import Application


@dataclass(frozen=True)
class Visit:
    """What the two investigators write down at the 入户调查."""

    investigators: str = "王明、李红"
    housing: str = "自有砖瓦房两间，年久失修"
    living_conditions: str = "家庭收入低，生活困难"
    labour: str = "户主务农"
    health: str = "家庭成员健康"


def record_visit(
    app: Application,
    *,
    by: User,
    visit: Visit = Visit(),
    facts: dict[str, Any] | None = None,
    visited_on: dt.date | None = None,
) -> Application:
    """录入入户调查: the visit (today unless ``visited_on``), with the household facts as found
    when given. The investigation must have started."""
    actions.record_investigation(
        app,
        by=by,
        visited_on=visited_on or timezone.localdate(),
        investigators=visit.investigators,
        housing=visit.housing,
        living_conditions=visit.living_conditions,
        labour=visit.labour,
        health=visit.health,
        facts=facts,
    )
    app.refresh_from_db()
    return app


def investigate(
    app: Application,
    *,
    by: User,
    visit: Visit = Visit(),
    facts: dict[str, Any] | None = None,
    visited_on: dt.date | None = None,
) -> Application:
    """开始入户调查 and record the visit (today unless ``visited_on``), with the household
    facts as found when given."""
    actions.start_investigation(app, by=by)
    return record_visit(app, by=by, visit=visit, facts=facts, visited_on=visited_on)


def verify(app: Application, *, by: User) -> Application:
    """一键核对 of the case's household for its program by the verification centre."""
    from jiuzhu.verification.actions import run_verification

    run_verification(by=by, household=app.household, program=app.program, application=app)
    app.refresh_from_db()
    return app


def to_review(
    app: Application,
    *,
    by: User,
    verifier: User,
    visit: Visit = Visit(),
    facts: dict[str, Any] | None = None,
    visited_on: dt.date | None = None,
) -> Application:
    """入户调查 by ``by``, 一键核对 by ``verifier``, then 提交审核 by ``by``: the case waits for
    the decision (待审核确认)."""
    investigate(app, by=by, visit=visit, facts=facts, visited_on=visited_on)
    verify(app, by=verifier)
    actions.submit_review(app, by=by)
    app.refresh_from_db()
    return app
