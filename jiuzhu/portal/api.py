"""掌上办 API at /api/v1/my/ (issue 18; INT-2, INT-9, INT-22, SUP-16). Its own auth: the
bearer token returned by ``POST /api/v1/my/login`` (docs/portal.md); staff tokens and staff
sessions are not accepted, and an applicant token reaches nothing outside /api/v1/my/.
Another household's objects answer 404 ``{"code": "not_found"}``."""

from __future__ import annotations

import time
from typing import Any

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.core.schemas import ErrorOut
from jiuzhu.registry import storage

from . import actions, declare, queries
from .auth import ApplicantBearer, applicant, client_ip
from .views import pace

router = Router(tags=["掌上办"], auth=ApplicantBearer())


class MyCodeIn(Schema):
    id_number: str


class MyLoginIn(Schema):
    id_number: str
    code: str


class MyMessageOut(Schema):
    message: str


class MyLoginOut(Schema):
    token: str
    token_type: str = "Bearer"
    expires_at: str
    name: str


class MyNoticeOut(Schema):
    id: int
    kind: str
    title: str
    number: str
    issued_at: str
    url: str


class MyCaseOut(Schema):
    id: int
    number: str
    program: str
    state: str
    state_label: str
    plain: str
    next_step: str
    due: str
    accepted_on: str
    missing_documents: list[str]
    upload_items: list[str]  # the missing items a photo may supply (补正 of a returned case)


class MyCaseDetailOut(MyCaseOut):
    notices: list[MyNoticeOut]
    supplements: list[dict[str, str]]


class MySupplementOut(Schema):
    id: int
    item: str
    uploaded_at: str
    missing_documents: list[str]


def _case(view: queries.CaseView) -> dict[str, Any]:
    app = view.app
    return {
        "id": app.pk,
        "number": app.number,
        "program": app.program_label,
        "state": app.state,
        "state_label": view.state_label,
        "plain": view.plain,
        "next_step": view.next_step,
        "due": view.due,
        "accepted_on": f"{app.accepted_at:%Y-%m-%d}",
        "missing_documents": view.missing,
        "upload_items": view.upload_items,
    }


@router.post(
    "/login/code", auth=None, response={200: MyMessageOut, 422: ErrorOut, 429: ErrorOut}, summary="获取登录验证码"
)
def login_code(request: HttpRequest, body: MyCodeIn) -> dict[str, str]:
    started = time.monotonic()
    try:
        return {"message": actions.request_code(body.id_number, ip=client_ip(request))}
    finally:
        pace(started)


@router.post(
    "/login", auth=None, response={200: MyLoginOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}, summary="验证码登录"
)
def login(request: HttpRequest, body: MyLoginIn) -> dict[str, Any]:
    signed = actions.sign_in(body.id_number, body.code, ip=client_ip(request), channel="api")
    return {
        "token": signed.token,
        "token_type": "Bearer",
        "expires_at": signed.session.expires_at.isoformat(),
        "name": signed.person.name,
    }


@router.get("/applications", response=list[MyCaseOut], summary="我家的救助申请")
def list_applications(request: HttpRequest) -> list[dict[str, Any]]:
    return [_case(v) for v in queries.cases_for(applicant(request))]


class MyReferralOut(Schema):
    number: str
    program: str
    department: str
    status: str  # in the family's words, with what was granted
    granted_amount_fen: int | None
    granted_period: str  # monthly 每月, once 一次性, empty when nothing was granted
    due: str  # YYYY-MM-DD, empty once the department has answered


@router.get("/referrals", response=list[MyReferralOut], summary="转给其他部门办理的救助（一体联动）")
def list_referrals(request: HttpRequest) -> list[dict[str, Any]]:
    return queries.referrals_for(applicant(request))


@router.get("/applications/{application_id}", response={200: MyCaseDetailOut, 404: ErrorOut}, summary="申请详情")
def get_application(request: HttpRequest, application_id: int) -> dict[str, Any]:
    from .models import Supplement

    app = queries.case_for(applicant(request), application_id)
    out = _case(queries.case_view(app))
    out["notices"] = [
        {
            "id": n.pk,
            "kind": n.kind,
            "title": n.get_kind_display(),
            "number": n.number,
            "issued_at": n.issued_at.isoformat(),
            "url": f"/api/v1/my/notices/{n.pk}.pdf",
        }
        for n in queries.notices_of(app)
    ]
    out["supplements"] = [
        {"item": s.item, "uploaded_at": s.uploaded_at.isoformat()} for s in Supplement.objects.filter(application=app)
    ]
    return out


