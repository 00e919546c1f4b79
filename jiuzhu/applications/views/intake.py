"""一门受理 at the window (救助测算, signatures, 申请委托) and the 补充授权/补正材料 page."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.county import intake_materials, runs_engine_program
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.programs.exclusivity import urban_of
from jiuzhu.programs.facts import household_facts
from jiuzhu.programs.forms import MemberFactsFormSet
from jiuzhu.registry.forms import apply_errors
from jiuzhu.registry.models import Household
from jiuzhu.registry.queries import lookup_person
from jiuzhu.rules.facts.codes import EMERGENCY_EVENTS

from .. import actions, workflow
from ..config import config_for_case
from ..forms import IntakeForm
from ..models import (
    CHANNEL_CHOICES,
    PROGRAM_CHOICES,
    TEMPORARY_KIND_CHOICES,
    Application,
    Commitment,
)
from ._common import _app

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
        materials=intake_materials(
            household.county_code, [code for code, _ in PROGRAM_CHOICES], urban=urban_of(household)
        ),
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


@login_required
def supplement_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """补充授权/补正材料 (issue 14 item 7): sign or scan what the 一次性告知书 listed."""
    app = _app(request, pk)
    config = config_for_case(app)
    if not any(t.name == "supplement" for t in workflow.allowed(app, config, request.user)):
        raise PermissionDenied("补充授权/补正材料须由本镇（街道）窗口或本村（社区）协理员在受理、补正或调查阶段办理")
    unsigned = actions.unsigned_adults(app.household)
    needs_commitment = not Commitment.objects.filter(intake=app.intake).exists()
    documents = [m for m in app.missing_documents if not actions.is_signature_item(m["name"])]
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
