"""一证申请 for a family not yet registered (issue 14 item 16): the 户籍人口 register loaded
from 公安, the 部门数据预填 proposal with each fact's source and date, and the window's
"确认并登记家庭" (INT-3, REG-7)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.core.idnumber import make_id_number
from jiuzhu.verification.tests.conftest import csv_bytes, headers_of, row_for

HEADERS = ["户号", "与户主关系", "姓名", "身份证号码", "户籍地址", "户籍地区划代码"]
VILLAGE = "370405101201"  # 张山子镇 北洛村 (the demo's first village of the town)


def people() -> dict[str, str]:
    return {
        "head": make_id_number("370405", dt.date(1968, 3, 4), 11, "M"),
        "wife": make_id_number("370405", dt.date(1970, 5, 6), 12, "F"),
        "son": make_id_number("370405", dt.date(2012, 7, 8), 13, "M"),
        "mother": make_id_number("370405", dt.date(1940, 9, 10), 14, "F"),
        "daughter_in_law": make_id_number("370404", dt.date(1992, 1, 2), 15, "F"),
    }


def register_file(ids: dict[str, str], encoding: str = "utf-8", extra: list[list[str]] | None = None) -> bytes:
    address = "山东省枣庄市台儿庄区张山子镇北洛村8号"
    rows = [
        ["H001", "户主", "孙建国", ids["head"], address, VILLAGE],
        ["H001", "妻", "李秀英", ids["wife"], address, VILLAGE],
        ["H001", "子", "孙小明", ids["son"], address, VILLAGE],
        ["H001", "母亲", "王桂兰", ids["mother"], address, VILLAGE],
        ["H001", "儿媳", "赵丽", ids["daughter_in_law"], "峄城区某街道1号", "370404001001"],
        ["H002", "户主", "周大海", make_id_number("370405", dt.date(1975, 1, 1), 21, "M"), "张山子镇南村2号", VILLAGE],
        *(extra or []),
    ]
    return csv_bytes(HEADERS, rows, encoding=encoding)


@pytest.fixture
def loaded(world: Any) -> dict[str, str]:
    from jiuzhu.registry.population import load_population

    ids = people()
    load_population(register_file(ids), "户籍人口.csv", by=world.user("tez_gongan"))
    return ids


def test_it_loads_the_population_register(world: Any) -> None:
    """INT-3: the 公安 file becomes the county's 户籍人口 register, IDs sealed like Person's."""
    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.registry.models import PopulationRecord
    from jiuzhu.registry.pii import blind_index, unseal
    from jiuzhu.registry.population import load_population

    ids = people()
    result = load_population(register_file(ids), "户籍人口.csv", by=world.user("tez_gongan"))
    assert (result.households, result.persons, result.county_code) == (2, 6, "370405")
    wife = PopulationRecord.objects.get(id_number_index=blind_index("id_number", ids["wife"]))
    assert (wife.relation, wife.relation_text, wife.gender) == ("spouse", "妻", "F")
    assert unseal("id_number", wife.id_number_enc) == ids["wife"]
    assert wife.id_number_masked == ids["wife"][:6] + "********" + ids["wife"][-4:]
    in_law = PopulationRecord.objects.get(id_number_index=blind_index("id_number", ids["daughter_in_law"]))
    assert in_law.relation == "other"  # the registry has no 儿媳 code: kept as 其他, 原文 kept
    assert AuditEntry.objects.filter(action="registry.population.load").count() == 1


def test_it_refuses_a_file_with_a_bad_row_and_writes_nothing(world: Any, loaded: dict[str, str]) -> None:
    """INT-3: one bad row (wrong checksum) → every error with its row number, nothing written,
    the previous snapshot kept."""
    from jiuzhu.registry.importer import ImportRejected
    from jiuzhu.registry.models import PopulationRecord
    from jiuzhu.registry.population import load_population

    bad_id = loaded["head"][:17] + ("0" if loaded["head"][17] != "0" else "1")
    data = register_file(
        people(), extra=[["H003", "户主", "钱多", bad_id, "某地", VILLAGE], ["H003", "", "", "", "", ""]]
    )
    before = list(PopulationRecord.objects.values_list("id", flat=True))
    with pytest.raises(ImportRejected) as caught:
        load_population(data, "户籍人口.csv", by=world.user("tez_gongan"))
    rows = caught.value.as_dict()["errors"]
    assert {"row": 8, "column": "身份证号码", "message": "身份证号码校验位不正确，请核对是否输错"} in rows
    assert any(e["row"] == 9 and e["column"] == "与户主关系" for e in rows)
    assert list(PopulationRecord.objects.values_list("id", flat=True)) == before


def test_it_reads_a_gbk_csv_and_replaces_the_snapshot(world: Any, loaded: dict[str, str]) -> None:
    """INT-3: a GBK file (what Chinese Excel writes) is read; a new upload is the full snapshot."""
    from jiuzhu.registry.models import PopulationRecord
    from jiuzhu.registry.population import load_population

    one = csv_bytes(HEADERS, [["H9", "户主", "孙建国", loaded["head"], "张山子镇北洛村8号", VILLAGE]], encoding="gbk")
    result = load_population(one, "hukou.csv", by=world.user("tez_gongan"))
    assert (result.persons, result.replaced) == (1, 6)
    assert list(PopulationRecord.objects.values_list("name", "household_no")) == [("孙建国", "H9")]


def test_it_lets_only_the_police_or_the_catalog_manager_load(world: Any) -> None:
    """INT-3: a town clerk or another department may not replace the register."""
    from jiuzhu.core.errors import Forbidden
    from jiuzhu.registry.population import load_population

    for username in ("tez_zhangshanzi", "tez_yibao", "tez_county"):
        with pytest.raises(Forbidden):
            load_population(register_file(people()), "x.csv", by=world.user(username))
    assert load_population(register_file(people()), "x.csv", by=world.user("tez_admin")).persons == 6


def test_it_proposes_the_household_with_facts_and_sources(
    world: Any, catalog: None, loaded: dict[str, str], upload: Callable[..., Any]
) -> None:
    """INT-3, REG-7: members with masked IDs and relations; each department fact with its
    source and date; the out-of-county member flagged."""
    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.registry.prefill import prefill_from_departments

    upload(
        "canlian.disability",
        csv_bytes(
            headers_of("canlian.disability"),
            [
                row_for(
                    "canlian.disability",
                    name="王桂兰",
                    id_number=loaded["mother"],
                    cert="C0001",
                    category="肢体残疾",
                    grade="二级",
                    issued_on="2020-06-01",
                    state="正常",
                )
            ],
        ),
    )
    upload(
        "jiaoti.student",
        csv_bytes(
            headers_of("jiaoti.student"),
            [
                row_for(
                    "jiaoti.student",
                    name="孙小明",
                    id_number=loaded["son"],
                    school="张山子镇中学",
                    stage="初中",
                    grade="八年级",
                    state="在读",
                )
            ],
        ),
    )
    proposal = prefill_from_departments(loaded["son"], by=world.user("tez_zhangshanzi"))
    assert proposal is not None
    assert proposal["village"]["code"] == VILLAGE
    by_name = {m["name"]: m for m in proposal["members"]}
    assert proposal["members"][0]["name"] == "孙建国"
    assert by_name["孙小明"]["is_applicant"] and by_name["孙小明"]["relation"] == "child"
    assert by_name["孙建国"]["id_number_masked"].count("*") == 8
    (disability,) = by_name["王桂兰"]["facts"]
    assert disability["label"] == "持有残疾人证"
    assert disability["source"] == "残疾人联合会·残疾人证信息"
    assert disability["date"] == "2020-06-01" and disability["loaded_on"]
    assert by_name["王桂兰"]["suggested"] == {
        "health_status": "disabled",
        "disability_category": "physical",
        "disability_grade": 2,
    }
    assert by_name["孙小明"]["facts"][0]["source"] == "教育部门（教育和体育局）·在校生信息"
    assert by_name["孙小明"]["suggested"] == {"school_status": "junior"}
    assert by_name["赵丽"]["flags"] == ["户籍不在本县"] and by_name["赵丽"]["proposed"]
    assert not by_name["孙建国"]["flags"] and by_name["孙建国"]["facts"] == []
    entry = AuditEntry.objects.filter(action="registry.prefill.view").last()
    assert entry is not None and entry.changes["found"] is True
    assert loaded["son"] not in str(entry.changes)


def test_it_does_not_propose_a_deceased_member(
    world: Any, catalog: None, loaded: dict[str, str], upload: Callable[..., Any]
) -> None:
    """INT-3, REG-7: a member with a death record (公安 户籍注销) is shown, flagged and not proposed."""
    from jiuzhu.registry.prefill import prefill_from_departments, registration_members

    upload(
        "gongan.hukou",
        csv_bytes(
            headers_of("gongan.hukou"),
            [
                row_for(
                    "gongan.hukou", name="王桂兰", id_number=loaded["mother"], event="死亡注销", event_on="2026-10-02"
                )
            ],
        ),
    )
    proposal = prefill_from_departments(loaded["head"], by=world.user("tez_zhangshanzi"))
    assert proposal is not None
    mother = next(m for m in proposal["members"] if m["name"] == "王桂兰")
    assert mother["deceased"] and not mother["proposed"] and "已死亡" in mother["flags"]
    assert mother["facts"][0]["source"] == "公安机关·户籍登记、迁移和注销"
    assert "王桂兰" not in [m["name"] for m in registration_members(proposal)]


def test_it_gives_another_countys_user_nothing(world: Any, loaded: dict[str, str]) -> None:
    """INT-3: the register is read within the user's county only."""
    from jiuzhu.registry.prefill import prefill_from_departments

    assert prefill_from_departments(loaded["head"], by=world.user("yc_county")) is None
    assert prefill_from_departments(people()["head"], by=world.user("tez_zhangshanzi")) is not None


