"""Bank files (发放批次), bank results (回盘) and reconciliation (对账)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.web.files import file_response

from .. import actions, queries
from ..models import AdjustmentNoticeJob, BankBatch, BankExportJob
from ._common import _do, _viewer
from .rosters import _roster


@login_required
@require_POST
def bank_export(request: AuthedRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    layout = int(request.POST["layout"]) if request.POST.get("layout", "").isdigit() else None
    fn = actions.reissue if request.POST.get("kind") == "reissue" else actions.export_bank_file
    result = _do(request, lambda: fn(roster, by=request.user, layout=layout), "")
    if result is None:
        return redirect("payments:roster", roster.pk)
    batch, content, name = result
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


@login_required
@require_POST
def bank_export_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    """重试 a failed bank export (its worker died, or it was refused): the file on success."""
    job: BankExportJob = get_object_or_404(BankExportJob.objects.visible_to(_viewer(request)), pk=pk)
    result = _do(request, lambda: actions.retry_bank_export(job, by=request.user), "")
    if result is None:
        return redirect("payments:roster", job.roster_id)
    batch, content, name = result
    return file_response(content, name, {"X-Batch-Id": str(batch.pk)})


@login_required
@require_POST
def adjustment_notice_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    """重试 a failed 调整告知书 job: the notices already issued are not issued twice."""
    job: AdjustmentNoticeJob = get_object_or_404(AdjustmentNoticeJob.objects.visible_to(_viewer(request)), pk=pk)
    _do(
        request,
        lambda: actions.retry_adjustment_notices(job, by=request.user),
        "已重新提交调整告知书生成任务，已生成的告知书不会重复生成",
    )
    return redirect("payments:roster", job.roster_id)


def _batch(request: HttpRequest, pk: int) -> BankBatch:
    batch: BankBatch = get_object_or_404(
        BankBatch.objects.visible_to(_viewer(request)).select_related("roster", "layout"), pk=pk
    )
    return batch


@login_required
def batch_file(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    result = _do(request, lambda: actions.bank_file(batch, by=request.user), "")
    if result is None:
        return redirect("payments:roster", batch.roster_id)
    return file_response(*result)


@login_required
@require_POST
def batch_results(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择银行回盘文件")
        return redirect("payments:roster", batch.roster_id)
    report = _do(
        request,
        lambda: actions.import_bank_results(
            batch, by=request.user, file_name=upload.name or "回盘", data=upload.read()
        ),
        "",
    )
    if report is not None:
        (messages.info if report.duplicate else messages.success)(request, report.message)
    return redirect(
        reverse("payments:roster", args=[batch.roster_id]) + ("?status=failed" if report and report.failed else "")
    )


@login_required
def reconciliation_view(request: HttpRequest, pk: int) -> HttpResponse:
    roster = _roster(request, pk)
    rec = queries.reconciliation(roster)
    if request.GET.get("format") == "xlsx":
        return file_response(queries.reconciliation_xlsx(rec, roster), f"对账报告-{roster.month:%Y%m}.xlsx")
    return render(request, "payments/reconciliation.html", {"roster": roster, "rec": rec})
