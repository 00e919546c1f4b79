"""Registry API: households, persons, documents (一户一档)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from jiuzhu.accounts.auth import actor
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.schemas import ErrorOut

from . import actions, importer, storage
from .models import Document, Household, Person
from .queries import search_households

households = Router(tags=["家庭档案"])
persons = Router(tags=["成员"])
documents = Router(tags=["档案材料"])


class MemberIn(Schema):
    name: str = ""
    id_number: str = ""
    relation: str = ""
    phone: str = ""
    bank_name: str = ""
    bank_account: str = ""
    labour_capacity: str = ""
    health_status: str = ""
    disability_category: str = ""
    disability_grade: int | None = None
    marital_status: str = ""
    school_status: str = ""
    employment_status: str = ""
    birth_date: dt.date | None = None
    gender: str = ""


class MemberPatch(Schema):
    name: str | None = None
    id_number: str | None = None
    relation: str | None = None
    phone: str | None = None
    bank_name: str | None = None
    bank_account: str | None = None
    labour_capacity: str | None = None
    health_status: str | None = None
    disability_category: str | None = None
    disability_grade: int | None = None
    marital_status: str | None = None
    school_status: str | None = None
    employment_status: str | None = None
    death_date: dt.date | None = None
    version: int | None = None


class HouseholdIn(Schema):
    area_code: str
    address: str = ""
    members: list[MemberIn]
    poverty_cause: str = ""
    hardship_degree: str = ""
    rigid_expense_yearly_fen: int = 0
    remarks: str = ""
    categories: list[str] = []


class HouseholdPatch(Schema):
    address: str | None = None
    poverty_cause: str | None = None
    hardship_degree: str | None = None
    rigid_expense_yearly_fen: int | None = None
    remarks: str | None = None
    categories: list[str] | None = None
    version: int | None = None


class PersonOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date
    relation: str
    id_number_masked: str
    phone_masked: str
    bank_name: str
    bank_account_masked: str
    labour_capacity: str
    health_status: str
    disability_category: str
    disability_grade: int | None
    marital_status: str
    school_status: str
    employment_status: str
    death_date: dt.date | None
    household_id: int | None
    version: int


class HouseholdOut(Schema):
    id: int
    area_code: str
    area_name: str
    address: str
    urban_rural: str
    head_name: str
    member_count: int
    poverty_cause: str
    hardship_degree: str
    rigid_expense_yearly_fen: int
    remarks: str
    categories: list[str]
    version: int
    created_at: dt.datetime
    members: list[PersonOut]


class HouseholdBrief(Schema):
    id: int
    area_code: str
    area_name: str
    address: str
    head_name: str
    member_count: int
    urban_rural: str


class HouseholdPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[HouseholdBrief]


class LookupOut(Schema):
    person: PersonOut
    household_id: int | None


class RevealIn(Schema):
    field: str


class RevealOut(Schema):
    field: str
    value: str


class MoveIn(Schema):
    to_household_id: int
    relation: str
    reason: str


class RemoveIn(Schema):
    reason: str
    left_on: dt.date | None = None


class DocumentOut(Schema):
    id: int
    household_id: int
    person_id: int | None
    kind: str
    title: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    uploaded_at: dt.datetime


class HistoryOut(Schema):
    seq: int
    at: dt.datetime
    actor_name: str
    action: str
    changes: dict[str, Any]


class ImportOut(Schema):
    households: int
    persons: int


def household_out(h: Household) -> dict[str, Any]:
    return {
        "id": h.pk,
        "area_code": h.area_id,
        "area_name": h.area.name,
        "address": h.address,
        "urban_rural": h.urban_rural,
        "head_name": h.head_name,
        "member_count": h.member_count,
        "poverty_cause": h.poverty_cause,
        "hardship_degree": h.hardship_degree,
        "rigid_expense_yearly_fen": h.rigid_expense_yearly_fen,
        "remarks": h.remarks,
        "categories": [c.code for c in h.categories.all()],
        "version": h.version,
        "created_at": h.created_at,
        "members": list(h.current_members()),
    }


def _household(request: HttpRequest, household_id: int) -> Household:
    found: Household = get_object_or_404(
        Household.objects.visible_to(actor(request)).select_related("area"), pk=household_id
    )
    return found


def _person(request: HttpRequest, person_id: int) -> Person:
    found: Person = get_object_or_404(Person.objects.visible_to(actor(request)), pk=person_id)
    return found


@households.get("", response=HouseholdPage, summary="家庭列表（分页、检索）")
def list_households(
    request: HttpRequest, q: str = "", area: str = "", page: int = 1, page_size: int = 20
) -> dict[str, Any]:
    page_size = max(1, min(page_size, 200))
    page = max(page, 1)
    qs = search_households(Household.objects.visible_to(actor(request)), q, area)
    count = qs.count()
    rows = qs.select_related("area").order_by("-id")[(page - 1) * page_size : page * page_size]
    items = [
        {
            "id": h.pk,
            "area_code": h.area_id,
            "area_name": h.area.name,
            "address": h.address,
            "head_name": h.head_name,
            "member_count": h.member_count,
            "urban_rural": h.urban_rural,
        }
        for h in rows
    ]
    return {"count": count, "page": page, "page_size": page_size, "items": items}


@households.post("", response={201: HouseholdOut}, summary="登记家庭")
def create_household(request: HttpRequest, body: HouseholdIn) -> Status[dict[str, Any]]:
    data = body.dict()
    members = [{k: v for k, v in m.items() if v not in (None, "")} for m in data.pop("members")]
    household = actions.create_household(by=actor(request), members=members, **data)
    return Status(201, household_out(_household(request, household.pk)))


@households.get("/import-template", summary="下载家庭导入模板（Excel）", response={200: None})
def import_template(request: HttpRequest) -> HttpResponse:
    return importer.template_response()


@households.post("/import", response={200: ImportOut}, summary="批量导入家庭（xlsx 或 csv，全部成功或全部不导入）")
def import_households(request: HttpRequest, file: File[UploadedFile]) -> dict[str, int]:
    result = importer.import_file(file, by=actor(request))
    return {"households": result.households, "persons": result.persons}


@households.get("/{household_id}", response=HouseholdOut, summary="家庭详情（个人信息已脱敏）")
def get_household(request: HttpRequest, household_id: int) -> dict[str, Any]:
    return household_out(_household(request, household_id))


@households.patch("/{household_id}", response=HouseholdOut, summary="修改家庭信息")
def update_household(request: HttpRequest, household_id: int, body: HouseholdPatch) -> dict[str, Any]:
    data = body.dict(exclude_unset=True)
    actions.update_household(_household(request, household_id), by=actor(request), **data)
    return household_out(_household(request, household_id))


@households.post("/{household_id}/members", response={201: PersonOut}, summary="增加家庭成员")
def add_member(request: HttpRequest, household_id: int, body: MemberIn) -> Status[Person]:
    data = {k: v for k, v in body.dict().items() if v not in (None, "")}
    return Status(201, actions.add_member(_household(request, household_id), data, by=actor(request)))


@households.get("/{household_id}/history", response=list[HistoryOut], summary="家庭档案变更记录")
def household_history(request: HttpRequest, household_id: int) -> list[AuditEntry]:
    household = _household(request, household_id)
    return list(AuditEntry.objects.for_object(household).order_by("-seq")[:500])


@households.get("/{household_id}/documents", response=list[DocumentOut], summary="档案材料列表")
def list_documents(request: HttpRequest, household_id: int) -> list[Document]:
    return list(_household(request, household_id).documents.all())


@households.post("/{household_id}/documents", response={201: DocumentOut}, summary="上传档案材料")
def upload_document(
    request: HttpRequest,
    household_id: int,
    file: File[UploadedFile],
    kind: Form[str],
    title: Form[str] = "",
    person_id: Form[int | None] = None,
) -> Status[Document]:
    household = _household(request, household_id)
    person = _person(request, person_id) if person_id else None
    doc = actions.attach_document(household, file, by=actor(request), kind=kind, title=title, person=person)
    return Status(201, doc)


@documents.get("/{document_id}/file", summary="下载档案材料", response={200: None})
def download_document(request: HttpRequest, document_id: int) -> FileResponse:
    doc = get_object_or_404(Document.objects.visible_to(actor(request)), pk=document_id)
    return FileResponse(
        open(storage.path_of(doc.storage_name), "rb"), content_type=doc.content_type, filename=doc.original_name
    )


class PersonLookupIn(Schema):
    id_number: str


@persons.post("/lookup", response=LookupOut, summary="按身份证号查询人员（一证申请）")
def lookup(request: HttpRequest, body: PersonLookupIn) -> dict[str, Any]:
    """The ID number travels in the request body, never in the URL (logs, proxies, history)."""
    person = actions.look_up_by_id(body.id_number, by=actor(request))
    if person is None:
        from django.http import Http404

        raise Http404
    return {"person": person, "household_id": person.household_id}


@persons.get("/lookup", response={410: ErrorOut}, summary="（已停用）按身份证号查询：请改用 POST")
def lookup_by_get(request: HttpRequest) -> Status[dict[str, str]]:
    return Status(
        410,
        {
            "code": "gone",
            "message": "为保护个人信息，身份证号码不能放在网址中：请改用 POST /api/v1/persons/lookup，"
            '请求体为 {"id_number": …}',
        },
    )


# ---- 一证申请: 户籍人口 and 部门数据预填 (INT-3) ------------------------------------------------

population = Router(tags=["户籍人口"])


class PopulationLoadOut(Schema):
    households: int
    persons: int
    replaced: int
    county_code: str


@population.post(
    "",
    response={200: PopulationLoadOut, 422: ErrorOut},
    summary="上传户籍人口数据（公安，全量替换，全部成功或全部不入库）",
)
def load_population(request: HttpRequest, file: File[UploadedFile]) -> dict[str, Any]:
    """Columns 户号、与户主关系、姓名、身份证号码、户籍地址、户籍地区划代码 (.xlsx or .csv in
    UTF-8/GBK). Any invalid row: 422 with ``errors`` (row, column, message) and nothing written."""
    from .population import load_population as load

    result = load(file.read(), file.name or "", by=actor(request))
    return {
        "households": result.households,
        "persons": result.persons,
        "replaced": result.replaced,
        "county_code": result.county_code,
    }


class PrefillFactOut(Schema):
    kind: str
    label: str
    detail: str
    source: str
    date: str
    loaded_on: str


class PrefillMemberOut(Schema):
    record_id: int
    name: str
    id_number_masked: str
    relation: str
    relation_label: str
    relation_text: str
    gender: str
    birth_date: dt.date
    age: int
    area_code: str
    address: str
    outside_county: bool
    deceased: bool
    proposed: bool
    is_applicant: bool
    flags: list[str]
    facts: list[PrefillFactOut]
    suggested: dict[str, Any]
    source: str
    loaded_on: str


class PrefillVillageOut(Schema):
    code: str
    name: str


class PrefillOut(Schema):
    household_no: str
    county_code: str
    address: str
    area_code: str
    village: PrefillVillageOut | None
    members: list[PrefillMemberOut]
    source: str
    loaded_on: str


@persons.post("/prefill", response={200: PrefillOut, 404: ErrorOut}, summary="部门数据预填（一证申请）")
def prefill(request: HttpRequest, body: PersonLookupIn) -> dict[str, Any]:
    """The household the departments know for an ID number not yet registered: members
    (masked ID numbers), their facts with source and date, flags (户籍不在本县, 已死亡)."""
    from jiuzhu.core.errors import NotFound

    from .prefill import prefill_from_departments

    result = prefill_from_departments(body.id_number, by=actor(request))
    if result is None:
        raise NotFound("not_found", "部门户籍数据中没有该身份证号码（或不在您所在的县区）")
    return result


@persons.get("/{person_id}", response=PersonOut, summary="成员详情（脱敏）")
def get_person(request: HttpRequest, person_id: int) -> Person:
    return _person(request, person_id)


@persons.patch("/{person_id}", response=PersonOut, summary="修改成员信息")
def update_person(request: HttpRequest, person_id: int, body: MemberPatch) -> Person:
    data = body.dict(exclude_unset=True)
    version = data.pop("version", None)
    return actions.update_member(_person(request, person_id), data, by=actor(request), version=version)


@persons.post("/{person_id}/reveal", response=RevealOut, summary="查看完整个人信息（记录审计）")
def reveal(request: HttpRequest, person_id: int, body: RevealIn) -> dict[str, str]:
    value = actions.reveal(_person(request, person_id), body.field, by=actor(request))
    return {"field": body.field, "value": value}


@persons.post("/{person_id}/move", response=PersonOut, summary="成员迁移到另一家庭")
def move(request: HttpRequest, person_id: int, body: MoveIn) -> Person:
    target = _household(request, body.to_household_id)
    return actions.move_member(
        _person(request, person_id), by=actor(request), to=target, relation=body.relation, reason=body.reason
    )


@persons.post("/{person_id}/remove", response=PersonOut, summary="成员迁出（死亡、婚出等）")
def remove(request: HttpRequest, person_id: int, body: RemoveIn) -> Person:
    return actions.remove_member(
        _person(request, person_id), by=actor(request), reason=body.reason, left_on=body.left_on
    )