def test_it_shows_the_card_and_registers_the_household_at_the_window(
    world: Any, loaded: dict[str, str], client_of: Callable[[str], Any]
) -> None:
    """INT-3: the intake lookup of an unregistered ID shows 部门数据预填; 确认并登记家庭
    creates the household (real ID numbers, relations, 户籍地址) and lands on the intake form."""
    from jiuzhu.registry.models import Household, Person
    from jiuzhu.registry.pii import blind_index

    c = client_of("tez_zhangshanzi")
    page = c.post("/applications/new/", {"lookup": "1", "id_number": loaded["son"]}).content.decode()
    assert 'data-testid="prefill"' in page and "确认并登记家庭" in page and "户籍不在本县" in page
    assert loaded["son"] not in page.replace(f'value="{loaded["son"]}"', "")  # only in the posted field
    assert "请先登记家庭" not in page
    response = c.post("/persons/prefill/", {"id_number": loaded["son"], "then": "intake"})
    household = Household.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/applications/new/?household={household.pk}"
    assert household.area_id == VILLAGE and household.address == "山东省枣庄市台儿庄区张山子镇北洛村8号"
    assert household.member_count == 5 and household.head_name == "孙建国"
    son = Person.objects.get(id_number_index=blind_index("id_number", loaded["son"]))
    assert son.relation == "child" and son.household_id == household.pk
    form = c.get(response["Location"]).content.decode()
    assert "受理并出具回执" in form and "孙小明" in form


