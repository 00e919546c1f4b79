"""Per-county program catalog (issue 16 item 3): which programs a county runs, with its own
承办部门, contact, materials and 取消的证明事项, and local programs (PRG-2, INT-16, INT-18)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import Forbidden, InvalidInput
from jiuzhu.programs import actions
from jiuzhu.programs.county import county_view, intake_materials, runs_engine_program
from jiuzhu.programs.models import AssistanceProgram, CountyProgram

pytestmark = pytest.mark.django_db

PROOF = {"name": "户籍不在申请地成员的未享受低保证明", "document": "台政字〔2020〕21号"}


def put(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.put(url, json.dumps(body), content_type="application/json")


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def dibao_rural() -> AssistanceProgram:
    return AssistanceProgram.objects.get(code="dibao_rural")


def local_body(**kw: Any) -> dict[str, Any]:
    return {
        "code": "tez_meal_test",
        "name": "困难老人助餐补助（测试）",
        "layer": "social",
        "department_name": "台儿庄区民政局",
        "target_group": "70周岁以上低保老人",
        "conditions": "本区户籍",
        "benefits": "每餐补助3元",
        "documents": ["居民身份证", "助餐申请表"],
        "area_code": "370405",
        **kw,
    }


def test_it_saves_the_countys_department_contact_materials_and_proofs_with_audit(world: Any) -> None:
    """PRG-2, INT-16, INT-18: the county's own entries, audited with who and when."""
    user = world.user("tez_county")
    row = actions.set_county_program(
        dibao_rural(),
        by=user,
        county_code="370405",
        department_name="台儿庄区民政局社会救助科",
        contact_person="王科长",
        contact_phone="0632-6611234",
        materials=["居民身份证", "低保申请表", PROOF["name"]],
        abolished_proofs=[PROOF],
        note="一次办好",
    )
    assert row.updated_by == user and row.updated_at is not None
    view = county_view("370405", dibao_rural())
    assert view.department_name == "台儿庄区民政局社会救助科"
    assert view.required_materials == ["居民身份证", "低保申请表"]
    entry = AuditEntry.objects.filter(action="programs.county.edit").latest("id")
    assert entry.changes["contact_phone"] == "0632-6611234" and entry.changes["program"] == "dibao_rural"


def test_it_falls_back_to_the_catalog_materials_when_the_county_sets_none(world: Any) -> None:
    """INT-16: an empty county list means the catalog's."""
    view = county_view("370405", dibao_rural())
    assert view.materials == dibao_rural().documents and not view.own_materials


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"contact_phone": "12345"}, "contact_phone", "联系电话格式不正确"),
        ({"materials": ["居民身份证", "  "]}, "materials[1]", "申请材料第2项不能为空"),
        ({"materials": ["居民身份证", "居民身份证"]}, "materials[1]", "重复"),
        ({"abolished_proofs": [{"name": "", "document": "x号"}]}, "abolished_proofs[0].name", "请填写证明名称"),
        ({"abolished_proofs": [{"name": "收入证明", "document": ""}]}, "abolished_proofs[0].document", "文号"),
        ({"department_id": 999999}, "department_id", "承办部门须为本县"),
    ],
)
def test_it_refuses_bad_input_naming_the_field_and_saves_nothing(
    world: Any, kwargs: Any, field: Any, words: Any
) -> None:
    """PRG-2: precise Chinese messages; nothing half-saved."""
    before = CountyProgram.objects.get(county_code="370405", program=dibao_rural())
    with pytest.raises(InvalidInput) as exc:
        actions.set_county_program(
            dibao_rural(), by=world.user("tez_county"), county_code="370405", contact_person="张三", **kwargs
        )
    assert exc.value.field == field and words in exc.value.message
    after = CountyProgram.objects.get(pk=before.pk)
    assert after.contact_person == before.contact_person == ""


def test_it_refuses_another_countys_programs(world: Any) -> None:
    """PRG-2: a county admin manages the own county only."""
    with pytest.raises(Forbidden) as exc:
        actions.set_county_program(dibao_rural(), by=world.user("yc_county"), county_code="370405")
    assert exc.value.code == "other_county"


def test_it_answers_403_with_a_code_for_another_county_through_the_api(api_of: Any) -> None:
    """PRG-2: PUT /api/v1/programs/county/{code} is the own county's only."""
    r = put(api_of("yc_county"), "/api/v1/programs/county/dibao_rural", {"area_code": "370405", "note": "x"})
    assert r.status_code == 403
    assert r.json()["code"] == "other_county" and "本县" in r.json()["message"]


