"""Bank file endpoints: layouts, export and re-issue, results (回盘) and reconciliation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Schema
from ninja.files import UploadedFile

from jiuzhu.web.files import file_response

from .. import actions, queries
from ..actions import layouts as layout_actions
from ..models import BankBatch, BankExportJob, BankLayout
from ._common import _actor, _view, router
from .rosters import _roster


class LayoutIn(Schema):
    layout_id: int | None = None


def _layout_out(x: BankLayout) -> dict[str, Any]:
    return {
        "id": x.pk,
        "code": x.code,
        "name": x.name,
        "file_format": x.file_format,
        "encoding": x.encoding,
        "delimiter": x.delimiter,
        "columns": x.columns,
        "column_header": x.column_header,
        "header_rows": x.header_rows,
        "footer_rows": x.footer_rows,
        "file_name": x.file_name,
        "amount_grouping": x.amount_grouping,
        "result_format": x.result_format,
        "result_columns": x.result_columns,
        "result_fields": x.result_fields,
        "result_skip_head": x.result_skip_head,
        "result_skip_tail": x.result_skip_tail,
        "success_values": x.success_values,
        "amount_unit": x.amount_unit,
        "is_default": x.is_default,
    }


@router.get("/layouts", summary="银行文件格式（只读；标准格式在开通县区时建立）")
def layouts(request: HttpRequest, county_code: str = "") -> list[dict[str, Any]]:
    user = _view(request)
    county = county_code or (user.area.county_code if getattr(user, "area", None) else "")
    return [_layout_out(x) for x in actions.layouts_for(county, by=user)]


class LayoutSaveIn(Schema):
    county_code: str
    code: str
    name: str
    file_format: str = "csv"
    encoding: str = "gb18030"
    delimiter: str = "comma"
    columns: list[dict[str, Any]]
    column_header: bool = True
    header_rows: list[str] = []
    footer_rows: list[str] = []
    file_name: str = ""
    amount_grouping: bool = False
    result_format: str = "table"
    result_columns: dict[str, str] = {}
    result_fields: list[dict[str, Any]] = []
    result_skip_head: int = 0
    result_skip_tail: int = 0
    success_values: list[str]
    amount_unit: str = "yuan"
    is_default: bool = False


@router.post("/layouts", summary="新增或修改银行文件格式（同一代码即修改）")
def save_layout(request: HttpRequest, body: LayoutSaveIn) -> dict[str, Any]:
    layout = layout_actions.save_layout(by=_actor(request), **body.dict())
    return _layout_out(layout)


def _own_layout(request: HttpRequest, layout_id: int) -> BankLayout:
    user = _view(request)
    county = user.area.county_code if getattr(user, "area", None) else ""
    layout: BankLayout = get_object_or_404(BankLayout, pk=layout_id, county_code=county)
    return layout


@router.get("/layouts/{layout_id}/preview", summary="银行文件格式预览：样例文件的文字内容和样例回盘文件读回结果")
def layout_preview(request: HttpRequest, layout_id: int) -> dict[str, Any]:
    return layout_actions.preview(_own_layout(request, layout_id)).as_dict()


@router.get("/layouts/{layout_id}/sample", summary="下载样例文件", response={200: None})
def layout_sample(request: HttpRequest, layout_id: int) -> HttpResponse:
    content, name = layout_actions.preview_layout(_own_layout(request, layout_id))
    return file_response(content, name)


@router.get("/layouts/{layout_id}/sample-result", summary="下载样例回盘文件", response={200: None})
def layout_sample_result(request: HttpRequest, layout_id: int) -> HttpResponse:
    content, name = layout_actions.sample_results(_own_layout(request, layout_id))
    return file_response(content, name)


@router.post("/rosters/{roster_id}/bank-file", summary="导出银行发放文件（首批）", response={200: None})
def export_bank(request: HttpRequest, roster_id: int, body: LayoutIn) -> HttpResponse:
    batch, content, name = actions.export_bank_file(
        _roster(request, roster_id), by=_actor(request), layout=body.layout_id
    )
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


@router.post("/rosters/{roster_id}/reissue", summary="重新发放失败和补发的记录（新批次文件）", response={200: None})
def reissue(request: HttpRequest, roster_id: int, body: LayoutIn) -> HttpResponse:
    batch, content, name = actions.reissue(_roster(request, roster_id), by=_actor(request), layout=body.layout_id)
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


class BankExportJobOut(Schema):
    id: int
    roster_id: int
    kind: str
    status: str
    error: str
    attempts: int
    batch_id: int | None


@router.get("/export-jobs/{job_id}", summary="银行文件导出任务状态", response=BankExportJobOut)
def export_job(request: HttpRequest, job_id: int) -> Any:
    job = get_object_or_404(BankExportJob.objects.visible_to(_view(request)), pk=job_id)
    actions.recover_bank_exports(BankExportJob.objects.filter(pk=job.pk))
    job.refresh_from_db()
    return job


@router.post("/export-jobs/{job_id}/retry", summary="重试失败的银行文件导出（返回文件）", response={200: None})
def retry_export_job(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(BankExportJob.objects.visible_to(_view(request)), pk=job_id)
    batch, content, name = actions.retry_bank_export(job, by=_actor(request))
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


def _batch(request: HttpRequest, batch_id: int) -> BankBatch:
    batch: BankBatch = get_object_or_404(
        BankBatch.objects.visible_to(_view(request)).select_related("roster", "layout"), pk=batch_id
    )
    return batch


@router.get("/batches/{batch_id}/file", summary="重新下载银行文件", response={200: None})
def download(request: HttpRequest, batch_id: int) -> HttpResponse:
    content, name = actions.bank_file(_batch(request, batch_id), by=_actor(request))
    return file_response(content, name)


@router.post("/batches/{batch_id}/results", summary="导入银行回盘文件（错误逐行报告；同一文件重复导入不重复记账）")
def results(request: HttpRequest, batch_id: int, file: File[UploadedFile]) -> dict[str, Any]:
    report = actions.import_bank_results(
        _batch(request, batch_id), by=_actor(request), file_name=file.name or "回盘", data=file.read()
    )
    return {**report.as_dict(), "message": report.message}


@router.get("/rosters/{roster_id}/reconciliation", summary="对账报告（format=xlsx 导出Excel）")
def reconciliation(request: HttpRequest, roster_id: int, format: str = "json") -> Any:
    roster = _roster(request, roster_id)
    rec = queries.reconciliation(roster)
    if format == "xlsx":
        return file_response(queries.reconciliation_xlsx(rec, roster), f"对账报告-{roster.month:%Y%m}.xlsx")
    return rec
