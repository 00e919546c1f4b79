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

from . import actions, queries
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
