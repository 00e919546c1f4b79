"""Budget lines, monthly plans, execution, sources and forecast."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status

from jiuzhu.web.files import file_response

from .. import actions, queries
from ..models import (
    BudgetLine,
    MonthlyPlan,
)
from ._common import _actor, _line, _listing, _view, _year, router


def line_out(line: BudgetLine, plan: dict[int, int] | None = None) -> dict[str, Any]:
    return {
        "id": line.pk,
        "year": line.year,
        "area_code": line.area_code,
        "program": line.program,
        "program_label": line.get_program_display(),
        "source": line.source,
        "source_label": line.get_source_display(),
        "amount_fen": line.amount_fen,
        "tilted": line.tilted,
        "tilt_note": line.tilt_note,
        "note": line.note,
        **({"months": {str(m): v for m, v in plan.items()}} if plan is not None else {}),
    }


def _plan(line: BudgetLine) -> dict[int, int]:
    stored = dict(MonthlyPlan.objects.filter(line=line).values_list("month", "amount_fen"))
    return {m: stored.get(m, 0) for m in range(1, 13)}


class LineIn(Schema):
    year: int
    area_code: str
    program: str
    source: str
    amount_fen: int
    tilted: bool = False
    tilt_note: str = ""
    note: str = ""


class LinePatch(Schema):
    amount_fen: int | None = None
    tilted: bool | None = None
    tilt_note: str | None = None
    note: str | None = None


class PlanIn(Schema):
    months: dict[str, int]


@router.get("/lines", summary="预算科目列表")
def list_lines(
    request: HttpRequest, year: int | None = None, area_code: str = "", program: str = "", source: str = ""
) -> dict[str, Any]:
    return _listing(
        BudgetLine.objects.visible_to(_view(request)),
        line_out,
        limit=1000,
        year=year,
        area_code=area_code.ljust(12, "0") if area_code else "",
        program=program,
        source=source,
    )


@router.post("/lines", response={201: dict}, summary="新增预算科目（同一年度、区划、项目、来源不可重复）")
def create_line(request: HttpRequest, body: LineIn) -> Status[dict[str, Any]]:
    return Status(201, line_out(actions.create_budget_line(by=_actor(request), **body.dict())))


@router.get("/lines/{line_id}", summary="预算科目详情（含月度用款计划）")
def get_line(request: HttpRequest, line_id: int) -> dict[str, Any]:
    line = _line(request, line_id)
    return line_out(line, _plan(line))


@router.patch("/lines/{line_id}", summary="调整预算科目")
def update_line(request: HttpRequest, line_id: int, body: LinePatch) -> dict[str, Any]:
    line = actions.update_budget_line(_line(request, line_id), by=_actor(request), **body.dict())
    return line_out(line, _plan(line))


@router.put("/lines/{line_id}/plan", summary="设置月度用款计划（整年替换，合计不得超过年度预算）")
def set_plan(request: HttpRequest, line_id: int, body: PlanIn) -> dict[str, Any]:
    line = _line(request, line_id)
    actions.set_monthly_plan(line, by=_actor(request), months=body.months)
    return line_out(line, _plan(line))


@router.get("/execution", summary="预算执行情况（计划与实际发放按月对比；format=xlsx 导出Excel）")
def execution(
    request: HttpRequest, year: int | None = None, area_code: str = "", program: str = "", format: str = ""
) -> Any:
    user = _view(request)
    year = _year(year)
    report = queries.execution(user, year=year, root=queries.root_area(user, area_code), program=program)
    if format == "xlsx":
        return file_response(queries.execution_xlsx(report), f"预算执行-{year}.xlsx")
    root = report["root"]
    return {
        "year": year,
        "area_code": root.code if root else None,
        "rows": [{k: v for k, v in r.items() if k != "key"} for r in report["rows"]],
        "totals": report["totals"],
    }


@router.get("/sources", summary="预算按资金来源统计（含财政困难县倾斜、慈善捐赠收入）")
def sources(request: HttpRequest, year: int | None = None, area_code: str = "") -> dict[str, Any]:
    user = _view(request)
    return queries.by_source(user, year=_year(year), root=queries.root_area(user, area_code))


@router.get("/forecast", summary="全年资金需求预测与缺口")
def forecast(request: HttpRequest, year: int | None = None, area_code: str = "", as_of: dt.date | None = None) -> Any:
    user = _view(request)
    result = queries.forecast(user, year=_year(year), root=queries.root_area(user, area_code), as_of=as_of)
    return {**result, "as_of": result["as_of"].isoformat()}
