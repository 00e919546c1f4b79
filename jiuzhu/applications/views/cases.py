"""The case pages: the list, a case with its actions, the overdue board, the dossier and
the retry of a failed notice rendering."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.audit.changes import name_references
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.rules import amount_basis
from jiuzhu.web.labels import area_labels
from jiuzhu.web.pagination import IdPaginator

from .. import actions, dossier, lookups, panels, workflow
from ..config import config_for_case, settings_used
from ..dispatch import run_action
from ..models import (
    PROGRAM_CHOICES,
    STATE_CHOICES,
    Application,
    CaseDeadline,
    SpecialDeliberation,
)
from ..queries import due_soon_days, filter_applications, overdue_summary
from ._common import _app

# What a line of the case list shows (not the case's facts, trace, proposal or settings).
_LIST_FIELDS = (
    "number",
    "program",
    "temporary_kind",
    "channel",
    "state",
    "due_on",
    "accepted_at",
    "staff_relative_of",
    "household__head_name",
)


@login_required
def application_list(request: AuthedRequest) -> HttpResponse:
    g = request.GET
    filters: dict[str, Any] = {
        "state": g.get("state", ""),
        "program": g.get("program", ""),
        "area": g.get("area", ""),
        "overdue": g.get("overdue") == "1",
        "due_soon": g.get("due_soon") == "1",
        "staff_relative": g.get("staff_relative") == "1",
        "q": g.get("q", ""),
    }
    criteria = {k: v for k, v in filters.items() if k != "due_soon"}
    within = due_soon_days(request.user) if filters["due_soon"] else None
    qs = filter_applications(Application.objects.visible_to(request.user), **criteria, due_within_days=within)
    overdue = CaseDeadline.objects.filter(application=OuterRef("pk")).overdue()
    paginator = IdPaginator(
        qs,
        20,
        fetch=lambda ids: (
            Application.objects.filter(pk__in=ids)
            .select_related("household")
            .only(*_LIST_FIELDS)
            .annotate(is_overdue=Exists(overdue))
        ),
    )
    page = paginator.get_page(g.get("page"))
    query = "&".join(f"{k}={v if not isinstance(v, bool) else '1'}" for k, v in filters.items() if v)
    return render(
        request,
        "applications/list.html",
        {"page": page, "f": filters, "query": query, "states": STATE_CHOICES, "programs": PROGRAM_CHOICES},
    )


def _compared(app: Any) -> list[dict[str, Any]]:
    """申报与核对对照 (issue 14 item 5): declared and verified, and what the decision uses."""
    from jiuzhu.verification.verified import comparison

    report = actions.latest_report(app)
    declared = app.declared_facts if app.declared_facts is not None else app.facts
    return comparison(declared, report.content.get("verified") if report else None)


def _from_department_data(app: Any, allowed: Any) -> list[str]:
    """Beside 退回补正: the county's materials the system gets from department data (一证申请)."""
    from jiuzhu.programs.county import from_department_data
    from jiuzhu.programs.exclusivity import urban_of

    if not any(t.name == "return_for_documents" for t in allowed):
        return []
    found = from_department_data(app.county_code, app.program, app.temporary_kind, urban=urban_of(app.household))
    return list(dict.fromkeys(found.values()))


@login_required
def application_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _detail(request, _app(request, pk))


def _detail(request: AuthedRequest, app: Application, refused: dict[str, Any] | None = None) -> HttpResponse:
    """The case page; ``refused`` is an action the page's form sent and the action refused: its
    form comes back filled as sent, with the reason beside it (nothing the clerk typed is lost)."""
    config = config_for_case(app)
    allowed = workflow.allowed(app, config, request.user)
    failed: list[dict[str, Any]] = []
    estimate = None
    if app.state in ("reviewing", "county_review", "publicizing", "decision_pending"):
        try:
            result = actions.evaluate(app)
        except DomainError:
            result = None
        if result is not None:
            if any(t.name == "reject" for t in allowed):
                failed = [r for r in result["reasons"] if not r["passed"]]
            if not app.decision:
                estimate = _estimate(result)
    case_settings, settings_kept = settings_used(app)
    context = {
        "app": app,
        "config": config,
        "case_settings": case_settings,
        "settings_kept": settings_kept,
        "case_settings_areas": area_labels([s["area_code"] for s in case_settings]),
        "allowed": allowed,
        "action_forms": [(t, refused if refused and refused["name"] == t.name else None) for t in allowed],
        "allowed_names": {t.name for t in allowed},
        "deadlines": app.deadlines.all(),
        "notices": app.notices.select_related("document"),
        "notice_jobs": _notice_jobs(app),
        "investigations": app.investigations.prefetch_related("photos"),
        "objections": app.objections.all(),
        "deliberations": app.deliberations.all(),
        "special": SpecialDeliberation.objects.filter(application=app).first(),
        "escalation": _escalation(app),
        "requests": app.verification_requests.select_related("report"),
        "compared": _compared(app),
        "from_department_data": _from_department_data(app, allowed),
        "authorizations": app.household.authorizations.valid().select_related("person", "document"),
        "history": name_references(AuditEntry.objects.for_object(app).order_by("-seq")[:200]),
        "failed_tests": failed,
        "estimate": estimate,
        "members": app.household.current_members(),
        "referrals": app.household.referrals.select_related("program", "department"),
        "suggestions": lookups.referral_suggestions(app) if app.state == "approved" else [],
        "can_refer": request.user.has_perm_code("referrals.create"),
        "can_retry_notice": request.user.has_perm_code("applications.notices") or request.user.is_superuser,
        "panels": panels.render_all(app),
    }
    return render(request, "applications/detail.html", context)


