"""The API of oversight in 动态管理, under ``/api/v1/monitoring/``: the life events department
data brought (``GET /life-events``, DYN-7, LNK-11) and staff-conduct monitoring
(``GET /conduct?area_code=&month=``, DIS-10) and the measured yield of the monitoring rules
and department lists (``GET /yield?area_code=&month=``, DIS-11). Read-only; jurisdiction-filtered."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.core.errors import InvalidInput

from . import conduct as conduct_mod
from . import measured_yield
from .models import LIFE_EVENT_KINDS, LifeEvent

router = Router(tags=["动态管理与主动发现"])


def _actor(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def life_event_out(ev: LifeEvent) -> dict[str, Any]:
    return {
        "id": ev.pk,
        "person_id": ev.person_id,
        "name": ev.person.name,
        "household_id": ev.household_id,
        "area_code": ev.area_code,
        "kind": ev.kind,
        "kind_label": ev.get_kind_display(),
        "event_on": ev.event_on,
        "category": ev.category,
        "detail": ev.detail,
        "batch_id": ev.batch_id,
        "source": ev.source_name,
        "status": ev.status,
        "status_label": ev.get_status_display(),
        "cases": ev.cases,
        "recovery_months": ev.recovery_months,
        "recorded_at": ev.recorded_at,
    }


@router.get("/life-events", summary="部门数据生命事件（死亡、户籍注销、迁出）及其对救助金的处理")
def life_events(request: HttpRequest, kind: str = "", area_code: str = "", page: int = 1) -> dict[str, Any]:
    user = _actor(request)
    require(user, "payments.view")
    qs = LifeEvent.objects.visible_to(user).select_related("person")
    if kind:
        if kind not in dict(LIFE_EVENT_KINDS):
            raise InvalidInput("invalid_choice", "事件类型无效：应为死亡或户籍迁出", field="kind")
        qs = qs.filter(kind=kind)
    if area_code:
        if not area_code.isdigit() or len(area_code) > 12:
            raise InvalidInput("invalid_area", "区划代码应为数字", field="area_code")
        qs = qs.filter(area_code__startswith=area_code)
    if page < 1:
        raise InvalidInput("invalid_page", "页码应为正整数", field="page")
    size = 100
    return {
        "count": qs.count(),
        "page": page,
        "items": [life_event_out(ev) for ev in qs[(page - 1) * size : page * size]],
    }


@router.get("/conduct", summary="工作作风监督：超期、无理由改变决定、未入户即办结（按镇、经办人统计及明细）")
def conduct(request: HttpRequest, area_code: str = "", month: str = "") -> dict[str, Any]:
    return conduct_mod.conduct_report(by=_actor(request), area_code=area_code or None, month=month or None)


@router.get(
    "/yield", summary="预警成效：按预警规则和部门名单统计当月预警、核查任务、核查结果、申请、审批、精准率和首次发放时间"
)
def yield_(request: HttpRequest, area_code: str = "", month: str = "") -> dict[str, Any]:
    return measured_yield.yield_report(by=_actor(request), area_code=area_code or None, month=month or None)