@router.get("/notices/{notice_id}.pdf", response={200: None, 404: ErrorOut}, summary="下载通知书（PDF），并记录送达")
def notice_pdf(request: HttpRequest, notice_id: int) -> FileResponse:
    person = applicant(request)
    notice = queries.notice_for(person, notice_id)
    actions.record_delivery(notice, person=person, channel="api", mode="download", ip=client_ip(request))
    return FileResponse(
        open(storage.path_of(notice.document.storage_name), "rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=f"{notice.get_kind_display()}-{notice.number}.pdf",
    )


@router.post(
    "/applications/{application_id}/supplements",
    response={201: MySupplementOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="上传补正材料（退回补正的申请）",
)
def upload_supplement(
    request: HttpRequest, application_id: int, file: File[UploadedFile], item: Form[str]
) -> Status[dict[str, Any]]:
    person = applicant(request)
    app = queries.case_for(person, application_id)
    supplement = actions.upload_supplement(
        app, by=actions.applicant_actor(person), person=person, item=item, upload=file
    )
    app.refresh_from_db()
    return Status(
        201,
        {
            "id": supplement.pk,
            "item": supplement.item,
            "uploaded_at": supplement.uploaded_at.isoformat(),
            "missing_documents": [m["name"] for m in app.missing_documents],
        },
    )


# 掌上办申请 (issue 18 item 2; INT-2, INT-8, INT-22): the same steps as /my/apply/ for an app.


class MyOnlineIn(Schema):
    programs: list[str]
    reason: str = ""


class MyOnlineSignatureOut(Schema):
    id: int
    name: str
    documents: list[str]
    signed_at: str
    link_sent: bool
    new_member: bool = False  # declared new in this application: signs at the number declared with him
    void_reason: str = ""  # 已作废 at 受理: the new member was not adopted, or the member's removal was


class MyOnlineOut(Schema):
    id: int
    state: str
    state_label: str
    programs: list[str]
    estimate: list[dict[str, Any]]
    materials: list[dict[str, Any]]
    signatures: list[MyOnlineSignatureOut]
    uploads: list[str]
    changes: list[dict[str, Any]]
    finances: list[dict[str, Any]]
    receipt_number: str


def _online(app: Any) -> dict[str, Any]:
    from .apply import SIGN_LABELS, estimate

    labels = dict(SIGN_LABELS)
    result = estimate(app)
    return {
        "id": app.pk,
        "state": app.state,
        "state_label": app.get_state_display(),
        "programs": list(app.programs),
        "estimate": result["lines"],
        "materials": [dict(m) for m in result["materials"]],
        "signatures": [
            {
                "id": s.pk,
                "name": s.member_name,
                "documents": [labels[d] for d in s.documents],
                "signed_at": s.signed_at.isoformat() if s.signed_at else "",
                "link_sent": s.link_sent_at is not None,
                "new_member": s.change_id is not None,
                "void_reason": s.void_reason if s.voided_at else "",
            }
            for s in app.signatures.select_related("person", "change")
        ],
        "uploads": [u.item for u in app.uploads.all()],
        "changes": [{k: c[k] for k in ("id", "kind", "text", "state")} for c in declare.changes_view(app)],
        "finances": [
            {k: m[k] for k in ("key", "name", "relation", "new", "finances")} for m in declare.members_view(app)
        ],
        "receipt_number": app.intake.receipt_number if app.intake_id else "",
    }


@router.post("/online", response={201: MyOnlineOut, 409: ErrorOut, 422: ErrorOut}, summary="网上申请（开始）")
def online_start(request: HttpRequest, body: MyOnlineIn) -> Status[dict[str, Any]]:
    from .apply import start

    return Status(201, _online(start(applicant(request), programs=body.programs, reason=body.reason)))


@router.get("/online/{online_id}", response={200: MyOnlineOut, 404: ErrorOut}, summary="网上申请详情")
def online_get(request: HttpRequest, online_id: int) -> dict[str, Any]:
    from .apply import own_application

    return _online(own_application(applicant(request), online_id))


@router.post(
    "/online/{online_id}/uploads",
    response={201: MyOnlineOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="网上申请上传材料照片",
)
def online_upload(
    request: HttpRequest, online_id: int, file: File[UploadedFile], item: Form[str]
) -> Status[dict[str, Any]]:
    from .apply import add_upload, own_application

    person = applicant(request)
    app = own_application(person, online_id)
    add_upload(app, person=person, item=item, upload=file)
    return Status(201, _online(app))


@router.post(
    "/online/{online_id}/signatures/{signature_id}/link",
    response={200: MyMessageOut, 404: ErrorOut, 409: ErrorOut, 429: ErrorOut},
    summary="发送签署链接（短信）",
)
def online_link(request: HttpRequest, online_id: int, signature_id: int) -> dict[str, str]:
    from jiuzhu.core.errors import NotFound

    from .apply import own_application, send_link

    person = applicant(request)
    app = own_application(person, online_id)
    sig = app.signatures.select_related("person", "change").filter(pk=signature_id).first()
    if sig is None:
        raise NotFound("not_found", "未找到")
    to = send_link(sig, by_person=person, base_url=request.build_absolute_uri("/"))
    return {"message": f"签署链接已发送到{sig.member_name}的手机（{to}）"}


@router.post(
    "/online/{online_id}/submit", response={200: MyOnlineOut, 404: ErrorOut, 409: ErrorOut}, summary="提交网上申请"
)
def online_submit(request: HttpRequest, online_id: int) -> dict[str, Any]:
    from .apply import own_application, submit

    person = applicant(request)
    return _online(submit(own_application(person, online_id), person=person))


class MyChangeIn(Schema):
    kind: str  # add_member, remove_member, phone, address
    member: int | None = None
    name: str = ""
    id_number: str = ""
    relation: str = ""
    reason: str = ""
    phone: str = ""
    address: str = ""


class MyFinancesIn(Schema):
    values: dict[str, str]  # the window's form fields in 元: income_wage, asset_deposits, asset_vehicles, …


class MyPhoneIn(Schema):
    phone: str


@router.post(
    "/online/{online_id}/changes",
    response={201: MyOnlineOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="申报家庭情况变化（成员、联系电话、住址）",
)
def online_change(request: HttpRequest, online_id: int, body: MyChangeIn) -> Status[dict[str, Any]]:
    from jiuzhu.core.errors import InvalidInput

    from .apply import own_application

    person = applicant(request)
    app = own_application(person, online_id)
    if body.kind == "add_member":
        declare.declare_member(app, by_person=person, data=body.dict())
    elif body.kind == "remove_member":
        declare.declare_removal(app, by_person=person, member_id=body.member, reason=body.reason)
    elif body.kind == "phone":
        declare.declare_phone(app, by_person=person, member_id=body.member, phone=body.phone)
    elif body.kind == "address":
        declare.declare_address(app, by_person=person, address=body.address)
    else:
        raise InvalidInput("invalid_choice", "申报事项应为新增成员、成员迁出、联系电话或家庭住址", field="kind")
    return Status(201, _online(app))


@router.delete(
    "/online/{online_id}/changes/{change_id}",
    response={200: MyOnlineOut, 404: ErrorOut, 409: ErrorOut},
    summary="撤销一项申报",
)
def online_change_cancel(request: HttpRequest, online_id: int, change_id: int) -> dict[str, Any]:
    from .apply import own_application

    person = applicant(request)
    app = own_application(person, online_id)
    declare.cancel(app, by_person=person, change_id=change_id)
    return _online(app)


@router.put(
    "/online/{online_id}/finances/{member_key}",
    response={200: MyOnlineOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="申报一名成员的收入和财产",
)
def online_finances(request: HttpRequest, online_id: int, member_key: str, body: MyFinancesIn) -> dict[str, Any]:
    from .apply import own_application

    person = applicant(request)
    app = own_application(person, online_id)
    declare.declare_finances(app, by_person=person, key=member_key, data=body.values)
    return _online(app)


@router.post(
    "/online/{online_id}/signatures/{signature_id}/phone",
    response={200: MyMessageOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    summary="为没有登记手机号的成员提供手机号（首次使用）",
)
def online_phone(request: HttpRequest, online_id: int, signature_id: int, body: MyPhoneIn) -> dict[str, str]:
    from jiuzhu.core.errors import NotFound

    from .apply import own_application

    person = applicant(request)
    app = own_application(person, online_id)
    sig = app.signatures.select_related("person", "change").filter(pk=signature_id).first()
    if sig is None:
        raise NotFound("not_found", "未找到")
    to = declare.give_phone(sig, by_person=person, phone=body.phone)
    return {"message": f"已记录{sig.member_name}的手机号（{to}），请发送签署链接"}
