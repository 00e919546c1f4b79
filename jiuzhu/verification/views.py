"""核对中心 pages. Views convert and render; actions decide."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.queries import household_of_member
from jiuzhu.web.forms import run_action
from jiuzhu.web.labels import area_labels
from jiuzhu.web.pagination import IdPaginator

from . import actions, ingest, peers
from .catalog import FIELD_TYPES
from .forms import HandleForm, RefuseForm, RunForm, UploadForm, VerifyForm
from .models import Batch, Finding, Peer, PeerQuery, Provider, Report, ReverificationRun, Source, VerificationRequest

PAGE_SIZE = 20
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _allowed(user: Any, *codes: str) -> None:
    if not any(actions.can(user, c) for c in codes):
        raise PermissionDenied


def source_rows(user: Any, only: Source | None = None) -> list[dict[str, Any]]:
    """Each data type with its latest loaded batch in the user's county and its freshness."""
    county = user.area.code[:6] if getattr(user, "area", None) else ""
    sources = Source.objects.select_related("provider").prefetch_related("schemas").order_by("order", "code")
    if only is not None:
        sources = sources.filter(pk=only.pk)
    latest = {
        r["source_id"]: r["last"]
        for r in Batch.objects.filter(status="loaded", county_code=county)
        .values("source_id")
        .annotate(last=Max("id"))
        .order_by()
    }
    batches = {b.pk: b for b in Batch.objects.filter(pk__in=latest.values())}
    now = timezone.now()
    rows = []
    for s in sources:
        schema = max(s.schemas.all(), key=lambda x: x.version, default=None)
        b = batches.get(latest.get(s.pk, 0))
        rows.append(
            {
                "code": s.code,
                "name": s.name,
                "provider_code": s.provider.code,
                "provider_name": s.provider.name,
                "mode": s.mode,
                "schema_version": schema.version if schema else None,
                "headers": schema.headers if schema else [],
                "stale_after_days": s.stale_after_days,
                "bank_data": s.bank_data,
                "active": s.active,
                "last_batch_id": b.pk if b else None,
                "last_loaded_at": b.loaded_at if b else None,
                "rows": b.rows_loaded if b else None,
                "fresh": (now - b.loaded_at).days <= s.stale_after_days if b and b.loaded_at else None,
                "may_upload": actions.may_upload(user, s),
            }
        )
    return rows


@login_required
def index(request: AuthedRequest) -> HttpResponse:
    """核对中心: the queue of the verification centre, a department's uploads, findings."""
    user = request.user
    _allowed(user, "verification.run", "verification.view", "sources.upload", "sources.manage")
    context: dict[str, Any] = {
        "can_run": actions.can(user, "verification.run"),
        "can_upload": actions.can(user, "sources.upload") or actions.can(user, "sources.manage"),
        "can_view": actions.can(user, "verification.view") or actions.can(user, "verification.run"),
    }
    if context["can_run"]:
        context["pending"] = (
            VerificationRequest.objects.visible_to(user)
            .filter(status="pending")
            .select_related("household", "application")
            .order_by("requested_at", "id")[:100]
        )
        context["verify_form"] = VerifyForm()
        context["runs"] = ReverificationRun.objects.visible_to(user).order_by("-id")[:5]
    if context["can_view"]:
        context["reports"] = Report.objects.visible_to(user).select_related("household").order_by("-id")[:20]
        context["open_findings"] = Finding.objects.visible_to(user).filter(status="open").count()
    if context["can_upload"]:
        context["my_sources"] = [r for r in source_rows(user) if r["may_upload"]]
        context["batches"] = Batch.objects.visible_to(user).select_related("source").order_by("-id")[:20]
    return render(request, "verification/index.html", context)


