"""掌上办申请 for the town window through the staff API (issue 18 item 2; INT-2, LNK-3): the
queue of submitted online applications of the caller's jurisdiction and 受理 — the same action
as ``/online-intake/`` (``apply.accept``), with the declared changes the clerk adopts and the
online signatures as they count after adoption (void ones with their reason)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import PROGRAM_CHOICES
from jiuzhu.core.errors import Forbidden, NotFound
from jiuzhu.core.schemas import ErrorOut

from . import apply, declare
from .models import OnlineApplication

router = Router(tags=["掌上办受理"])


class OnlineSignatureStaffOut(Schema):
    name: str
    documents: list[str]
    signed_at: str
    phone: str  # masked
    phone_source: str  # 登记的手机号 / 首次使用时提供 / 申报新增成员时提供
    new_member: bool
    void_reason: str


class OnlineChangeStaffOut(Schema):
    id: int
    kind: str
    text: str
    state: str


class OnlineQueueOut(Schema):
    id: int
    submitted_at: str
    applicant: str
    programs: list[str]
    state: str
    signatures: list[OnlineSignatureStaffOut]
    changes: list[OnlineChangeStaffOut]
    receipt_number: str
    application_ids: list[int]


class OnlineAcceptIn(Schema):
    adopt: list[int] | None = None  # ids of the declared changes checked; null: all of them


def _clerk(request: HttpRequest) -> User:
    user: User = request.auth  # type: ignore[attr-defined]
    if not apply.is_town_window(user):
        raise Forbidden("forbidden", "掌上办申请由乡镇（街道）社会救助窗口受理")
    return user


def _out(app: OnlineApplication) -> dict[str, Any]:
    names = dict(PROGRAM_CHOICES)
    labels = dict(apply.SIGN_LABELS)
    intake = app.intake
    return {
        "id": app.pk,
        "submitted_at": app.submitted_at.isoformat() if app.submitted_at else "",
        "applicant": app.applicant.name,
        "programs": [names.get(p, p) for p in app.programs],
        "state": app.get_state_display(),
        "signatures": [
            {
                "name": s.member_name,
                "documents": [labels[d] for d in s.documents],
                "signed_at": s.signed_at.isoformat() if s.signed_at else "",
                "phone": s.phone_masked,
                "phone_source": s.get_phone_source_display(),
                "new_member": s.change_id is not None,
                "void_reason": s.void_reason if s.voided_at else "",
            }
            for s in app.signatures.all()
        ],
        "changes": [{k: c[k] for k in ("id", "kind", "text", "state")} for c in declare.changes_view(app)],
        "receipt_number": intake.receipt_number if intake is not None else "",
        "application_ids": list(intake.applications.order_by("id").values_list("id", flat=True)) if intake else [],
    }


@router.get("", response={200: list[OnlineQueueOut], 403: ErrorOut}, summary="掌上办申请待受理（本辖区）")
def online_queue(request: HttpRequest) -> list[dict[str, Any]]:
    user = _clerk(request)
    rows = (
        OnlineApplication.objects.visible_to(user)
        .filter(state="submitted")
        .select_related("applicant")
        .prefetch_related("signatures__person", "signatures__change")
    )
    return [_out(a) for a in declare.read_for_queue(rows.order_by("submitted_at", "id"))]


@router.post(
    "/{online_id}/accept",
    response={200: OnlineQueueOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="受理掌上办申请（采纳核实无误的申报变化）",
)
def online_accept(request: HttpRequest, online_id: int, body: OnlineAcceptIn) -> dict[str, Any]:
    user = _clerk(request)
    app = OnlineApplication.objects.visible_to(user).filter(pk=online_id).first()
    if app is None:
        raise NotFound("not_found", "对象不存在或不在您的管辖范围内")
    apply.accept(app, by=user, adopted=body.adopt)
    app.refresh_from_db()
    return _out(app)
