"""The API of 抽查 (SUP-5), under ``/api/v1/monitoring/spot-checks``: list and draw, one check
with its drawn cases (those in the caller's area), a case's ``result`` (county) and ``rectify``
(the town), and ``actions/close``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import NotFound

from . import spot_checks
from .models import SpotCheck, SpotCheckItem

router = Router(tags=["监督"])


def _user(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    return user


def check_out(c: SpotCheck, s: spot_checks.Summary, drawn_total: int) -> dict[str, Any]:
    """``drawn`` … ``rectified`` count the drawn cases in the caller's area; ``drawn_total`` the
    whole draw."""
    return {
        "id": c.pk,
        "county_code": c.county_code,
        "name": c.name,
        "decided_from": c.decided_from,
        "decided_to": c.decided_to,
        "towns": c.towns,
        "programs": c.programs,
        "percent": c.percent,
        "population": c.population,
        "seed": c.seed,
        "status": c.status,
        "status_name": c.get_status_display(),
        "created_at": c.created_at,
        "closed_at": c.closed_at,
        "drawn_total": drawn_total,
        "drawn": s.drawn,
        "checked": s.checked,
        "problems": s.problems,
        "rectified": s.rectified,
    }


def item_out(i: SpotCheckItem) -> dict[str, Any]:
    a = i.application
    return {
        "id": i.pk,
        "application_id": a.pk,
        "application_number": a.number,
        "program": a.program,
        "area_code": i.area_code,
        "decision": a.decision,
        "decided_at": a.decided_at,
        "approved_amount_fen": a.approved_amount_fen,
        "result": i.result,
        "result_name": i.get_result_display() if i.result else "未检查",
        "finding": i.finding,
        "checked_at": i.checked_at,
        "rectification": i.rectification,
        "rectified_at": i.rectified_at,
    }


class DrawIn(Schema):
    name: str = ""
    decided_from: str = ""
    decided_to: str = ""
    towns: list[str] = []  # 9-digit town codes; empty = every town
    programs: list[str] = []  # dibao, tekun, temporary, dibao_edge, rigid_expense; empty = all


class ResultIn(Schema):
    result: str = ""  # compliant 符合规定, problem 存在问题
    finding: str = ""


class RectifyIn(Schema):
    note: str = ""


def _items(user: User, check: SpotCheck) -> Any:
    return spot_checks.visible_items(check, user)


@router.get("/spot-checks", summary="抽查（本县）")
def list_spot_checks(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    qs = SpotCheck.objects.visible_to(user)
    checks = list(qs[:200])
    counts = spot_checks.summaries(SpotCheckItem.objects.visible_to(user).filter(spot_check__in=checks))
    totals = spot_checks.drawn_totals(checks)
    none = spot_checks.Summary(0, 0, 0, 0)
    items = [check_out(c, counts.get(c.pk, none), totals.get(c.pk, 0)) for c in checks]
    return {"count": qs.count(), "items": items}


@router.post("/spot-checks", response={201: dict}, summary="随机抽取乡镇（街道）审批决定（按县级抽查比例）")
def draw(request: HttpRequest, body: DrawIn) -> Status[dict[str, Any]]:
    user = _user(request)
    check = spot_checks.draw_spot_check(body.dict(), by=user)
    return Status(201, check_out(check, spot_checks.summary(_items(user, check)), check.items.count()))


def _check(request: HttpRequest, check_id: int) -> SpotCheck:
    check: SpotCheck = get_object_or_404(SpotCheck.objects.visible_to(_user(request)), pk=check_id)
    return check


@router.get("/spot-checks/{check_id}", summary="抽查详情和抽中的案件（本辖区）")
def get_spot_check(request: HttpRequest, check_id: int) -> dict[str, Any]:
    user, check = _user(request), _check(request, check_id)
    items = _items(user, check).select_related("application").order_by("area_code", "id")
    out = check_out(check, spot_checks.summary(_items(user, check)), check.items.count())
    return {**out, "cases": [item_out(i) for i in items]}


def _item(request: HttpRequest, check_id: int, item_id: int) -> SpotCheckItem:
    check = _check(request, check_id)
    item: SpotCheckItem = get_object_or_404(_items(_user(request), check), pk=item_id)
    return item


@router.post("/spot-checks/{check_id}/cases/{item_id}/result", summary="登记抽查结论（县级）")
def result(request: HttpRequest, check_id: int, item_id: int, body: ResultIn) -> dict[str, Any]:
    item = spot_checks.record_spot_check_result(
        _item(request, check_id, item_id), by=_user(request), result=body.result, finding=body.finding
    )
    return item_out(item)


@router.post("/spot-checks/{check_id}/cases/{item_id}/rectify", summary="反馈整改情况（乡镇（街道）审批）")
def rectify(request: HttpRequest, check_id: int, item_id: int, body: RectifyIn) -> dict[str, Any]:
    item = spot_checks.rectify_spot_check_item(_item(request, check_id, item_id), by=_user(request), note=body.note)
    return item_out(item)


@router.post("/spot-checks/{check_id}/actions/{name}", summary="抽查操作：close 结束抽查")
def action(request: HttpRequest, check_id: int, name: str) -> dict[str, Any]:
    if name != "close":
        raise NotFound("unknown_action", f"没有名为“{name}”的抽查操作（可用：close）")
    user = _user(request)
    check = spot_checks.close_spot_check(_check(request, check_id), by=user)
    return check_out(check, spot_checks.summary(_items(user, check)), check.items.count())
