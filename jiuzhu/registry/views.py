"""Registry pages (一户一档). Views convert and render; actions decide."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from jiuzhu.accounts.auth import AuthedRequest
from jiuzhu.areas.models import Area
from jiuzhu.audit.changes import name_references
from jiuzhu.audit.log import record
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.web.pagination import IdPaginator

from . import actions, importer, storage
from .forms import (
    DocumentForm,
    HouseholdForm,
    ImportForm,
    MemberEditForm,
    MemberForm,
    MemberFormSet,
    MoveForm,
    RemoveForm,
    apply_errors,
)
from .models import Household, Membership, Person
from .queries import id_token_of, search_households

PAGE_SIZE = 20


def _household(request: HttpRequest, pk: int) -> Household:
    found: Household = get_object_or_404(
        Household.objects.visible_to(request.user).select_related("area", "area__parent"), pk=pk
    )
    return found


def _person(request: HttpRequest, pk: int) -> Person:
    found: Person = get_object_or_404(Person.objects.visible_to(request.user).select_related("household"), pk=pk)
    return found


def _area_filter_choices(user: Any) -> list[Area]:
    return list(Area.objects.visible_to(user).filter(level__in=["town", "village"]).select_related("parent"))


def _list_url(q: str, area: str, token: str) -> str:
    params = {"idt": token} if token else {"q": q}
    return reverse("registry:household_list") + "?" + urlencode({**params, "area": area})


@login_required
def household_list(request: AuthedRequest) -> HttpResponse:
    """家庭档案 list. A search by full ID number is posted and the page's URL carries its blind
    token (``idt``), never the number (issue 19 item 5: no ID number in a URL)."""
    if request.method == "POST":
        q, area = request.POST.get("q", "").strip(), request.POST.get("area", "").strip()
        token = id_token_of(q)
        if not request.htmx:
            return redirect(_list_url(q, area, token))
    else:
        q, area = request.GET.get("q", "").strip(), request.GET.get("area", "").strip()
        if q and (typed := id_token_of(q)):
            return redirect(_list_url("", area, typed))
        token = request.GET.get("idt", "").strip()
    qs = search_households(Household.objects.visible_to(request.user), "" if token else q, area, id_token=token)
    paginator = IdPaginator(
        qs, PAGE_SIZE, fetch=lambda ids: Household.objects.filter(pk__in=ids).select_related("area", "area__parent")
    )
    page = paginator.get_page(request.GET.get("page"))
    shown_q = "" if token else q
    context = {"page": page, "q": shown_q, "idt": token, "area": area, "areas": _area_filter_choices(request.user)}
    template = "registry/household_list.html#results" if request.htmx else "registry/household_list.html"
    response = render(request, template, context)
    if request.method == "POST":
        response["HX-Push-Url"] = _list_url(shown_q, area, token)
    return response


@login_required
def household_export(request: AuthedRequest) -> HttpResponse:
    """Export the filtered list (masked) as Excel; the export itself is audited."""
    q = request.GET.get("q", "").strip()
    area = request.GET.get("area", "").strip()
    token = request.GET.get("idt", "").strip() or id_token_of(q)
    q = "" if token else q
    qs = search_households(Household.objects.visible_to(request.user), q, area, id_token=token).select_related(
        "area", "area__parent"
    )
    rows = [
        [
            h.pk,
            h.area.parent.name if h.area.parent else "",
            h.area.name,
            h.address,
            h.head_name,
            h.member_count,
            h.get_urban_rural_display(),
            h.created_at.strftime("%Y-%m-%d"),
        ]
        for h in qs.order_by("-id")[:50000]
    ]
    with transaction.atomic():
        record(
            request.user,
            "registry.household.export",
            None,
            object_type="registry.export",
            changes={"q": q, "by_id_number": bool(token), "area": area, "rows": len(rows)},
        )
    data = importer.xlsx_bytes(
        ["家庭编号", "镇（街道）", "村（社区）", "家庭住址", "户主", "人数", "城乡", "建档日期"],
        rows,
        widths=[10, 14, 14, 30, 10, 6, 6, 12],
    )
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''households.xlsx"
    return response


@login_required
def household_create(request: AuthedRequest) -> HttpResponse:
    form = HouseholdForm(request.POST or None, user=request.user)
    formset = MemberFormSet(request.POST or None, prefix="members")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        kept = [f for f in formset.forms if not f.cleaned_data.get("DELETE")]
        try:
            household = actions.create_household(
                by=request.user, members=[f.member_data() for f in kept], **form.action_kwargs()
            )
        except DomainError as exc:
            apply_errors(exc, form, _KeptForms(kept))
        else:
            messages.success(request, f"已登记{household.head_name}户，共{household.member_count}人")
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_form.html", {"form": form, "formset": formset, "creating": True})


class _KeptForms:
    """The non-deleted forms of a formset, indexed as the action saw them."""

    def __init__(self, forms: list[Any]) -> None:
        self.forms = forms


@login_required
def household_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    members = list(household.current_members())
    history = name_references(AuditEntry.objects.for_object(household).order_by("-seq")[:200])
    memberships = Membership.objects.filter(household=household).select_related("person").order_by("-joined_on", "-id")
    context = {
        "household": household,
        "members": members,
        "history": history,
        "memberships": memberships,
        "documents": household.documents.select_related("person", "uploaded_by"),
        "document_form": DocumentForm(household=household),
        "categories": household.categories.all(),
        "can_edit": request.user.has_perm_code("registry.edit"),
        "can_reveal": request.user.has_perm_code("registry.reveal_pii"),
    }
    return render(request, "registry/household_detail.html", context)


@login_required
def household_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    initial = {
        "address": household.address,
        "poverty_cause": household.poverty_cause,
        "hardship_degree": household.hardship_degree,
        "rigid_expense_yuan": household.rigid_expense_yuan,
        "remarks": household.remarks,
        "version": household.version,
        "categories": list(household.categories.values_list("code", flat=True)),
    }
    form = HouseholdForm(request.POST or None, user=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_household(
                household, by=request.user, version=form.cleaned_data.get("version"), **form.action_kwargs()
            )
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, "家庭信息已保存")
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/household_edit.html", {"form": form, "household": household})


@login_required
def member_add(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = actions.add_member(household, form.member_data(), by=request.user)
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"已增加成员{person.name}")
            return redirect("registry:household_detail", pk=household.pk)
    return render(request, "registry/member_form.html", {"form": form, "household": household, "title": "增加家庭成员"})


@login_required
def member_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    initial = {k: getattr(person, k) for k in (*actions.PERSON_FIELDS, "version")}
    form = MemberEditForm(request.POST or None, initial=initial, temp_number=person.temp_number)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_member(person, form.member_data(), by=request.user, version=form.cleaned_data["version"])
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"已保存{person.name}的信息")
            return _back_to(person)
    return render(
        request,
        "registry/member_form.html",
        {"form": form, "household": person.household, "person": person, "title": f"修改成员信息：{person.name}"},
    )


def _back_to(person: Person) -> HttpResponse:
    if person.household_id:
        return redirect("registry:household_detail", pk=person.household_id)
    return redirect("registry:household_list")


@login_required
def member_move(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = MoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        target = Household.objects.visible_to(request.user).filter(pk=form.cleaned_data["to_household_id"]).first()
        if target is None:
            form.add_error("to_household_id", "目标家庭不存在或不在您的管辖范围内")
        else:
            try:
                actions.move_member(
                    person,
                    by=request.user,
                    to=target,
                    relation=form.cleaned_data["relation"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                apply_errors(exc, form)
            else:
                messages.success(request, f"{person.name}已迁入{target.head_name}户")
                return redirect("registry:household_detail", pk=target.pk)
    return render(request, "registry/member_move.html", {"form": form, "person": person})


@login_required
def member_remove(request: AuthedRequest, pk: int) -> HttpResponse:
    person = _person(request, pk)
    form = RemoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        household_id = person.household_id
        try:
            actions.remove_member(person, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_errors(exc, form)
        else:
            messages.success(request, f"{person.name}已迁出")
            return redirect("registry:household_detail", pk=household_id)
    return render(request, "registry/member_remove.html", {"form": form, "person": person})


@login_required
@require_POST
def reveal(request: AuthedRequest, pk: int, field: str) -> HttpResponse:
    person = _person(request, pk)
    try:
        value = actions.reveal(person, field, by=request.user)
    except DomainError as exc:
        return render(request, "registry/_revealed.html", {"error": exc.message}, status=exc.status)
    return render(request, "registry/_revealed.html", {"value": value})


@login_required
def person_lookup(request: AuthedRequest) -> HttpResponse:
    """按身份证号查询 (一证申请的基础): open the person's household, or offer to register.

    The number is posted, never put in the URL, and every lookup is audited."""
    context: dict[str, Any] = {}
    if request.method == "POST":
        raw = request.POST.get("id_number", "").strip()
        context["id_number"] = raw
        try:
            person = actions.look_up_by_id(raw, by=request.user)
        except InvalidInput as exc:
            context["error"] = exc.message
        else:
            if person is not None and person.household_id:
                return redirect("registry:household_detail", pk=person.household_id)
            context["person"] = person
            context["not_found"] = person is None
            if person is None:
                context.update(prefill_context(request.user, raw, then="household"))
    return render(request, "registry/person_lookup.html", context)


def prefill_context(user: Any, raw: str, *, then: str) -> dict[str, Any]:
    """部门数据预填 (INT-3) for an ID number found nowhere in the registry: the card's
    context (``prefill``, villages to choose from when the 户籍地 is not the user's), or
    nothing when no department knows the number. ``then`` says where confirming leads:
    ``intake`` (the intake form) or ``household`` (the household's page)."""
    from .prefill import prefill_from_departments

    try:
        proposal = prefill_from_departments(raw, by=user)
    except DomainError:
        return {}
    if proposal is None:
        return {}
    villages: list[Area] = []
    if proposal["village"] is None:
        villages = list(Area.objects.visible_to(user).filter(level="village").select_related("parent"))
    return {"prefill": proposal, "prefill_villages": villages, "prefill_then": then}


@login_required
@require_POST
def prefill_confirm(request: AuthedRequest) -> HttpResponse:
    """确认并登记家庭: register the proposed household, then continue where the clerk was
    (the intake form or the household's page). The ID number is posted, never in a URL."""
    raw = request.POST.get("id_number", "").strip()
    then = "intake" if request.POST.get("then") == "intake" else "household"
    chosen = {int(v) for v in request.POST.getlist("member") if v.isdigit()}
    offered = {int(v) for v in request.POST.getlist("offered") if v.isdigit()}
    try:
        household = actions.register_prefilled(
            raw, by=request.user, area_code=request.POST.get("area_code", "").strip(), exclude=offered - chosen
        )
    except DomainError as exc:
        context: dict[str, Any] = {"id_number": raw, "prefill_error": exc.message}
        context.update(prefill_context(request.user, raw, then=then))
        if then == "intake":
            context["not_found"] = True
            return render(request, "applications/intake.html", context, status=422)
        context["not_found"] = True
        return render(request, "registry/person_lookup.html", context, status=422)
    messages.success(request, f"已依据部门数据登记{household}（{household.member_count}人），请核对后继续办理")
    if then == "intake":
        return redirect(f"{reverse('applications:intake')}?household={household.pk}")
    return redirect(household)


@login_required
def population_upload(request: AuthedRequest) -> HttpResponse:
    """上传户籍人口 (公安): the county's full snapshot, all or nothing, with every row error."""
    from .population import load_population, may_load

    if not may_load(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = load_population(upload.read(), upload.name or "", by=request.user)
        except importer.ImportRejected as exc:
            context["rejected"] = exc.as_dict()
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            context["result"] = result
    from .models import PopulationRecord

    county = getattr(request.user.area, "code", "")[:6]
    current = PopulationRecord.objects.filter(county_code=county) if county else PopulationRecord.objects.all()
    latest = current.order_by("-loaded_at").first()
    context.update(
        current_persons=current.count(),
        current_households=current.values("household_no").distinct().count(),
        latest=latest,
    )
    return render(request, "registry/population.html", context)


@login_required
@require_POST
def document_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    household = _household(request, pk)
    form = DocumentForm(request.POST, request.FILES, household=household)
    if form.is_valid():
        person = None
        if form.cleaned_data["person"]:
            person = household.members.filter(pk=form.cleaned_data["person"]).first()
        try:
            actions.attach_document(
                household,
                form.cleaned_data["file"],
                by=request.user,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                person=person,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "材料已上传")
    else:
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect(household.get_absolute_url() + "#documents")


@login_required
def document_download(request: AuthedRequest, pk: int) -> FileResponse:
    from .models import Document

    doc = get_object_or_404(Document.objects.visible_to(request.user), pk=pk)
    path = storage.path_of(doc.storage_name)
    if not path.exists():
        raise Http404
    return FileResponse(
        open(path, "rb"),
        content_type=doc.content_type,
        filename=doc.original_name,
        as_attachment=request.GET.get("download") == "1",
    )


@login_required
def import_view(request: AuthedRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST" and form.is_valid():
        try:
            result = importer.import_file(form.cleaned_data["file"], by=request.user)
        except importer.ImportRejected as exc:
            body = exc.as_dict()
            token = uuid.uuid4().hex
            request.session[f"import_errors:{token}"] = body["errors"]
            context.update(rejected=body, report_token=token)
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"导入成功：{result.households}户、{result.persons}人")
            return redirect("registry:household_list")
    return render(request, "registry/import.html", context)


@login_required
def import_template(request: AuthedRequest) -> HttpResponse:
    return importer.template_response()


@login_required
def import_error_report(request: AuthedRequest, token: str) -> HttpResponse:
    errors = request.session.get(f"import_errors:{token}")
    if errors is None:
        raise Http404
    response = HttpResponse(
        importer.error_report_bytes(errors),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = "attachment; filename*=UTF-8''import-errors.xlsx"
    return response