def _estimate(result: dict[str, Any]) -> dict[str, Any]:
    """审批测算: what the decision would give now — the facts after the visit and the 核对报告,
    the standards in force — so the approver does not decide on the window's screening figure.
    A 临时救助 shows its computed amount before any level's limit, and whether it is above it."""
    figures = {k.rsplit(".", 1)[-1]: v.get("value") for k, v in result["trace"].get("variables", {}).items()}
    amount = figures.get("temporary_proposed", result["monthly_amount_fen"])
    return {
        "eligible": result["eligible"],
        "amount_fen": amount,
        "monthly": "temporary_proposed" not in figures,
        "above_limit": bool(figures.get("temporary_needs_higher_approval")),
        "unmet": [r["message"] for r in result["reasons"] if not r["passed"]],
        "steps": amount_basis(result["trace"])["steps"] if result["eligible"] else [],
    }


def _escalation(app: Application) -> dict[str, Any] | None:
    """报县级审批: who sent the case up, why, and the amount against the town's limit."""
    if ((app.facts or {}).get("temporary") or {}).get("approval_level") not in ("county", "deliberation"):
        return None
    entry = AuditEntry.objects.for_object(app).filter(action="applications.escalate").order_by("-seq").first()
    if entry is None:
        return None
    changes = entry.changes or {}
    return {
        "by": entry.actor_name,
        "at": entry.at,
        "reason": changes.get("reason", ""),
        "proposed_fen": changes.get("proposed_amount_fen"),
        "limit_fen": changes.get("town_limit_fen"),
    }


@login_required
@require_POST
def application_action(request: AuthedRequest, pk: int, name: str) -> HttpResponse:
    app = _app(request, pk)
    p = request.POST
    labels = {t.name: t.label for t in workflow.transitions_for(app, config_for_case(app))}
    try:
        run_action(request.user, app, name, _action_data(p))
    except DomainError as exc:
        sent = {k: p.get(k, "") for k in p if not k.startswith("csrf")}
        refused = {"name": name, "message": exc.message, "sent": sent, "reason_codes": p.getlist("reason_codes")}
        return _detail(request, _app(request, pk), refused)
    label = labels.get(name) or next((t.label for t in workflow.TRANSITIONS if t.name == name), name)
    messages.success(request, f"已办理：{label}")
    return redirect(app)


def _action_data(p: Any) -> dict[str, Any]:
    """The action's arguments from the case page's form; a malformed amount or date is refused
    here with the field's Chinese name."""
    data: dict[str, Any] = {k: p.get(k) for k in p if not k.startswith("csrf")}
    data["items"] = [i for i in p.get("items", "").splitlines() if i.strip()]
    data["reason_codes"] = p.getlist("reason_codes")
    for key in ("votes_for", "votes_against", "votes_abstain"):
        data[key] = int(p.get(key) or 0) if (p.get(key) or "0").isdigit() else -1
    if p.get("amount_yuan"):
        from jiuzhu.core.money import yuan_to_fen

        data["amount_fen"] = yuan_to_fen(p["amount_yuan"], field="amount_yuan")
    for key in ("received_on", "held_on"):
        if data.get(key) == "":
            data[key] = None
        elif data.get(key) is not None:
            try:
                data[key] = dt.date.fromisoformat(str(data[key]).strip())
            except ValueError:
                raise InvalidInput("invalid_date", f"日期“{data[key]}”格式不正确，应为年-月-日", field=key) from None
    return data


@login_required
def overdue_view(request: AuthedRequest) -> HttpResponse:
    return render(request, "applications/overdue.html", overdue_summary(request.user))


@login_required
def dossier_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return dossier.response(request.user, _app(request, pk))


def _notice_jobs(app: Application) -> list[Any]:
    """Notices of the case still being rendered or whose rendering failed (a dead process's
    job is marked failed here first), each failed one with its 重试."""
    from .. import notices
    from ..models import NoticeJob

    rows = NoticeJob.objects.filter(intake_id=app.intake_id)
    notices.recover_notice_jobs(rows)
    return list(rows.filter(status__in=("running", "failed")))


@login_required
@require_POST
def notice_job_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    """重试 a failed notice rendering: the notice is kept under the number it already has."""
    from .. import notices
    from ..models import NoticeJob

    job = get_object_or_404(NoticeJob.objects.visible_to(request.user), pk=pk)
    try:
        notice = notices.retry_notice_job(job, by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已生成{notice.get_kind_display()}（{notice.number}）")
    if job.application_id:
        return redirect("applications:detail", job.application_id)
    return redirect("applications:list")