def test_it_answers_403_to_a_town_clerk(api_of: Any) -> None:
    r = put(api_of("tez_zhangshanzi"), "/api/v1/programs/county/dibao_rural", {"note": "x"})
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_it_edits_through_the_api_and_answers_the_county_view(api_of: Any) -> None:
    """PRG-2, INT-16, INT-18: PUT then GET ?area_code= shows materials minus the abolished proofs."""
    body = {
        "contact_person": "李主任",
        "contact_phone": "13906321234",
        "materials": ["居民身份证", PROOF["name"]],
        "abolished_proofs": [PROOF],
    }
    r = put(api_of("tez_county"), "/api/v1/programs/county/dibao_rural", body)
    assert r.status_code == 200, r.content
    assert r.json()["materials"] == ["居民身份证"] and r.json()["abolished_proofs"] == [PROOF]
    r = api_of("tez_zhangshanzi").get("/api/v1/programs?area_code=370405")
    assert r.status_code == 200
    row = next(p for p in r.json() if p["code"] == "dibao_rural")
    assert row["runs"] and not row["local"] and row["county_code"] == "370405"
    assert row["contact_phone"] == "13906321234" and row["contact_person"] == "李主任"
    assert row["department"] and row["materials"] == ["居民身份证"]
    assert row["abolished_proofs"] == [PROOF]


def test_it_answers_422_in_chinese_for_a_bad_phone_through_the_api(api_of: Any) -> None:
    r = put(api_of("tez_county"), "/api/v1/programs/county/dibao_rural", {"contact_phone": "abc"})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_phone" and "联系电话" in r.json()["message"]


def test_it_shows_a_local_program_to_its_own_county_only(world: Any, api_of: Any) -> None:
    """PRG-2: a local program is the county's; another county never sees it."""
    r = post(api_of("tez_county"), "/api/v1/programs/county", local_body())
    assert r.status_code == 201, r.content
    assert r.json()["local"] and r.json()["runs"]
    own = [p["code"] for p in api_of("tez_zhangshanzi").get("/api/v1/programs?area_code=370405").json()]
    other = [p["code"] for p in api_of("yc_county").get("/api/v1/programs").json()]
    assert "tez_meal_test" in own and "tez_meal_test" not in other
    assert api_of("yc_county").get("/api/v1/programs/tez_meal_test").status_code == 404
    assert api_of("yc_county").get("/api/v1/programs?area_code=370405").status_code == 404
    assert AuditEntry.objects.filter(action="programs.county.local_add").exists()


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"code": "dibao_rural"}, "code_in_catalog", "与救助项目库中的“农村最低生活保障”重复"),
        ({"code": "Bad Code"}, "invalid_code", "项目代码只能由"),
        ({"name": "  "}, "required", "请填写项目名称"),
        ({"name": "农村最低生活保障"}, "duplicate_name", "救助项目库中已有"),
        ({"documents": []}, "required", "请至少填写一项申请材料"),
    ],
)
def test_it_refuses_a_bad_local_program(api_of: Any, change: Any, code: Any, words: Any) -> None:
    """PRG-2: a local code may not clash with the catalog; names are required."""
    r = post(api_of("tez_county"), "/api/v1/programs/county", local_body(**change))
    assert r.status_code == 422, r.content
    assert r.json()["code"] == code and words in r.json()["message"]
    assert not AssistanceProgram.objects.filter(code="tez_meal_test").exists()


