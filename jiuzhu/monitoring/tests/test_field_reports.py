"""现场发现报告 (issue 17 item 4): DIS-5 a grid worker reports a person found in the field;
INT-24 / PRG-13 a person without an ID number (身份不明, 流浪乞讨) gets a temporary number that
can never be a real ID, and is later matched to a registry person, audited."""

from __future__ import annotations

from typing import Any

import pytest

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import system_user
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import is_valid_normalized
from jiuzhu.monitoring.field import match_identity, submit_field_report
from jiuzhu.monitoring.models import FieldReport

BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
HOUMENG = "370405101202"  # 侯孟村, same town
JSON = "application/json"
URL = "/api/v1/monitoring/field-reports"
MARKET = {
    "place": "北洛村集市东口",
    "situation": "老年男子在集市露宿两天，衣着单薄，说不清住址",
    "needs": "御寒衣物、食宿、送医检查",
    "gender": "M",
    "approx_age": 75,
    "description": "身高约1.65米，白发，左手有疤",
    "urgency": "urgent",
}


@pytest.fixture
def elder(world: Any, new_id: Any) -> tuple[Any, str]:
    """A registered old man of 北洛村 and his ID number."""
    from jiuzhu.registry.actions import create_household

    number = new_id(age=76)
    household = create_household(
        by=system_user(),
        area_code=BEILUO,
        address="北洛村8号",
        members=[{"name": "钱福生", "id_number": number, "relation": "self"}],
    )
    return household.members.get(), number


@pytest.fixture
def houmeng_worker(world: Any) -> User:
    beiluo = world.user("tez_beiluo")
    return User.objects.create(
        username="tez_houmeng_test",
        full_name="侯孟村协理员（测试）",
        role=beiluo.role,
        area_id=HOUMENG,
        password=beiluo.password,
    )


def test_an_unidentified_person_gets_a_temporary_number_that_is_never_an_id(world: Any) -> None:
    """DIS-5, INT-24: no ID → a temporary number LS-<county>-<date>-<seq>, audited."""
    first = submit_field_report(dict(MARKET), by=world.user("tez_beiluo"))
    second = submit_field_report(dict(MARKET, place="北洛村桥下"), by=world.user("tez_beiluo"))
    assert first.person is None and first.area_code == BEILUO and first.status == "open"
    assert first.temp_number and first.temp_number.startswith("LS-370405-")
    assert first.temp_number.endswith("-0001") and second.temp_number and second.temp_number.endswith("-0002")
    assert not is_valid_normalized(first.temp_number) and len(first.temp_number) != 18
    entry = AuditEntry.objects.get(action="monitoring.field_report.create", object_id=str(first.pk))
    assert entry.changes["temp_number"] == first.temp_number


def test_a_report_with_an_id_is_matched_by_blind_index(world: Any, elder: tuple[Any, str]) -> None:
    """DIS-5: an ID number known on the spot finds the registry person; no temporary number."""
    person, number = elder
    report = submit_field_report(dict(MARKET, id_number=number), by=world.user("tez_beiluo"))
    assert report.person == person and report.temp_number is None


def test_bad_reports_are_refused_and_nothing_is_saved(world: Any, new_id: Any) -> None:
    """DIS-5: missing place, unknown ID, nobody described, another village → Chinese errors."""
    worker = world.user("tez_beiluo")
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(MARKET, place=""), by=worker)
    assert e.value.field == "place" and "发现地点" in e.value.message
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(MARKET, id_number=new_id(age=50)), by=worker)
    assert e.value.code == "unknown_id_number"
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(MARKET, name="", description=""), by=worker)
    assert e.value.field == "description"
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(MARKET, approx_age=300), by=worker)
    assert e.value.field == "approx_age"
    with pytest.raises(DomainError):
        submit_field_report(dict(MARKET, area_code=HOUMENG), by=worker)
    assert not FieldReport.objects.exists()


def test_match_identity_links_the_person_once_and_is_audited(world: Any, elder: tuple[Any, str]) -> None:
    """INT-24, PRG-13: the unidentified man's real ID is found later; the report is linked to the
    registry person, the temporary number is kept for traceability, a second match is refused."""
    person, number = elder
    report = submit_field_report(dict(MARKET), by=world.user("tez_beiluo"))
    temp = report.temp_number
    matched = match_identity(report, number, by=world.user("tez_zhangshanzi"))
    assert matched.person == person and matched.status == "matched" and matched.temp_number == temp
    entry = AuditEntry.objects.get(action="monitoring.field_report.match_identity", object_id=str(report.pk))
    assert entry.changes == {"temp_number": temp, "person_name": "钱福生"}
    with pytest.raises(DomainError) as e:
        match_identity(matched, number, by=world.user("tez_zhangshanzi"))
    assert e.value.code == "already_identified"


