"""公示: its end without objection, objections (异议) and the 民主评议 that follows them."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, InvalidInput

from .. import notices
from ..models import Application, Deliberation, Objection
from ._common import _begin, _finish, _today
from .decision import _close


def close_publicity(application: Application, *, by: User) -> Application:
    """公示期满无异议 (devolved): the town's decision stands."""
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "close_publicity", by=by)
        if app.publicity_end and _today() <= app.publicity_end:
            raise DomainError("publicity_running", f"公示期至{day_label(app.publicity_end)}，期满后方可办结")
        if app.objections.exists() and not app.deliberations.exists():
            raise DomainError("objection_open", "公示期间有异议，须先组织民主评议")
        _close(app, by=by)
        return _finish(app, row, by=by)


def object_(
    application: Application, *, by: User, raised_by: str, content: str, received_on: dt.date, contact: str = ""
) -> Objection:
    """登记公示异议: who, what, when (WF-*); the case goes to 民主评议."""
    if not raised_by.strip() or not content.strip():
        raise InvalidInput("required", "请填写异议人和异议内容", field="content")
    if received_on > _today():
        raise InvalidInput("invalid_date", "异议收到日期不能晚于今天", field="received_on")
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "object", by=by)
        if app.publicity_start and received_on < app.publicity_start:
            raise InvalidInput(
                "invalid_date",
                f"异议收到日期不能早于公示开始日期（{day_label(app.publicity_start)}）",
                field="received_on",
            )
        objection = Objection.objects.create(
            application=app,
            raised_by=raised_by.strip(),
            content=content.strip(),
            received_on=received_on,
            contact=contact,
            recorded_by=user_or_none(by),
        )
        _finish(app, row, {"objection": objection.pk, "raised_by": raised_by, "content": content}, by=by)
    return objection


def record_deliberation(
    application: Application,
    *,
    by: User,
    held_on: dt.date,
    participants: str,
    minutes: str,
    votes_for: int,
    votes_against: int,
    votes_abstain: int = 0,
    outcome: str,
) -> Deliberation:
    """民主评议: participants, minutes and vote; the approver then decides."""
    if outcome not in ("uphold", "revoke"):
        raise InvalidInput("invalid_choice", "评议结论应为维持或不予维持", field="outcome")
    if min(votes_for, votes_against, votes_abstain) < 0 or votes_for + votes_against + votes_abstain == 0:
        raise InvalidInput("invalid_votes", "请填写有效的表决票数", field="votes_for")
    if not participants.strip() or not minutes.strip():
        raise InvalidInput("required", "请填写参加人员和评议记录", field="minutes")
    if held_on > _today():
        raise InvalidInput("invalid_date", "民主评议日期不能晚于今天", field="held_on")
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "record_deliberation", by=by)
        last = app.objections.order_by("-received_on").values_list("received_on", flat=True).first()
        if last is not None and held_on < last:
            raise InvalidInput(
                "invalid_date", f"民主评议日期不能早于异议收到日期（{day_label(last)}）", field="held_on"
            )
        item = Deliberation.objects.create(
            application=app,
            held_on=held_on,
            participants=participants.strip(),
            minutes=minutes.strip(),
            votes_for=votes_for,
            votes_against=votes_against,
            votes_abstain=votes_abstain,
            outcome=outcome,
            recorded_by=user_or_none(by),
        )
        _finish(
            app,
            row,
            {"deliberation": item.pk, "outcome": outcome, "votes": [votes_for, votes_against, votes_abstain]},
            by=by,
        )
    return item
