"""掌上办申请 pages (issue 18 item 2; INT-2, INT-8, INT-11, INT-22): apply, upload, send signing
links, submit — for the signed-in member's own household only — and the signing page a member
opens from the SMS link on their own phone (the link plus an SMS code to that member's number
is the credential; no sign-in)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers

from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.core.masking import mask_phone
from jiuzhu.programs.forms import FinancesForm, initial_from_facts
from jiuzhu.registry.models import RELATION_CHOICES, Person
from jiuzhu.registry.pii import unseal

from . import apply, declare
from .actions import TooManyRequests
from .auth import applicant_required, client_ip
from .models import OnlineApplication
from .views import not_found_page


def _status(e: DomainError) -> int:
    return e.status if isinstance(e, TooManyRequests) else 422


DECLARED = {
    "add_member": "已申报新增家庭成员",
    "remove_member": "已申报成员迁出",
    "phone": "已申报联系电话",
    "address": "已申报家庭住址",
    "finances": "收入和财产已保存",
    "cancel_change": "已撤销这项申报",
}


def _declare(step: str, app: OnlineApplication, person: Person, post: Any) -> str:
    """One declaration of the household form (``declare``); returns the confirmation."""
    if step == "add_member":
        declare.declare_member(app, by_person=person, data=post)
    elif step == "remove_member":
        declare.declare_removal(app, by_person=person, member_id=post.get("member"), reason=post.get("reason", ""))
    elif step == "phone":
        declare.declare_phone(app, by_person=person, member_id=post.get("member"), phone=post.get("phone", ""))
    elif step == "address":
        declare.declare_address(app, by_person=person, address=post.get("address", ""))
    elif step == "finances":
        declare.declare_finances(app, by_person=person, key=post.get("member", ""), data=post)
    else:
        declare.cancel(app, by_person=person, change_id=post.get("change"))
    return DECLARED[step]


def _finance_forms(app: OnlineApplication, posted: str, post: Any) -> list[dict[str, Any]]:
    """One 收入和财产 form per member; the one just posted keeps what was typed."""
    rows = declare.members_view(app)
    for row in rows:
        key = row["key"]
        auto_id = f"fin_{key}_%s"
        if key == posted and post is not None:
            form = FinancesForm(post, auto_id=auto_id)
            form.is_valid()
        else:
            form = FinancesForm(initial=initial_from_facts([row["finances"]])[0], auto_id=auto_id)
        row["form"] = form
        row["open"] = key == posted
        row["words"] = declare.finance_words(row["finances"])
    return rows


@applicant_required
@not_found_page
def apply_new(request: HttpRequest) -> HttpResponse:
    person = request.applicant  # type: ignore[attr-defined]
    open_app = OnlineApplication.objects.filter(
        household_id=person.household_id, state__in=("draft", "submitted")
    ).first()
    if open_app is not None:
        return redirect("portal:apply_detail", open_app.pk)
    errors: dict[str, str] = {}
    chosen = request.POST.getlist("programs")
    if request.method == "POST":
        try:
            app = apply.start(person, programs=chosen, reason=request.POST.get("reason", ""))
            return redirect("portal:apply_detail", app.pk)
        except DomainError as e:
            errors[(e.field or "form").split("[")[0]] = e.message
    context = {"person": person, "programs": apply.offered_programs(person), "chosen": chosen, "errors": errors}
    return render(request, "portal/apply_new.html", context, status=422 if errors else 200)


@applicant_required
@not_found_page
def apply_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = request.applicant  # type: ignore[attr-defined]
    try:
        app = apply.own_application(person, pk)
    except NotFound:
        return render(request, "portal/not_found.html", {"code": "not_found"}, status=404)
    errors: dict[str, str] = {}
    done = ""
    status = 200
    step = request.POST.get("step", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            if step in DECLARED:
                done = _declare(step, app, person, request.POST)
            elif step == "upload":
                upload = request.FILES.get("file")
                if upload is None:
                    raise DomainError("required", "请拍照或选择要上传的材料", field="file")
                row = apply.add_upload(app, person=person, item=request.POST.get("item", ""), upload=upload)
                done = f"“{row.item}”已上传"
            elif step == "link":
                sig = (
                    app.signatures.filter(pk=request.POST.get("signature") or 0)
                    .select_related("person", "change")
                    .first()
                )
                if sig is None:
                    raise DomainError("invalid_person", "请选择要签署的家庭成员", field="signature")
                phone = request.POST.get("phone", "").strip()
                if sig.person is not None and not sig.person.phone_enc and (phone or not sig.given_phone_enc):
                    errors["phone_for"] = str(sig.pk)  # an error below belongs to this member's row
                    declare.give_phone(sig, by_person=person, phone=phone)
                to = apply.send_link(sig, by_person=person, base_url=request.build_absolute_uri("/"))
                done = f"签署链接已发送到{sig.member_name}的手机（{to}）"
            elif step == "submit":
                apply.submit(app, person=person)
                done = "申请已提交，乡镇（街道）受理后会发送受理回执，可在“我家的申请”中查看进度"
            elif step == "withdraw":
                apply.withdraw(app, person=person)
                return redirect("portal:home")
            else:
                raise DomainError("invalid_choice", "未知操作")
        except DomainError as e:
            for item in e.errors or [e]:
                errors.setdefault((item.field or "form").removeprefix("member."), item.message)
            status = _status(e)
        app.refresh_from_db()
    members = [
        {
            "pk": m.pk,
            "name": m.name,
            "relation": m.relation_label,
            "id": m.id_number_masked,
            "phone": m.phone_masked,
            "age": m.age_on(apply._today()),
        }
        for m in Person.objects.filter(household_id=app.household_id, death_date__isnull=True).order_by("id")
    ]
    context: dict[str, Any] = {
        "person": person,
        "app": app,
        "estimate": apply.estimate(app),
        "members": members,
        "signatures": [
            {
                "row": s,
                "has_phone": s.person is None or bool(s.person.phone_enc),  # a new member signs at his declared number
                "given": mask_phone(unseal("phone", s.given_phone_enc)) if s.given_phone_enc else "",
            }
            for s in app.signatures.select_related("person", "change")
        ],
        "uploads": list(app.uploads.all()),
        "errors": errors,
        "done": done,
        "all_signed": not apply.unsigned(app),
        "leaving": set(app.changes.filter(kind="remove_member").values_list("person_id", flat=True)),
        "step": step,
        "post": request.POST if status != 200 else {},
        "changes": declare.changes_view(app),
        "finances": _finance_forms(
            app,
            request.POST.get("member", "") if step == "finances" else "",
            request.POST if step == "finances" else None,
        ),
        "relations": [(code, label) for code, label in RELATION_CHOICES if code != "self"],
    }
    return render(request, "portal/apply_detail.html", context, status=status)


def sign_view(request: HttpRequest, token: str) -> HttpResponse:
    """签署页: the member opens the link, reads the texts, types their name, confirms by SMS code."""
    try:
        sig = apply.signature_for(token)
    except NotFound:
        response = render(request, "portal/sign_done.html", {"invalid": True}, status=404)
        add_never_cache_headers(response)
        return response
    errors: dict[str, str] = {}
    sent = ""
    status = 200
    if request.method == "POST":
        try:
            if request.POST.get("step") == "send":
                sent = f"验证码已发送到您的手机（{apply.send_sign_code(sig)}），5分钟内有效"
            else:
                signed = apply.sign(
                    sig,
                    typed_name=request.POST.get("typed_name", ""),
                    code=request.POST.get("code", ""),
                    agreed=request.POST.get("agreed") == "1",
                    ip=client_ip(request),
                )
                response = render(request, "portal/sign_done.html", {"sig": signed})
                add_never_cache_headers(response)
                return response
        except DomainError as e:
            errors[e.field or "form"] = e.message
            status = _status(e)
        sig.refresh_from_db()
    context = {
        "sig": sig,
        "labels": [label for code, label in apply.SIGN_LABELS if code in sig.documents],
        "errors": errors,
        "sent": sent,
    }
    response = render(request, "portal/sign.html", context, status=status)
    add_never_cache_headers(response)
    return response