def test_it_leaves_out_members_the_clerk_unticks(
    world: Any, loaded: dict[str, str], client_of: Callable[[str], Any]
) -> None:
    """INT-3, REG-7: the clerk confirms; an unticked member (户籍不在本县, not living there) is
    not registered."""
    from jiuzhu.registry.models import Household, PopulationRecord
    from jiuzhu.registry.pii import blind_index

    records = dict(PopulationRecord.objects.values_list("id_number_index", "id"))
    offered = [records[blind_index("id_number", v)] for v in loaded.values()]
    keep = [r for r in offered if r != records[blind_index("id_number", loaded["daughter_in_law"])]]
    c = client_of("tez_zhangshanzi")
    c.post("/persons/prefill/", {"id_number": loaded["head"], "offered": offered, "member": keep})
    assert Household.objects.get().member_count == 4


def test_it_keeps_the_old_path_when_no_department_knows_the_number(world: Any, client_of: Callable[[str], Any]) -> None:
    """INT-3: nothing known → "请先登记家庭" as before."""
    page = client_of("tez_zhangshanzi").post("/applications/new/", {"lookup": "1", "id_number": people()["head"]})
    text = page.content.decode()
    assert "请先登记家庭" in text and 'data-testid="prefill"' not in text


def test_it_offers_prefill_on_the_id_lookup_page(
    world: Any, loaded: dict[str, str], client_of: Callable[[str], Any]
) -> None:
    """INT-3: the registry's ID lookup shows the same card; confirming opens the household."""
    from jiuzhu.registry.models import Household

    c = client_of("tez_zhangshanzi")
    assert "确认并登记家庭" in c.post("/persons/lookup/", {"id_number": loaded["head"]}).content.decode()
    response = c.post("/persons/prefill/", {"id_number": loaded["head"], "then": "household"})
    assert response["Location"] == f"/households/{Household.objects.get().pk}/"


