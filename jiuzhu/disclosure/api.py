"""Public API (no auth) under /api/v1/public/: status query, 公示 list and online objection."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status

from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.schemas import ErrorOut

from . import policy, services

router = Router(tags=["公开"], auth=None)


class StatusIn(Schema):
    receipt_number: str
    id_number: str


class StatusLineOut(Schema):
    program: str
    state: str
    next_step: str


class StatusOut(Schema):
    found: bool
    message: str
    lines: list[StatusLineOut]


def _ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


@router.post("/status", response={200: StatusOut, 422: ErrorOut, 429: ErrorOut})
def status(request: HttpRequest, payload: StatusIn) -> StatusOut:
    """办理进度查询 (INT-23): the same answer for an unknown receipt and a wrong ID number."""
    services.check_rate("status", _ip(request))
    lines = services.status_of(payload.receipt_number, payload.id_number)
    return StatusOut(
        found=bool(lines),
        message="" if lines else services.NOT_FOUND,
        lines=[StatusLineOut(program=x.program, state=x.state, next_step=x.next_step) for x in lines],
    )


class EntryOut(Schema):
    number: str
    name: str
    id_number: str
    program: str
    amount: str
    period: str


def _village(code: str) -> str:
    if len(code) != 12 or not code.isdigit():
        raise InvalidInput("invalid_village", "村（社区）代码应为12位数字", field="village_code")
    return code


@router.get("/gongshi/{village_code}", response={200: list[EntryOut], 422: ErrorOut})
def gongshi(request: HttpRequest, village_code: str) -> list[EntryOut]:
    """公示 list of a village: entries in their period only, masked."""
    entries = services.gongshi_entries(_village(village_code))
    return [
        EntryOut(
            number=e.number, name=e.name, id_number=e.id_number, program=e.program, amount=e.amount, period=e.period
        )
        for e in entries
    ]


class ObjectionIn(Schema):
    number: str
    name: str = ""
    phone: str = ""
    reason: str


class ObjectionOut(Schema):
    message: str


@router.post(
    "/gongshi/{village_code}/objections", response={201: ObjectionOut, 422: ErrorOut, 429: ErrorOut, 409: ErrorOut}
)
def object_online(request: HttpRequest, village_code: str, payload: ObjectionIn) -> Status[ObjectionOut]:
    """在线异议 (anonymous allowed): lands on the case as an objection."""
    services.check_rate("objection", _ip(request))
    services.file_objection(
        _village(village_code), payload.number, name=payload.name, phone=payload.phone, reason=payload.reason
    )
    return Status(201, ObjectionOut(message="您的异议已收到，镇（街道）将调查核实并组织民主评议。"))


class StandardOut(Schema):
    label: str
    value: str
    unit: str
    valid_from: str


class PublicProgramOut(Schema):
    code: str
    name: str
    target_group: str
    materials: list[str]
    standards: list[StandardOut]


@router.get("/policy/{county_code}", response={200: list[PublicProgramOut], 422: ErrorOut})
def policy_programs(request: HttpRequest, county_code: str) -> list[PublicProgramOut]:
    """政策公开: programs, standards in force today and materials of a county."""
    if len(county_code) != 6 or not county_code.isdigit():
        raise InvalidInput("invalid_county", "县级代码应为6位数字", field="county_code")
    return [
        PublicProgramOut(
            code=p.code,
            name=p.view.program.name,
            target_group=p.view.program.target_group,
            materials=[m.label for m in p.view.items],
            standards=[
                StandardOut(label=s.label, value=s.display, unit=s.unit, valid_from=s.valid_from.isoformat())
                for s in p.standards
            ],
        )
        for p in policy.program_pages(county_code, timezone.localdate())
    ]
