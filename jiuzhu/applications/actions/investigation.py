"""入户调查 and 家庭经济状况核对: starting, recording, submitting for review, investigating again."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.registry.actions import store_generated
from jiuzhu.verification.actions import request_verification

from .. import notices
from ..models import Application, Investigation
from ._common import _begin, _deadline, _facts_for, _finish, _meet, _sniff, _today, _urban_checked


def start_investigation(application: Application, *, by: User) -> Application:
    """开始入户调查 and 委托核对 together (seed 004: 关口前移，同步开展)."""
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "start_investigation", by=by)
        request = request_verification(by=by, household=app.household, program=app.program, application=app)
        return _finish(app, row, {"verification_request": request.pk}, by=by)


def record_investigation(
    application: Application,
    *,
    by: User,
    visited_on: dt.date,
    investigators: str,
    housing: str,
    living_conditions: str,
    labour: str,
    health: str,
    remarks: str = "",
    photos: list[Any] | None = None,
    facts: dict[str, Any] | None = None,
) -> Investigation:
    """入户调查 (WF-*): the home-visit record by two investigators, optionally with the
    household facts as found (收入核算)."""
    if len([n for n in investigators.replace("，", ",").replace("、", ",").split(",") if n.strip()]) < 2:
        raise InvalidInput(
            "two_investigators", "入户调查须由两名工作人员进行，请填写两名调查人员", field="investigators"
        )
    if visited_on > _today():
        raise InvalidInput("invalid_date", "调查日期不能晚于今天", field="visited_on")
    for key, value in (
        ("housing", housing),
        ("living_conditions", living_conditions),
        ("labour", labour),
        ("health", health),
    ):
        if not (value or "").strip():
            raise InvalidInput("required", "请填写住房、生活、劳动就业和健康状况", field=key)
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "record_investigation", by=by)
        if facts is not None:
            app.urban = _urban_checked(app.household, facts.get("urban"), "facts.urban")
            new_facts = _facts_for(
                app.program,
                {**facts, "urban": app.urban},
                app.temporary_kind,
                (app.facts.get("temporary") or {}).get("approval_level") or config.approval_level(app.program),
                (app.facts.get("temporary") or {}).get("event", ""),
            )
            if "temporary" in new_facts:  # a level raised by 报县级审批 or 一事一议 stays with the case
                new_facts["temporary"] = {**(app.facts.get("temporary") or {}), **new_facts["temporary"]}
            evaluate_household(app.area_code, _today(), [app.program], new_facts)  # validates
            app.facts, app.declared_facts = new_facts, None  # a new declaration
        visit = Investigation.objects.create(
            application=app,
            visited_on=visited_on,
            investigators=investigators.strip(),
            housing=housing,
            living_conditions=living_conditions,
            labour=labour,
            health=health,
            remarks=remarks,
            recorded_by=user_or_none(by),
        )
        for i, upload in enumerate(photos or []):
            data = upload.read()
            kind = _sniff(data)
            if kind not in ("image/jpeg", "image/png", "image/webp"):
                raise InvalidInput("unsupported_file", "调查照片应为JPG、PNG或WEBP图片", field=f"photos[{i}]")
            if len(data) > 10 * 1024 * 1024:
                raise InvalidInput("file_too_large", "单张照片不得超过10MB", field=f"photos[{i}]")
            visit.photos.add(
                store_generated(
                    app.household,
                    data,
                    by=by,
                    kind="photo",
                    title=f"入户调查照片 {visited_on:%Y-%m-%d}",
                    filename=upload.name,
                    content_type=kind,
                )
            )
        app.investigation_done_at = timezone.now()
        _finish(
            app, row, {"investigation": visit.pk, "visited_on": visited_on, "facts_updated": facts is not None}, by=by
        )
    return visit


def submit_review(application: Application, *, by: User) -> Application:
    """提交审核: both the home visit and the 核对报告 are in (WF-*)."""
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "submit_review", by=by)
        if app.investigation_done_at is None:
            raise DomainError("investigation_missing", "尚未录入入户调查，不能提交审核")
        if not app.verification_requests.filter(status="done").exists():
            raise DomainError("verification_pending", "家庭经济状况核对报告尚未出具，请待核对中心出具报告后再提交审核")
        _meet(app, "investigation")
        return _finish(app, row, by=by)


def reinvestigate(application: Application, *, by: User, reason: str) -> Application:
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写重新调查的原因", field="reason")
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "reinvestigate", by=by)
        app.investigation_done_at = None
        app.decision, app.publicity_start, app.publicity_end = "", None, None
        app.amount_fen = app.approved_amount_fen = None
        app.decision_settings = []  # decided again later, under the settings it is then decided with
        _meet(app, "publicity")
        _deadline(
            app,
            "investigation",
            "重新入户调查",
            current_calendar().add_working_days(_today(), config.investigation_days),
        )
        return _finish(app, row, {"reason": reason}, by=by)
