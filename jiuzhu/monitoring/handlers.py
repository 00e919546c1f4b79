"""Dynamic management listens to the apps below it (connected in ``MonitoringConfig.ready``).
Every signal here is sent inside its sender's transaction, so what a receiver writes (reviews,
stops, audit rows) commits or rolls back with the sender's work, as when it was a direct call."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from jiuzhu.applications import panels
from jiuzhu.audit.changes import register_key_labels, register_value_labels
from jiuzhu.holidays import deadlines
from jiuzhu.payments.models import MONTHLY_PROGRAMS
from jiuzhu.payments.signals import deaths_flagged, deaths_found
from jiuzhu.registry.models import Person
from jiuzhu.registry.signals import death_recorded
from jiuzhu.verification.models import ReverificationRun
from jiuzhu.verification.signals import batch_loaded, findings_recorded

from . import actions, after_load
from .amounts import monthly_amount
from .models import (
    AFTER_LOAD_STEPS,
    CAMPAIGN_TARGETS,
    EMERGENCY_KINDS,
    LIFE_EVENT_KINDS,
    OUTCOMES,
    REVIEW_KINDS,
    REVIEW_STATUS,
    Review,
)


def on_death_recorded(sender: Any, *, by: Any, person: Person, **kwargs: Any) -> None:
    """A death entered in the 一户一档 stops the money (DYN-7)."""
    actions.record_death(person, by=by)


def on_deaths_found(sender: Any, *, by: Any, persons: list[Person], **kwargs: Any) -> None:
    """Payees found dead before a bank file: their deaths take effect now."""
    for person in persons:
        actions.record_death(person, by=by)


def on_deaths_flagged(sender: Any, *, by: Any, application_ids: list[int], on: dt.date, **kwargs: Any) -> int:
    """DYN-7: death data seen at the roster check becomes a review task (one per case)."""
    return actions.open_reviews(application_ids, "death", "部门数据显示领款人或家庭成员已死亡", on, by=by)


def on_findings_recorded(
    sender: Any, *, by: Any, run: ReverificationRun, application_ids: list[int], on: dt.date, **kwargs: Any
) -> int:
    """A re-verification finding on a case in payment opens its 部门数据预警 review (DYN-1)."""
    reason = f"批量复核发现部门数据预警（核对批次{run.pk}），请入户核实"
    return actions.open_reviews(application_ids, "data", reason, on, by=by)


def review_deadlines() -> list[tuple[models.QuerySet[Any], str]]:
    """Open reviews' deadlines are counted in working days: a calendar change moves them."""
    return [(Review.objects.open(), "due_on")]


def reviews_panel(application: Any) -> SafeString:
    """复核与调整 on the case page: each decided review, what it did to the amount and from when,
    who decided it and its notice, under the amount paid now when it is not the approval's — the
    case page's 决定 row keeps what was decided at approval."""
    rows = list(
        Review.objects.filter(application=application, status="decided")
        .select_related("decided_by", "notice")
        .order_by("decided_at", "pk")
    )
    current = _current_amount(application)
    if not rows and current is None:
        return mark_safe("")
    return mark_safe(render_to_string("monitoring/_case_reviews.html", {"rows": rows, "current": current}))


def _current_amount(application: Any) -> dict[str, Any] | None:
    """现救助金额 when what the case pays now is not what was approved: a review, a standard raise
    or a 高龄/残疾 supplement (read from the rosters, as the family reads it on 掌上办)."""
    if application.decision != "approved" or application.program not in MONTHLY_PROGRAMS:
        return None
    amount, since, before = monthly_amount(application)
    if amount == application.approved_amount_fen and before is None:
        return None
    return {"amount_fen": amount, "since": since, "before_fen": before}


def connect() -> None:
    panels.register(reviews_panel)
    death_recorded.connect(on_death_recorded, dispatch_uid="monitoring.on_death_recorded")
    deaths_found.connect(on_deaths_found, dispatch_uid="monitoring.on_deaths_found")
    deaths_flagged.connect(on_deaths_flagged, dispatch_uid="monitoring.on_deaths_flagged")
    findings_recorded.connect(on_findings_recorded, dispatch_uid="monitoring.on_findings_recorded")
    deadlines.register(review_deadlines)
    register_value_labels(30, REVIEW_KINDS, REVIEW_STATUS, OUTCOMES)
    register_value_labels(5, EMERGENCY_KINDS)
    register_value_labels(25, LIFE_EVENT_KINDS)  # a review's 成员死亡 names "death" on the trail
    register_value_labels(5, AFTER_LOAD_STEPS)  # low rank: another app's meaning of a code wins
    register_key_labels("targets", CAMPAIGN_TARGETS)  # 摸底排查's 排查对象
    # A loaded department batch, each step isolated (a failure is kept and retried, never stops
    # the others): deaths and moves out reach the money (DYN-7, LNK-11), the county's monitoring
    # rules are evaluated again (政策找人), a 疑似困难人员名单 is matched, scored and becomes
    # 核查任务 (DIS-3).
    batch_loaded.connect(after_load.on_loaded_life_events, dispatch_uid="monitoring.on_batch_loaded")
    batch_loaded.connect(after_load.on_loaded_rules, dispatch_uid="monitoring.warnings.batch_loaded")
    batch_loaded.connect(after_load.on_loaded_suspected, dispatch_uid="monitoring.suspected.batch_loaded")