def test_the_county_page_lists_programs_and_edits_one(world: Any, client_of: Any) -> None:
    """PRG-2, INT-16: the /programs/county/ page, reached from the navigation."""
    c = client_of("tez_county")
    page = c.get("/programs/county/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "本县救助项目" in html and "农村最低生活保障" in html
    assert 'href="/programs/county/"' in c.get("/").content.decode()
    form = {
        "runs": "on",
        "department_name": "台儿庄区民政局",
        "contact_person": "王科长",
        "contact_phone": "0632-6611234",
        "materials": "居民身份证\n低保申请表",
        "abolished_proofs": f"{PROOF['name']}｜{PROOF['document']}",
        "note": "",
    }
    r = c.post("/programs/county/dibao_rural/", form)
    assert r.status_code == 302
    row = CountyProgram.objects.get(county_code="370405", program__code="dibao_rural")
    assert row.materials == ["居民身份证", "低保申请表"] and row.abolished_proofs == [PROOF]


def test_the_county_page_shows_the_chinese_error_on_the_field(world: Any, client_of: Any) -> None:
    r = client_of("tez_county").post(
        "/programs/county/dibao_rural/", {"runs": "on", "contact_phone": "110", "abolished_proofs": "收入证明"}
    )
    html = r.content.decode()
    assert r.status_code == 200 and "联系电话格式不正确" in html


def test_the_county_page_is_refused_to_a_town_clerk(client_of: Any) -> None:
    assert client_of("tez_zhangshanzi").get("/programs/county/").status_code == 403


def test_a_local_program_is_added_on_the_page(world: Any, client_of: Any) -> None:
    form = {**local_body(), "documents": "居民身份证\n助餐申请表", "approval_level": "county", "legal_basis": ""}
    r = client_of("tez_county").post("/programs/county/new/", form)
    assert r.status_code == 302, r.content.decode()
    program = AssistanceProgram.objects.get(code="tez_meal_test")
    assert program.county_code == "370405" and program.documents == ["居民身份证", "助餐申请表"]
    r = client_of("tez_county").post("/programs/county/new/", {**form, "code": "tekun"})
    assert "与救助项目库中的" in r.content.decode()


def test_the_public_detail_marks_abolished_proofs_with_the_document_number(world: Any, client_of: Any) -> None:
    """INT-18: 已取消，无需提供, with the document that abolished it; the county's contact shown."""
    actions.set_county_program(
        dibao_rural(),
        by=world.user("tez_county"),
        county_code="370405",
        contact_person="王科长",
        contact_phone="0632-6611234",
        abolished_proofs=[PROOF],
    )
    html = client_of("tez_zhangshanzi").get("/programs/dibao_rural/").content.decode()
    assert "已取消，无需提供" in html and "台政字〔2020〕21号" in html and "0632-6611234" in html
    other = client_of("yc_county").get("/programs/dibao_rural/").content.decode()
    assert "0632-6611234" not in other
    catalog = client_of("tez_zhangshanzi").get("/programs/").content.decode()
    assert "王科长" in catalog


def test_a_program_the_county_stopped_is_not_run(world: Any) -> None:
    """PRG-2: the active flag says whether the county runs it."""
    actions.set_county_program(
        AssistanceProgram.objects.get(code="rigid_expense"),
        by=world.user("tez_county"),
        county_code="370405",
        is_active=False,
    )
    assert not runs_engine_program("370405", "rigid_expense")
    assert runs_engine_program("370404", "rigid_expense")


def test_intake_materials_leave_out_the_abolished_proofs(world: Any) -> None:
    """INT-16, INT-18: what intake tells the applicant is the county's list minus abolished proofs."""
    actions.set_county_program(
        dibao_rural(),
        by=world.user("tez_county"),
        county_code="370405",
        materials=["居民身份证", PROOF["name"]],
        abolished_proofs=[PROOF],
    )
    rows = {m["program"]: m for m in intake_materials("370405", ["dibao"])}
    assert rows["农村最低生活保障"]["materials"] == ["居民身份证"]
    assert any("已取消，无需提供" in a and "台政字〔2020〕21号" in a for a in rows["农村最低生活保障"]["abolished"])


def test_intake_materials_name_only_the_households_own_dibao(world: Any) -> None:
    """INT-13, DOC-9: a family is told the materials of its own 低保, 城市 or 农村 by its 城乡类别;
    without a household both variants are listed (the county's catalog page)."""

    def names(urban: bool | None) -> set[str]:
        return {m["program"] for m in intake_materials("370405", ["dibao"], urban=urban)}

    assert names(True) == {"城市最低生活保障"}
    assert names(False) == {"农村最低生活保障"}
    assert names(None) == {"城市最低生活保障", "农村最低生活保障"}


def test_the_demo_gives_taierzhuang_a_local_program_and_an_abolished_proof(world: Any) -> None:
    """PRG-2, INT-18: the demo shows both (台儿庄区 only)."""
    from jiuzhu.web.demo import DEMO_LOCAL_PROGRAM

    local = AssistanceProgram.objects.get(code=DEMO_LOCAL_PROGRAM["code"])
    assert local.county_code == "370405"
    assert county_view("370405", local).runs
    assert county_view("370405", dibao_rural()).abolished_proofs
    assert not AssistanceProgram.objects.for_county("370404").filter(pk=local.pk).exists()


def test_another_countys_local_program_is_not_offered_for_referral(world: Any, household_in: Any) -> None:
    """PRG-2: the 人工派单 list of 峄城区 never offers 台儿庄区's local program; 台儿庄区's does."""
    from jiuzhu.referrals.actions import referral_options
    from jiuzhu.web.demo import DEMO_LOCAL_PROGRAM

    code = DEMO_LOCAL_PROGRAM["code"]
    own = [o.program.code for o in referral_options(household_in("张山子镇"))]
    other = [o.program.code for o in referral_options(household_in("坛山街道"))]
    assert code in own and code not in other
