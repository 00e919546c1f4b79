"""Steps of the procedure with a page of their own: 入户调查 and 一事一议."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.core.errors import DomainError
from jiuzhu.programs.forms import MemberFactsFormSet, initial_from_facts
from jiuzhu.registry.forms import apply_errors

from .. import actions, workflow
from ..config import config_for_case
from ..forms import InvestigationForm, PhotosForm, SpecialDeliberationForm
from ..models import (
    SpecialDeliberation,
)
from ._common import _app
from .intake import _signature


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