def test_the_api_creates_lists_filters_and_matches(api_of: Any, elder: tuple[Any, str]) -> None:
    """DIS-5 API: a worker reports from the phone; the town lists by area and status; matches."""
    _, number = elder
    r = api_of("tez_beiluo").post(URL, MARKET, content_type=JSON)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["temp_number"].startswith("LS-") and body["urgency_name"] == "紧急" and body["person_id"] is None
    town = api_of("tez_zhangshanzi")
    assert town.get(URL, {"area_code": BEILUO, "status": "open"}).json()["count"] == 1
    assert town.get(URL, {"status": "matched"}).json()["count"] == 0
    assert town.get(URL, {"status": "lost"}).status_code == 422
    m = town.post(f"{URL}/{body['id']}/actions/match_identity", {"id_number": number}, content_type=JSON)
    assert m.status_code == 200 and m.json()["person_name"] == "钱福生" and m.json()["status"] == "matched"
    assert "*" in m.json()["id_number_masked"]
    bad = town.post(f"{URL}/{body['id']}/actions/merge", {"id_number": number}, content_type=JSON)
    assert bad.status_code == 404 and bad.json()["code"] == "unknown_action"


def test_the_api_refuses_bad_input_with_a_field(api_of: Any) -> None:
    """DIS-5: bad input is a 422 naming the field, never a 500."""
    r = api_of("tez_beiluo").post(URL, dict(MARKET, urgency="yesterday"), content_type=JSON)
    assert r.status_code == 422 and r.json()["field"] == "urgency"
    r = api_of("tez_beiluo").post(URL, dict(MARKET, id_number="12345"), content_type=JSON)
    assert r.status_code == 422 and r.json()["field"] == "id_number"
    assert not FieldReport.objects.exists()


def test_another_villages_worker_gets_404(api_of: Any, world: Any, houmeng_worker: User) -> None:
    """DIS-5 jurisdiction: a worker sees only their village's reports; another village gets 404."""
    report = submit_field_report(dict(MARKET), by=world.user("tez_beiluo"))
    from django.test import Client

    from jiuzhu.accounts.actions import create_api_token

    _, token = create_api_token(houmeng_worker, by=None, name="test")
    other = Client(headers={"Authorization": f"Bearer {token}"})
    assert other.get(URL).json()["count"] == 0
    r = other.post(f"{URL}/{report.pk}/actions/match_identity", {"id_number": "x"}, content_type=JSON)
    assert r.status_code == 404
    assert api_of("tez_beiluo").get(URL).json()["count"] == 1


def test_the_phone_page_reports_an_unidentified_person(client_of: Any) -> None:
    """DIS-5: the worker's page takes a report without an ID and shows its temporary number;
    bad input keeps the form and saves nothing."""
    c = client_of("tez_beiluo")
    bad = c.post("/monitoring/field-reports/", dict(MARKET, place=""))
    assert bad.status_code == 200 and "请填写发现地点" in bad.content.decode() and not FieldReport.objects.exists()
    r = c.post("/monitoring/field-reports/", MARKET, follow=True)
    report = FieldReport.objects.get()
    page = r.content.decode()
    assert r.status_code == 200 and report.temp_number and report.temp_number in page and "北洛村集市东口" in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_field_report_page_fits_a_360px_phone(world: Any, live_server: Any, page: Any) -> None:
    """DIS-5, INT-24: at 360 px the worker reports an unidentified old man at the market and
    sees his temporary number; nothing scrolls sideways."""
    from playwright.sync_api import expect

    from jiuzhu.web.demo import DEMO_PASSWORD

    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名").fill("tez_beiluo")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()
    page.goto(f"{live_server.url}/monitoring/field-reports/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("估计年龄").fill("75")
    page.get_by_label("体貌特征").fill("白发，左手有疤")
    page.get_by_label("发现地点").fill("北洛村集市东口")
    page.get_by_label("现场情况").fill("老年男子在集市露宿两天")
    page.get_by_role("button", name="提交报告").click()
    expect(page.get_by_test_id("field-reports")).to_contain_text("临时编号：LS-370405-")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