@login_required
def sources(request: AuthedRequest) -> HttpResponse:
    """核对数据目录 (read-only): departments, data types, latest batch, rows and freshness."""
    _allowed(request.user, "verification.run", "verification.view", "sources.upload", "sources.manage")
    rows = source_rows(request.user)
    providers = Provider.objects.annotate(n=Count("sources")).order_by("order", "code")
    by_provider: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_provider.setdefault(r["provider_code"], []).append(r)
    context = {
        "providers": [(p, by_provider.get(p.code, [])) for p in providers],
        "source_count": len(rows),
        "stale": sum(1 for r in rows if r["fresh"] is False),
        "missing": sum(1 for r in rows if r["last_batch_id"] is None),
    }
    return render(request, "verification/sources.html", context)


@login_required
def upload(request: AuthedRequest, code: str) -> HttpResponse:
    """数据上报 in the browser: the file is checked and loaded by a background job."""
    source = get_object_or_404(Source.objects.select_related("provider"), code=code)
    if not actions.may_upload(request.user, source):
        raise PermissionDenied
    form = UploadForm(request.POST or None, request.FILES or None, mode=source.mode)
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            batch, created = actions.receive_batch(
                source,
                f.chunks(ingest.CHUNK),
                by=request.user,
                filename=f.name,
                declared_encoding=form.cleaned_data["encoding"],
                kind=form.cleaned_data["kind"],
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
                expected_rows=form.cleaned_data["expected_rows"],
                channel="ui",
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            if created:
                messages.success(request, f"文件已接收（批次#{batch.pk}），正在校验入库")
            else:
                messages.warning(
                    request,
                    f"同一文件已于{timezone.localtime(batch.received_at):%Y-%m-%d %H:%M}作为批次#{batch.pk}上报"
                    f"（{batch.get_status_display()}），未重复入库",
                )
            return redirect("verification:batch", pk=batch.pk)
    schema = source.current_schema
    fields = [dict(f, type_label=FIELD_TYPES.get(f["type"], f["type"])) for f in (schema.fields if schema else [])]
    context = {"source": source, "schema": schema, "fields": fields, "form": form, "max_part": actions.MAX_PART_BYTES}
    return render(request, "verification/upload.html", context)


def _batch(request: AuthedRequest, pk: int) -> Batch:
    return get_object_or_404(
        Batch.objects.visible_to(request.user).select_related("source", "source__provider", "schema"), pk=pk
    )


@login_required
def batch_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    if ingest.recover_batches(Batch.objects.filter(pk=batch.pk)):
        batch.refresh_from_db()
    context = {"batch": batch, "progress": ingest.read_progress(batch), "errors": batch.errors[:200]}
    template = "verification/batch.html#status" if request.htmx else "verification/batch.html"
    return render(request, template, context)


def error_report_response(batch: Batch) -> HttpResponse:
    response = HttpResponse(ingest.error_report_bytes(batch), content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename=batch-{batch.pk}-errors.xlsx"
    return response


@login_required
def batch_errors(request: AuthedRequest, pk: int) -> HttpResponse:
    return error_report_response(_batch(request, pk))


@login_required
@require_POST
def batch_rerun(request: AuthedRequest, pk: int) -> HttpResponse:
    batch = _batch(request, pk)
    force = request.POST.get("force") == "1"
    run_action(
        request, lambda: actions.rerun_batch(batch, by=request.user, force=force), f"批次#{batch.pk}已重新排队处理"
    )
    return redirect("verification:batch", pk=batch.pk)


# ---- 一键核对 --------------------------------------------------------------------------------------


@login_required
@require_POST
def verify(request: AuthedRequest) -> HttpResponse:
    """一键核对 of a household (from the queue or by household number)."""
    _allowed(request.user, "verification.run")
    req = None
    if request.POST.get("request_id"):
        req = get_object_or_404(VerificationRequest.objects.visible_to(request.user), pk=request.POST["request_id"])
        household, program, application = req.household, req.program, req.application
    else:
        form = VerifyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "请填写家庭编号或成员身份证号，并选择核对项目")
            return redirect("verification:index")
        try:
            household = _household_of(request.user, form.cleaned_data["household_id"])
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("verification:index")
        if household is None:
            messages.error(request, "该家庭不存在或不在您的管辖范围内")
            return redirect("verification:index")
        program, application = form.cleaned_data["program"], None
    try:
        report = actions.run_verification(
            by=request.user, household=household, program=program, application=application, request=req
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or "verification:index")
    messages.success(request, f"已出具核对报告 {report.number}")
    return redirect("verification:report", pk=report.pk)


def _household_of(user: Any, raw: str) -> Household | None:
    """The household of 核对一户: by its number, or by any member's ID number."""
    raw = raw.strip()
    if raw.isdigit() and len(raw) < 15:
        household: Household | None = Household.objects.visible_to(user).filter(pk=int(raw)).first()
        return household
    return household_of_member(user, raw)


@login_required
@require_POST
def refuse(request: AuthedRequest, pk: int) -> HttpResponse:
    req = get_object_or_404(VerificationRequest.objects.visible_to(request.user), pk=pk)
    form = RefuseForm(request.POST)
    reason = form.data.get("reason", "")
    run_action(request, lambda: actions.refuse_request(req, by=request.user, reason=reason), "已作不予核对处理")
    return redirect("verification:index")


def _report(request: AuthedRequest, pk: int) -> Report:
    _allowed(request.user, "verification.run", "verification.view")
    report: Report = get_object_or_404(
        Report.objects.visible_to(request.user).select_related("household", "created_by"), pk=pk
    )
    return report


def _member_names(report: Report) -> dict[int, str]:
    return {m["index"]: m["name"] for m in report.content.get("members", [])}


@login_required
def report_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    actions.log_report_read(report, "view", by=request.user)
    names = _member_names(report)
    facts = [dict(f, member_name=names.get(f["member"], "")) for f in report.content.get("facts", [])]
    context = {
        "report": report,
        "c": report.content,
        "facts": facts,
        "peers": Peer.objects.filter(active=True).exists(),
        "can_run": actions.can(request.user, "verification.run"),
        "history": Report.objects.visible_to(request.user)
        .filter(household_id=report.household_id)
        .exclude(pk=report.pk)[:10],
    }
    return render(request, "verification/report.html", context)


def report_pdf_response(report: Report) -> HttpResponse:
    from .report import pdf_bytes

    response = HttpResponse(pdf_bytes(report), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.number}.pdf"'
    return response


@login_required
def report_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    actions.log_report_read(report, "download", by=request.user)
    return report_pdf_response(report)


@login_required
def household(request: AuthedRequest, pk: int) -> HttpResponse:
    """A household's reports, findings and cross-county answers; 一键核对 from here."""
    _allowed(request.user, "verification.run", "verification.view")
    home = get_object_or_404(Household.objects.visible_to(request.user), pk=pk)
    context = {
        "household": home,
        "members": home.current_members(),
        "reports": Report.objects.visible_to(request.user).filter(household=home).order_by("-id"),
        "findings": Finding.objects.visible_to(request.user).filter(household=home).order_by("-id")[:50],
        "peer_queries": PeerQuery.objects.filter(household=home).select_related("peer", "person").order_by("-id")[:20],
        "peers": Peer.objects.filter(active=True).order_by("code"),
        "can_run": actions.can(request.user, "verification.run"),
        "missing": actions.adults_without_authorization(home),
        "verify_form": VerifyForm(initial={"household_id": home.pk}),
    }
    return render(request, "verification/household.html", context)


@login_required
@require_POST
def peer_query(request: AuthedRequest) -> HttpResponse:
    _allowed(request.user, "verification.run")
    person = get_object_or_404(Person.objects.visible_to(request.user), pk=request.POST.get("person_id") or 0)
    peer = get_object_or_404(Peer, code=request.POST.get("peer", ""), active=True)
    try:
        query = peers.query_peer(by=request.user, person=person, peer=peer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{peer.name}已答复：{query.answer.get('summary', '')}")
    return redirect("verification:household", pk=person.household_id)


# ---- batch re-verification and findings --------------------------------------------------------


@login_required
def runs(request: AuthedRequest) -> HttpResponse:
    _allowed(request.user, "verification.run", "verification.view")
    form = RunForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            run = actions.start_reverification(by=request.user, area_code=form.cleaned_data["area_code"])
        except DomainError as exc:
            form.add_error("area_code", exc.message)
        else:
            messages.success(request, f"批量复核#{run.pk}已开始")
            return redirect("verification:run", pk=run.pk)
    qs = ReverificationRun.objects.visible_to(request.user)
    page = IdPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "verification/runs.html",
        {
            "page": page,
            "form": form,
            "can_run": actions.can(request.user, "verification.run"),
            "area_names": area_labels(r.area_code for r in page),
        },
    )


@login_required
def run_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    _allowed(request.user, "verification.run", "verification.view")
    run = get_object_or_404(ReverificationRun.objects.visible_to(request.user), pk=pk)
    if actions.recover_reverification_runs(ReverificationRun.objects.filter(pk=run.pk)):
        run.refresh_from_db()
    if request.method == "POST":
        run_action(
            request,
            lambda: actions.retry_reverification(run, by=request.user),
            f"批量复核#{run.pk}已重新排队，将从中断处继续",
        )
        return redirect("verification:run", pk=run.pk)
    findings = Finding.objects.visible_to(request.user).filter(run=run).select_related("household")
    kinds = dict(Finding._meta.get_field("kind").choices or [])
    context = {
        "run": run,
        "by_kind": [(kinds.get(k, k), n) for k, n in sorted((run.summary.get("by_kind") or {}).items())],
        "findings": findings.order_by("-id")[:200],
        "can_retry": actions.can(request.user, "verification.run"),
    }
    template = "verification/run.html#progress" if request.htmx else "verification/run.html"
    return render(request, template, context)


@login_required
def findings(request: AuthedRequest) -> HttpResponse:
    """核对预警: changes found by re-verification, for the case workers of the area."""
    _allowed(request.user, "verification.run", "verification.view")
    status = request.GET.get("status", "open")
    qs = Finding.objects.visible_to(request.user).filter(status=status)
    kind = request.GET.get("kind", "")
    if kind:
        qs = qs.filter(kind=kind)
    page = IdPaginator(
        qs, PAGE_SIZE, fetch=lambda ids: Finding.objects.filter(pk__in=ids).select_related("household")
    ).get_page(request.GET.get("page"))
    counts = dict(
        Finding.objects.visible_to(request.user)
        .filter(status="open")
        .values_list("kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    kinds = Finding._meta.get_field("kind").choices or []
    context = {
        "page": page,
        "status": status,
        "kind": kind,
        "kinds": [(k, label, counts.get(k, 0)) for k, label in kinds],
    }
    return render(request, "verification/findings.html", context)


@login_required
@require_POST
def finding_handle(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = get_object_or_404(Finding.objects.visible_to(request.user), pk=pk)
    form = HandleForm(request.POST)
    note = form.data.get("note", "")
    run_action(request, lambda: actions.handle_finding(finding, by=request.user, note=note), "已记录处理情况")
    return redirect(request.POST.get("next") or "verification:findings")


@login_required
def workload_view(request: AuthedRequest) -> HttpResponse:
    """核对工作量统计 (VER-18), by month and town, exportable to Excel."""
    from django.utils import timezone

    from jiuzhu.web.files import file_response

    from . import workload

    _allowed(request.user, "verification.run", "verification.view")
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= this_year + 1 else this_year
    rows = workload.workload(request.user, year=year)
    if request.GET.get("format") == "xlsx":
        return file_response(workload.workload_xlsx(rows), f"核对工作量-{year}.xlsx")
    return render(
        request,
        "verification/workload.html",
        {
            "rows": rows,
            "totals": workload.totals(rows),
            "figures": workload.FIGURES,
            "year": year,
            "years": list(range(this_year, this_year - 5, -1)),
        },
    )