def test_it_asks_for_the_village_when_the_home_is_outside_the_jurisdiction(
    world: Any, client_of: Callable[[str], Any]
) -> None:
    """INT-3: a 户籍地 in another town → the clerk chooses a village of their own."""
    from jiuzhu.registry.models import Household
    from jiuzhu.registry.population import load_population

    head = make_id_number("370405", dt.date(1960, 2, 2), 31, "M")
    other_town = world.village_in("涧头集镇").code
    load_population(
        csv_bytes(HEADERS, [["H7", "户主", "吴刚", head, "涧头集镇某村", other_town]]),
        "a.csv",
        by=world.user("tez_gongan"),
    )
    c = client_of("tez_zhangshanzi")
    page = c.post("/applications/new/", {"lookup": "1", "id_number": head}).content.decode()
    assert 'name="area_code"' in page
    refused = c.post("/persons/prefill/", {"id_number": head, "then": "intake"})
    assert refused.status_code == 422 and "请选择家庭所在村" in refused.content.decode()
    c.post("/persons/prefill/", {"id_number": head, "then": "intake", "area_code": VILLAGE})
    assert Household.objects.get().area_id == VILLAGE


def test_the_api_loads_the_register_and_answers_the_prefill(world: Any, api_of: Callable[[str], Any]) -> None:
    """INT-3: POST /api/v1/population (multipart) and POST /api/v1/persons/prefill."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    ids = people()
    police = api_of("tez_gongan")
    bad = register_file(ids, extra=[["H3", "户主", "钱多", "123", "某地", VILLAGE]])
    refused = police.post("/api/v1/population", {"file": SimpleUploadedFile("a.csv", bad)})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["row"] == 8
    ok = police.post("/api/v1/population", {"file": SimpleUploadedFile("a.csv", register_file(ids))})
    assert ok.status_code == 200 and ok.json()["persons"] == 6
    clerk = api_of("tez_zhangshanzi")
    found = clerk.post("/api/v1/persons/prefill", {"id_number": ids["wife"]}, content_type="application/json")
    assert found.status_code == 200
    body = found.json()
    assert len(body["members"]) == 5 and all("*" in m["id_number_masked"] for m in body["members"])
    assert ids["wife"] not in found.content.decode()
    missing = clerk.post(
        "/api/v1/persons/prefill",
        {"id_number": make_id_number("370405", dt.date(1999, 9, 9), 99, "M")},
        content_type="application/json",
    )
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    outsider = api_of("yc_county").post(
        "/api/v1/persons/prefill", {"id_number": ids["wife"]}, content_type="application/json"
    )
    assert outsider.status_code == 404


def test_the_demo_shows_prefill_for_families_not_yet_registered(world: Any, catalog: None) -> None:
    """INT-3, REG-7: `make run` loads 户籍人口 and department facts for a few 张山子镇 families;
    the window sees them, with the 峄城区 member flagged and the deceased grandmother not proposed."""
    from jiuzhu.registry.prefill import prefill_from_departments
    from jiuzhu.web.demo import demo_population, load_demo_population

    assert load_demo_population() == 8
    assert load_demo_population() == 8  # idempotent: same snapshot, same batches
    son = next(r[3] for r in demo_population() if r[2] == "孙小明")
    proposal = prefill_from_departments(son, by=world.user("tez_zhangshanzi"))
    assert proposal is not None
    by_name = {m["name"]: m for m in proposal["members"]}
    assert by_name["赵丽"]["flags"] == ["户籍不在本县"]
    assert not by_name["王桂兰"]["proposed"]
    assert {f["label"] for f in by_name["孙小明"]["facts"]} == {"在校就读"}
    assert {f["label"] for f in by_name["孙建国"]["facts"]} == {"就业登记"}

    from jiuzhu.registry.actions import register_prefilled

    head = next(r[3] for r in demo_population() if r[2] == "周大海")
    household = register_prefilled(head, by=world.user("tez_zhangshanzi"))
    facts = {p.name: p for p in household.current_members()}
    father, daughter = facts["周长林"], facts["周晓雨"]
    assert (father.health_status, father.disability_category, father.disability_grade) == ("disabled", "vision", 1)
    assert daughter.school_status == "senior" and daughter.relation == "child"


def test_the_register_follows_a_switch_to_the_gm_profile(world: Any, settings: Any) -> None:
    """INT-3: re-encryption (国密 profile) brings the register's ID numbers and blind indexes
    along, so the window still finds the family after the switch."""
    from jiuzhu.registry.pii import cipher
    from jiuzhu.registry.population import load_population
    from jiuzhu.registry.prefill import prefill_from_departments
    from jiuzhu.registry.rekey import rekey_all

    original = settings.JIUZHU_CRYPTO_PROFILE
    ids = people()
    try:
        settings.JIUZHU_CRYPTO_PROFILE = "standard"
        cipher.cache_clear()
        load_population(register_file(ids), "户籍人口.csv", by=world.user("tez_gongan"))
        settings.JIUZHU_CRYPTO_PROFILE = "gm"
        cipher.cache_clear()
        assert prefill_from_departments(ids["head"], by=world.user("tez_zhangshanzi")) is None
        assert rekey_all().rows.get("registry.PopulationRecord") == 6
        assert prefill_from_departments(ids["head"], by=world.user("tez_zhangshanzi")) is not None
    finally:
        settings.JIUZHU_CRYPTO_PROFILE = original
        cipher.cache_clear()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_window_registers_and_takes_the_application_in_the_browser(
    browser: Any, live_server: Any, world: Any, loaded: dict[str, str], contexts: list[Any]
) -> None:
    """INT-3 in a real browser: only the son's ID card at the window; the departments' data
    prefill the family, the clerk confirms, the family signs and the application is taken."""
    from playwright.sync_api import expect

    from jiuzhu.applications.models import Application
    from jiuzhu.applications.tests.test_browser import as_user, sign_every_pad

    base = live_server.url
    clerk = as_user(browser, base, "tez_zhangshanzi", contexts)
    clerk.goto(f"{base}/applications/new/")
    clerk.get_by_label("申请人身份证号码").fill(loaded["son"])
    clerk.get_by_role("button", name="查询").click()
    card = clerk.get_by_test_id("prefill")
    expect(card).to_be_visible()
    expect(card).to_contain_text("孙建国")
    expect(card).to_contain_text("户籍不在本县")
    clerk.get_by_role("button", name="确认并登记家庭").click()
    expect(clerk.get_by_role("button", name="受理并出具回执")).to_be_visible()
    clerk.locator("input[name=programs][value=dibao]").check()
    sign_every_pad(clerk)
    clerk.get_by_role("button", name="受理并出具回执").click()
    expect(clerk.get_by_text(re.compile("已受理（回执编号"))).to_be_visible()
    app = Application.objects.get()
    assert app.household.head_name == "孙建国" and app.program == "dibao"
