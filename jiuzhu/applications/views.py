"""Case pages: intake, list, detail with the buttons the workflow table allows, home visit,
overdue work, dossier export."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.county import intake_materials, runs_engine_program
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.programs.facts import household_facts
from jiuzhu.programs.forms import MemberFactsFormSet, initial_from_facts
from jiuzhu.registry.forms import apply_errors
from jiuzhu.registry.models import Household
from jiuzhu.registry.queries import lookup_person
from jiuzhu.rules.facts.codes import EMERGENCY_EVENTS
from jiuzhu.web.labels import area_labels
from jiuzhu.web.pagination import IdPaginator

from . import actions, dossier, lookups, panels, workflow
from .actions.workflow_changes import (
    confirm_workflow_change,
    county_of,
    propose_workflow_change,
    reject_workflow_change,
)
from .config import config_for, config_for_case, settings_used
from .dispatch import run_action
from .forms import IntakeForm, InvestigationForm, PhotosForm, SpecialDeliberationForm, WorkflowChangeForm
from .models import (
    CHANNEL_CHOICES,
    PRESET_LABELS,
    PROGRAM_CHOICES,
    STATE_CHOICES,
    TEMPORARY_KIND_CHOICES,
    Application,
    CaseDeadline,
    Commitment,
    SpecialDeliberation,
    WorkflowChange,
)
from .queries import filter_applications, overdue_summary
from .workflow_dryrun import dry_run


def _app(request: HttpRequest, pk: int) -> Application:
    found: Application = get_object_or_404(
        Application.objects.visible_to(request.user).select_related("household", "applicant", "intake"), pk=pk
    )
    return found


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
    qs = filter_applications(Application.objects.visible_to(request.user), **filters)
    overdue = CaseDeadline.objects.filter(application=OuterRef("pk")).overdue()
    paginator = IdPaginator(
        qs,
        20,
        fetch=lambda ids: (
            Application.objects.filter(pk__in=ids).select_related("household").annotate(is_overdue=Exists(overdue))
        ),
    )
    page = paginator.get_page(g.get("page"))
    query = "&".join(f"{k}={v if not isinstance(v, bool) else '1'}" for k, v in filters.items() if v)
    return render(
        request,
        "applications/list.html",
        {"page": page, "f": filters, "query": query, "states": STATE_CHOICES, "programs": PROGRAM_CHOICES},
    )


SCREENED = ["dibao", "tekun", "dibao_edge", "rigid_expense"]


def _screen(household: Household, facts: Any) -> dict[str, Any]:
    """救助测算 at the window (INT-4): from the registry, or from the declared facts once entered."""
    base = actions.default_facts(household)
    if facts is not None:
        if not facts.is_valid():
            return {}
        base["members"] = [f.facts() for f in facts.forms if not f.cleaned_data.get("DELETE")]
    try:
        return evaluate_household(household.area_id, timezone.localdate(), SCREENED, base)
    except DomainError:
        return {}


def _signature(request: HttpRequest, key: str, person_id: int) -> actions.SignatureIn | None:
    drawn = request.POST.get(f"sig_{key}", "")
    scan = request.FILES.get(f"scan_{key}")
    if scan is not None:
        return actions.SignatureIn(person_id, scan.read(), "scan")
    if drawn.startswith("data:image/png;base64,"):
        try:
            return actions.SignatureIn(person_id, base64.b64decode(drawn.split(",", 1)[1], validate=True), "pad")
        except (binascii.Error, ValueError):
            raise InvalidInput("invalid_signature", "签名图片无法识别，请重新签名", field="signatures") from None
    return None


def _prefill(request: AuthedRequest) -> dict[str, Any]:
    """线上线下联动 (INT-11): a page that found the family (a 现场发现报告, a 核查任务) opens the
    intake with the program, kind, event, channel and remarks in the query — only known choices
    are taken; the clerk still reviews and signs everything before submitting."""
    g, out = request.GET, dict[str, Any]()
    programs = [p for p in g.getlist("programs") if p in dict(PROGRAM_CHOICES)]
    if programs:
        out["programs"] = programs
    for key, choices in (
        ("temporary_kind", dict(TEMPORARY_KIND_CHOICES)),
        ("emergency_event", EMERGENCY_EVENTS),
        ("channel", dict(CHANNEL_CHOICES)),
    ):
        if g.get(key) in choices and g.get(key):
            out[key] = g[key]
    if request.user.role == "village_assistant":
        out.pop("channel", None)  # a village assistant applying for a family is 帮办代办
    if g.get("remarks"):
        out["remarks"] = g["remarks"].strip()[:200]
    return out


@login_required
def intake_view(request: AuthedRequest) -> HttpResponse:
    """一门受理: look up by ID number (一证申请), screen, record the application with signatures.

    The number is posted and the page continues at ``?household=…``: no ID number in a URL
    (issue 19 item 5); every lookup is audited."""
    if request.method == "POST" and request.POST.get("lookup"):
        from jiuzhu.registry.actions import look_up_by_id

        raw = request.POST.get("id_number", "").strip()
        context: dict[str, Any] = {"id_number": raw}
        try:
            found = look_up_by_id(raw, by=request.user)
        except DomainError as exc:
            context["lookup_error"] = exc.message
        else:
            if found is not None and found.household_id:
                return redirect(f"{reverse('applications:intake')}?household={found.household_id}")
            context["not_found"] = True
            if found is None:  # 一证申请: what the departments know, for the clerk to confirm
                from jiuzhu.registry.views import prefill_context

                context.update(prefill_context(request.user, raw, then="intake"))
        return render(request, "applications/intake.html", context)
    raw = request.POST.get("id_number", "").strip()  # the intake form posts it; never read from the URL
    context = {"id_number": raw}
    household = person = None
    if request.GET.get("household"):
        household = get_object_or_404(Household.objects.visible_to(request.user), pk=request.GET["household"])
        person = household.members.filter(relation="self").first()
    elif raw:
        try:
            person = lookup_person(request.user, raw)
        except DomainError as exc:
            context["lookup_error"] = exc.message
        else:
            household = person.household if person else None
            context["not_found"] = household is None
    if household is None:
        return render(request, "applications/intake.html", context)
    members = list(household.current_members())
    adults = [m for m in members if m.age >= 18 and m.death_date is None]
    screening_only = "screen" in request.POST
    form = IntakeForm(request.POST or None, county_code=household.county_code, members=adults)
    facts = MemberFactsFormSet(request.POST or None, prefix="members", initial=household_facts(household))
    context["screening"] = _screen(household, facts if request.method == "POST" else None)
    if not request.POST:
        suggested = [
            code
            for code, r in context["screening"].items()
            if r["eligible"] and not r.get("excluded_by") and runs_engine_program(household.county_code, code)
        ]  # never preselect a program the county does not run (PRG-2)
        form = IntakeForm(
            county_code=household.county_code,
            members=adults,
            initial={
                "programs": suggested,
                "channel": "village" if request.user.role == "village_assistant" else "window",
                **_prefill(request),
            },
        )
    if request.method == "POST" and not screening_only and form.is_valid() and facts.is_valid():
        d = form.cleaned_data
        try:
            sigs = [s for m in adults if (s := _signature(request, f"auth_{m.pk}", m.pk))]
            base = {
                "urban": household.urban_rural == "urban",
                "members": [f.facts() for f in facts.forms if not f.cleaned_data.get("DELETE")],
                **({"alone": True} if d.get("alone") else {}),
            }
            result = actions.intake(
                actions.IntakeRequest(
                    household=household,
                    applicant=person or members[0],
                    programs=d["programs"],
                    channel=d["channel"],
                    temporary_kind=d["temporary_kind"],
                    emergency_event=d["emergency_event"],
                    facts=base,
                    documents_provided=d["documents_provided"],
                    authorizations=sigs,
                    commitment=_signature(request, "commit", (person or members[0]).pk),
                    staff_relative_of=d["staff_relative_of"],
                    staff_relative_note=d["staff_relative_note"],
                    remarks=d["remarks"],
                    entrustment=_entrustment_from(request, d),
                ),
                by=request.user,
            )
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            first = result.applications.order_by("id").first()
            messages.success(
                request,
                f"已受理（回执编号 {result.receipt_number}），已出具受理通知书"
                + ("和一次性告知书" if first and first.missing_documents else ""),
            )
            assert first is not None  # an intake makes at least one application
            return redirect(first)
    open_cases = Application.objects.filter(household=household).open()
    context.update(
        # 申请材料 as the county runs each program (INT-16), the abolished proofs left out (INT-18)
        materials=intake_materials(household.county_code, [code for code, _ in PROGRAM_CHOICES]),
        household=household,
        applicant=person,
        members=members,
        adults=adults,
        form=form,
        facts=facts,
        open_cases=open_cases,
    )
    return render(request, "applications/intake.html", context)


def _entrustment_from(request: HttpRequest, d: dict[str, Any]) -> actions.EntrustmentIn | None:
    """申请委托 on the intake page: the principal, the reason and the signed 申请委托书."""
    principal = int(d["entrust_principal"]) if (d.get("entrust_principal") or "").isdigit() else 0
    if not principal and not d.get("entrust_reason"):
        return None  # no entrustment filled in (a stray mark on its signature pad is ignored)
    signature = _signature(request, "entrust", principal)
    if not principal:
        raise InvalidInput("required", "请选择委托人", field="entrust_principal")
    if signature is None:
        raise InvalidInput("required", "请由委托人在签名板签署申请委托书，或上传委托书扫描件", field="entrust_reason")
    return actions.EntrustmentIn(principal, d.get("entrust_reason") or "", signature)


def _compared(app: Any) -> list[dict[str, Any]]:
    """申报与核对对照 (issue 14 item 5): declared and verified, and what the decision uses."""
    from jiuzhu.verification.verified import comparison

    report = actions.latest_report(app)
    return comparison(app.facts, report.content.get("verified") if report else None)


@login_required
def application_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    app = _app(request, pk)
    config = config_for_case(app)
    allowed = workflow.allowed(app, config, request.user)
    failed = []
    if app.state in ("reviewing", "county_review", "publicizing", "decision_pending") and any(
        t.name == "reject" for t in allowed
    ):
        try:
            failed = [r for r in actions.evaluate(app)["reasons"] if not r["passed"]]
        except DomainError:
            failed = []
    case_settings, settings_kept = settings_used(app)
    context = {
        "app": app,
        "config": config,
        "case_settings": case_settings,
        "settings_kept": settings_kept,
        "case_settings_areas": area_labels([s["area_code"] for s in case_settings]),
        "allowed": allowed,
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
        "authorizations": app.household.authorizations.valid().select_related("person", "document"),
        "history": AuditEntry.objects.for_object(app).order_by("-seq")[:200],
        "failed_tests": failed,
        "members": app.household.current_members(),
        "referrals": app.household.referrals.select_related("program", "department"),
        "suggestions": lookups.referral_suggestions(app) if app.state == "approved" else [],
        "can_refer": request.user.has_perm_code("referrals.create"),
        "panels": panels.render_all(app),
    }
    return render(request, "applications/detail.html", context)


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
    data: dict[str, Any] = {k: p.get(k) for k in p if not k.startswith("csrf")}
    data["items"] = [i for i in p.get("items", "").splitlines() if i.strip()]
    data["reason_codes"] = p.getlist("reason_codes")
    for key in ("votes_for", "votes_against", "votes_abstain"):
        data[key] = int(p.get(key) or 0) if (p.get(key) or "0").isdigit() else -1
    if p.get("amount_yuan"):
        from jiuzhu.core.money import yuan_to_fen

        try:
            data["amount_fen"] = yuan_to_fen(p["amount_yuan"], field="amount_yuan")
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(app)
    for key in ("received_on", "held_on"):
        if data.get(key) == "":
            data[key] = None
        elif data.get(key) is not None:
            try:
                data[key] = dt.date.fromisoformat(str(data[key]).strip())
            except ValueError:
                messages.error(request, f"日期“{data[key]}”格式不正确，应为年-月-日")
                return redirect(app)
    labels = {t.name: t.label for t in workflow.transitions_for(app, config_for_case(app))}
    try:
        run_action(request.user, app, name, data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        label = labels.get(name) or next((t.label for t in workflow.TRANSITIONS if t.name == name), name)
        messages.success(request, f"已办理：{label}")
    return redirect(app)


@login_required
def investigation_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """入户调查 on a phone: the visit record, photos, and the household facts as found."""
    app = _app(request, pk)
    form = InvestigationForm(request.POST or None)
    photos = PhotosForm(request.POST or None, request.FILES or None)
    initial = [{**m, "birth_date": m.get("birth_date")} for m in app.facts.get("members", [])]
    facts = MemberFactsFormSet(request.POST or None, prefix="members", initial=initial_from_facts(initial))
    if request.method == "POST" and form.is_valid() and photos.is_valid() and facts.is_valid():
        try:
            members = [f.facts() for f in facts.forms if not f.cleaned_data.get("DELETE")]
            actions.record_investigation(
                app,
                by=request.user,
                photos=photos.cleaned_data["photos"],
                # 单独申请 keeps its flags (issue 14 item 14): the case stays a one-person case
                facts={
                    **{k: v for k, v in app.facts.items() if k in ("alone", "family_edge")},
                    "urban": app.urban,
                    "members": members,
                },
                **form.cleaned_data,
            )
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, "入户调查已录入")
            return redirect(app)
    return render(
        request, "applications/investigation.html", {"app": app, "form": form, "photos": photos, "facts": facts}
    )


@login_required
def special_deliberation_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """一事一议 (STD-6, WF-17): the county officer records the meeting on the case; once
    recorded, anyone who may see the case sees the record."""
    from jiuzhu.core.money import yuan_to_fen

    app = _app(request, pk)
    record = SpecialDeliberation.objects.filter(application=app).select_related("convened_by").first()
    config = config_for_case(app)
    may_record = any(t.name == "special_deliberation" for t in workflow.allowed(app, config, request.user))
    if record is None and not may_record:
        raise PermissionDenied("一事一议由县级民政部门召集和录入")
    form = SpecialDeliberationForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and record is None and form.is_valid():
        try:
            signature = _signature(request, "signature", 0)
            scan = form.cleaned_data["signature_scan"]
            if scan is not None:
                signature = actions.SignatureIn(0, scan.read(), "scan")
            actions.record_special_deliberation(
                app,
                by=request.user,
                held_on=form.cleaned_data["held_on"],
                participants=form.participant_names(),
                hardship=form.cleaned_data["hardship"],
                minutes=form.cleaned_data["minutes"],
                decided_amount_fen=yuan_to_fen(form.cleaned_data["decided_amount_yuan"], field="decided_amount_yuan"),
                signature=signature,
            )
        except DomainError as exc:
            apply_errors(
                exc,
                form,
                field_map={"decided_amount_fen": "decided_amount_yuan", "signature": "signature_scan"},
            )
        else:
            messages.success(request, "一事一议已录入，请按决定金额审批")
            return redirect(app)
    context = {
        "app": app,
        "form": form,
        "record": record,
        "bounds": actions.special_deliberation_bounds(app) if record is None else None,
    }
    return render(request, "applications/special_deliberation.html", context)


@login_required
def overdue_view(request: AuthedRequest) -> HttpResponse:
    return render(request, "applications/overdue.html", overdue_summary(request.user))


@login_required
def dossier_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return dossier.response(request.user, _app(request, pk))


@login_required
def supplement_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """补充授权/补正材料 (issue 14 item 7): sign or scan what the 一次性告知书 listed."""
    from jiuzhu.verification.models import Authorization

    app = _app(request, pk)
    config = config_for_case(app)
    if not any(t.name == "supplement" for t in workflow.allowed(app, config, request.user)):
        raise PermissionDenied("补充授权/补正材料须由本镇（街道）窗口或本村（社区）协理员在受理、补正或调查阶段办理")
    signed = set(Authorization.objects.valid().filter(household=app.household).values_list("person_id", flat=True))
    unsigned = [
        p
        for p in app.household.members.filter(death_date__isnull=True)
        if p.age_on(timezone.localdate()) >= actions.ADULT and p.pk not in signed
    ]
    needs_commitment = not Commitment.objects.filter(intake=app.intake).exists()
    signature_items = {f"家庭经济状况核对授权书（{p.name}）" for p in unsigned} | {"诚信承诺书（申请人）"}
    documents = [m for m in app.missing_documents if m["name"] not in signature_items]
    if request.method == "POST":
        try:
            materials = [
                actions.MaterialIn(item["name"], f.read())
                for i, item in enumerate(documents)
                if (f := request.FILES.get(f"material_{i}")) is not None
            ]
            other = request.FILES.get("material_other")
            if other is not None:
                materials.append(actions.MaterialIn(request.POST.get("material_other_name", "").strip(), other.read()))
            actions.supplement(
                app,
                by=request.user,
                authorizations=[s for p in unsigned if (s := _signature(request, f"auth_{p.pk}", p.pk))],
                commitment=_signature(request, "commit", app.applicant_id) if needs_commitment else None,
                materials=materials,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "已补充，相关事项已从一次性告知书待补清单中移除")
            return redirect(app)
    context = {
        "app": app,
        "unsigned": unsigned,
        "needs_commitment": needs_commitment,
        "documents": documents,
    }
    return render(request, "applications/supplement.html", context)


@login_required
def workflow_view(request: AuthedRequest) -> HttpResponse:
    """办理流程: the county's table in force on a date (状态 → 操作 → 可操作岗位), its changes,
    and the form to propose one (issue 16 item 2)."""
    user = request.user
    try:
        on = dt.date.fromisoformat(request.GET.get("date") or "")
    except ValueError:
        on = timezone.localdate()
    county, rows, preset_label, error = "", [], "", ""
    try:
        county = county_of(
            request.GET.get("area_code") or (user.area.county_code if user.area else ""), by=user, reading=True
        )
        config = config_for(county, on)
        rows = workflow.listing(county, on, config.preset)
        preset_label = config.get_preset_display()
    except DomainError as exc:
        error = exc.message
    can_propose = user.has_perm_code("parameters.propose") or user.is_superuser
    form = WorkflowChangeForm(
        request.POST or None, rows=rows, initial={"valid_from": timezone.localdate(), "enabled": True}
    )
    if request.method == "POST":
        if not can_propose:
            raise PermissionDenied("您的岗位无权提出办理流程调整")
        if form.is_valid():
            try:
                change = propose_workflow_change(by=user, area_code=county, **form.change_data())
            except DomainError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, "已提交办理流程调整，请另一名工作人员查看试运行结果后确认")
                return redirect("applications:workflow_change", pk=change.pk)
    changes = list(
        WorkflowChange.objects.visible_to(user)
        .filter(county_code=county)
        .select_related("proposed_by", "decided_by")[:100]
    )
    labels = {r.key: f"{r.sources_label} → {r.row.label}" for r in rows}
    for c in changes:
        c.row_label = labels.get(f"{c.transition}:{c.sources}:{c.preset}") or _row_label(c)  # type: ignore[attr-defined]
        c.who_label = (  # type: ignore[attr-defined]
            "、".join(workflow.describe_spec(s) for s in c.who) if c.enabled else "停用本环节"
        )
    context = {
        "county": county,
        "county_name": area_labels([county.ljust(12, "0")]).get(county.ljust(12, "0"), county) if county else "",
        "on": on,
        "rows": rows,
        "preset_label": preset_label,
        "error": error,
        "form": form,
        "changes": changes,
        "can_propose": can_propose and bool(rows),
    }
    return render(request, "applications/workflow.html", context)


def _row_label(change: WorkflowChange) -> str:
    try:
        row = workflow.code_row(change.transition, change.source_states, change.preset)
    except DomainError:
        return "（流程表中已无此操作）"
    states = "、".join(workflow.STATE_LABELS.get(s, s) for s in row.sources)
    return f"{states} → {row.label}（{PRESET_LABELS.get(change.preset, '')}）"


@login_required
def workflow_change_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """One 办理流程调整 with its 试运行 over the county's open cases, and 确认生效/退回."""
    change = get_object_or_404(
        WorkflowChange.objects.visible_to(request.user).select_related("proposed_by", "decided_by"), pk=pk
    )
    try:
        row = workflow.code_row(change.transition, change.source_states, change.preset)
    except DomainError:
        raise Http404 from None
    result, error = None, ""
    try:
        result = dry_run(change)
    except DomainError as exc:
        error = exc.message
    user = request.user
    may_decide = (
        change.status == "proposed"
        and (user.has_perm_code("parameters.confirm") or user.is_superuser)
        and change.proposed_by_id != user.pk
    )
    context = {
        "change": change,
        "row": row,
        "who_label": "、".join(workflow.describe_spec(s) for s in change.who) if change.enabled else "（停用本环节）",
        "before_label": "、".join(workflow.describe_spec(s) for s in row.who),
        "sources_label": "、".join(workflow.STATE_LABELS.get(s, s) for s in row.sources),
        "result": result,
        "error": error,
        "may_decide": may_decide,
    }
    return render(request, "applications/workflow_change.html", context)


@login_required
@require_POST
def workflow_decide_view(request: AuthedRequest, pk: int, decision: str) -> HttpResponse:
    change = get_object_or_404(WorkflowChange.objects.visible_to(request.user), pk=pk)
    note = request.POST.get("note", "")
    try:
        if decision == "confirm":
            confirm_workflow_change(change, by=request.user, note=note)
            messages.success(request, "办理流程调整已确认，自生效日期起执行")
        elif decision == "reject":
            reject_workflow_change(change, by=request.user, note=note)
            messages.success(request, "办理流程调整已退回")
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("applications:workflow_change", pk=change.pk)


def _notice_jobs(app: Application) -> list[Any]:
    """Notices of the case still being rendered or whose rendering failed (a dead process's
    job is marked failed here first), each failed one with its 重试."""
    from . import notices
    from .models import NoticeJob

    rows = NoticeJob.objects.filter(intake_id=app.intake_id)
    notices.recover_notice_jobs(rows)
    return list(rows.filter(status__in=("running", "failed")))


@login_required
@require_POST
def notice_job_retry(request: AuthedRequest, pk: int) -> HttpResponse:
    """重试 a failed notice rendering: the notice is kept under the number it already has."""
    from . import notices
    from .models import NoticeJob

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
