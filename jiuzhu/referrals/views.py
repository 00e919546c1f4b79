"""一体联动 pages: the department inbox, a referral, the county board, checks, 两清单."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import yuan_to_fen
from jiuzhu.registry.importer import ImportRejected
from jiuzhu.registry.models import Household
from jiuzhu.web.pagination import IdPaginator
from jiuzhu.web.pdf import render_pdf

from . import actions, board, checks, lists, records
from .models import STATUS_CHOICES, AssistanceRecord, Referral


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """派单: a department's inbox, or the referrals of the user's jurisdiction."""
    status = request.GET.get("status", "open")
    qs = Referral.objects.visible_to(request.user)
    if status == "open":
        qs = qs.open()
    elif status == "overdue":
        qs = qs.open().filter(due_on__lt=timezone.localdate())
    elif status:
        qs = qs.filter(status=status)
    page = IdPaginator(
        qs,
        20,
        fetch=lambda ids: Referral.objects.filter(pk__in=ids).select_related("program", "department", "household"),
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "referrals/inbox.html",
        {"page": page, "status": status, "statuses": STATUS_CHOICES, "today": timezone.localdate()},
    )


@login_required
def detail(request: AuthedRequest, pk: int) -> HttpResponse:
    ref = get_object_or_404(Referral.objects.visible_to(request.user).select_related("program", "department"), pk=pk)
    department_side = request.user.has_perm_code("referrals.handle") and (
        request.user.is_superuser or request.user.department_id == ref.department_id
    )
    from jiuzhu.audit.changes import name_references
    from jiuzhu.audit.models import AuditEntry

    history = name_references(AuditEntry.objects.for_object(ref).order_by("-seq")[:100])
    return render(
        request,
        "referrals/detail.html",
        {
            "ref": ref,
            "department_side": department_side,
            "history": history,
            "town_side": request.user.has_perm_code("referrals.create"),
            "today": timezone.localdate(),
        },
    )


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _result_fields(ref: Referral, p: Any) -> dict[str, Any]:
    """The 办理结果 form: one amount for a household program, each member's own amount
    (``amount_yuan_<person id>``, blank = not helped) for a person program."""
    granted = p.get("granted") == "1" or p.get("outcome") == "granted"
    out: dict[str, Any] = {
        "granted": granted,
        "note": p.get("note", ""),
        "granted_from": _date(p.get("granted_from", "")),
        "granted_to": _date(p.get("granted_to", "")),
        "period": p.get("period", "once"),
    }
    if ref.program.benefit_unit == "household":
        out["amount_fen"] = yuan_to_fen(p["amount_yuan"], field="amount_yuan") if p.get("amount_yuan") else None
    elif granted:
        out["recipients"] = [
            {"person_id": m["person_id"], "amount_fen": yuan_to_fen(raw, field="recipients")}
            for m in ref.facts.get("members", [])
            if (raw := (p.get(f"amount_yuan_{m['person_id']}") or "").strip())
        ]
    return out


@login_required
@require_POST
def act(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    ref = get_object_or_404(Referral.objects.visible_to(request.user), pk=pk)
    p = request.POST
    try:
        if name == "reveal":
            value = actions.reveal(ref, int(p.get("person_id") or 0), by=request.user)
            return HttpResponse(f'<span class="revealed" data-testid="revealed">{value}</span>')
        if name == "accept":
            actions.accept(ref, by=request.user)
        elif name == "request_info":
            actions.request_info(ref, by=request.user, question=p.get("question", ""))
        elif name == "reply_info":
            actions.reply_info(ref, by=request.user, answer=p.get("answer", ""))
        elif name == "decide":
            actions.decide(ref, by=request.user, **_result_fields(ref, p))
        elif name == "record_reply":
            fields = _result_fields(ref, p)
            actions.record_reply(
                ref,
                by=request.user,
                outcome=p.get("outcome", ""),
                note=fields["note"],
                replied_on=_date(p.get("replied_on", "")),
                replier=p.get("replier", ""),
                amount_fen=fields.get("amount_fen"),
                recipients=fields.get("recipients"),
                granted_from=fields["granted_from"],
                granted_to=fields["granted_to"],
                period=fields["period"],
            )
        elif name == "return":
            actions.return_(ref, by=request.user, reason=p.get("reason", ""))
        elif name == "cancel":
            actions.cancel(ref, by=request.user, reason=p.get("reason", ""))
        else:
            messages.error(request, "未知操作")
            return redirect("referrals:detail", pk=ref.pk)
    except DomainError as exc:
        if name == "reveal":
            return HttpResponse(f'<span class="error-text">{exc.message}</span>', status=exc.status)
        messages.error(request, exc.message)
    else:
        messages.success(request, "已办理")
    return redirect("referrals:detail", pk=ref.pk)


@login_required
@require_POST
def create(request: AuthedRequest, household_id: int) -> HttpResponse:
    household = get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    application = household.applications.filter(pk=request.POST.get("application_id") or 0).first()
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    try:
        ref = actions.refer(
            household,
            request.POST.get("program", ""),
            by=request.user,
            reason=request.POST.get("reason", ""),
            application=application,
            channel=request.POST.get("channel", "online"),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back or household.get_absolute_url())
    if ref.channel == "paper":
        messages.success(request, f"已登记线下转办 {ref.number}（{ref.office}）：请打印转办单送达，收到回复后在此登记")
        return redirect("referrals:detail", pk=ref.pk)
    messages.success(request, f"已派单 {ref.number}（{ref.office}）")
    return redirect(back) if back else redirect("referrals:detail", pk=ref.pk)


@login_required
def transfer_pdf(request: AuthedRequest, pk: int) -> HttpResponse:
    """线下转办单 with its reply slip (回执), printed by the town; the print is audited."""
    ref = get_object_or_404(Referral.objects.visible_to(request.user).select_related("program", "household"), pk=pk)
    try:
        pdf = actions.print_transfer(ref, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("referrals:detail", pk=ref.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="transfer-{ref.number}.pdf"'
    return response


@login_required
def board_view(request: HttpRequest) -> HttpResponse:
    return render(request, "referrals/board.html", board.summary(request.user))


@login_required
def checks_view(request: HttpRequest) -> HttpResponse:
    flags = checks.duplicates(AssistanceRecord.objects.visible_to(request.user))
    flags += checks.gaps(Household.objects.visible_to(request.user))
    return render(request, "referrals/checks.html", {"flags": flags})


def _lists_context(request: HttpRequest, household_id: int) -> dict[str, Any]:
    household = get_object_or_404(Household.objects.visible_to(request.user).select_related("area"), pk=household_id)
    options = actions.referral_options(household)
    return {
        "household": household,
        "online_options": [o for o in options if o.channel == "online"],
        "paper_options": [o for o in options if o.channel == "paper"],
        "care": lists.care_list(household),
        **lists.service_list(household),
        "today": timezone.localdate(),
    }


@login_required
def household_lists(request: HttpRequest, household_id: int) -> HttpResponse:
    """两清单 of one family, on screen, with its visits (走访慰问)."""
    context = _lists_context(request, household_id)
    context["visits"] = context["household"].visits.all()[:50]
    return render(request, "referrals/lists.html", context)


@login_required
@require_POST
def visit_create(request: AuthedRequest, household_id: int) -> HttpResponse:
    household = get_object_or_404(Household.objects.visible_to(request.user), pk=household_id)
    p = request.POST
    try:
        amount = yuan_to_fen(p["amount_yuan"], field="amount_yuan") if p.get("amount_yuan") else 0
        _, recent = actions.record_visit(
            household,
            by=request.user,
            kind=p.get("kind", ""),
            visited_on=_date(p.get("visited_on", "")) or timezone.localdate(),
            organization=p.get("organization", ""),
            visitors=p.get("visitors", ""),
            content=p.get("content", ""),
            amount_fen=amount,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if recent:
            names = "、".join(sorted({v.organization for v in recent}))
            messages.warning(request, f"已登记。提示：该家庭近30天已有{len(recent)}次走访（{names}），请避免重复走访")
        else:
            messages.success(request, "走访记录已登记")
    return redirect("referrals:lists", household_id=household.pk)


@login_required
def household_lists_pdf(request: HttpRequest, household_id: int) -> HttpResponse:
    """两清单 as a PDF to hand to the family."""
    context = _lists_context(request, household_id)
    pdf = render_pdf("referrals/lists_pdf.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="lists-{household_id}.pdf"'
    return response


@login_required
def import_view(request: AuthedRequest) -> HttpResponse:
    context: dict[str, Any] = {}
    if request.method == "POST" and (upload := request.FILES.get("file")):
        try:
            created = records.import_records(upload.name or "", upload.read(), by=request.user)
        except ImportRejected as exc:
            context["rejected"] = exc.as_dict()
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已导入{created}条救助对象记录（重复上传的记录不会重复导入）")
            return redirect("referrals:import")
    context["records"] = AssistanceRecord.objects.visible_to(request.user).order_by("-created_at")[:50]
    return render(request, "referrals/import.html", context)
