"""现场发现报告, what follows a report (issue 17 item 4): DIS-5 a known person's report becomes a
核查任务 like a warning's and counts as its own source in the yield (DIS-11); INT-24 a person
without an ID gets a registry record under the temporary number, may apply for 急难型临时救助
only (a dated setting), and is merged into the real person when matched (cases follow); INT-11
当场申请 opens the prefilled intake; PRG-13 / LNK-11 the 救助管理站 referral and the hand-off to
the origin county; the optional photo is checked by its bytes and seen only in jurisdiction."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.applications.tests.conftest import png, png_b64
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import is_valid_normalized
from jiuzhu.monitoring.field import attach_photo, match_identity, submit_field_report
from jiuzhu.monitoring.field_referral import hand_off, refer_to_station
from jiuzhu.monitoring.models import FieldReport, GridTask
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index

BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
HOUMENG = "370405101202"  # 侯孟村
URL = "/api/v1/monitoring/field-reports"
JSON = "application/json"
HOMELESS = {
    "place": "北洛村桥洞",
    "situation": "中年男子在桥洞露宿，无身份证件，自述姓王，记不清住址",
    "needs": "食宿、御寒衣物",
    "name": "王某",
    "gender": "M",
    "approx_age": 50,
    "description": "身高约1.7米，短发，右眉有痣",
    "urgency": "urgent",
}


@pytest.fixture
def elder(world: Any, new_id: Any) -> tuple[Person, str]:
    from jiuzhu.accounts.system import system_user
    from jiuzhu.registry.actions import create_household

    number = new_id(age=76)
    household = create_household(
        by=system_user(),
        area_code=BEILUO,
        address="北洛村8号",
        members=[{"name": "钱福生", "id_number": number, "relation": "self"}],
    )
    return household.members.get(), number


def _emergency_intake(client: Any, household_id: int, person_id: int, programs: list[str], kind: str) -> Any:
    return client.post(
        "/api/v1/applications",
        {
            "household_id": household_id,
            "programs": programs,
            "temporary_kind": kind,
            "emergency_event": "other" if kind == "emergency" else "",
            "documents_provided": ["急难事由说明"] if kind == "emergency" else [],
            "commitment": {"person_id": person_id, "image_base64": png_b64(9)},
        },
        content_type=JSON,
    )


def test_a_known_persons_report_becomes_a_village_task_counted_as_its_own_source(
    world: Any, elder: tuple[Person, str]
) -> None:
    """DIS-5, DIS-11: the report opens a 预警 of the rule 网格员现场发现 and its 核查任务 for the
    person's village, with the county's deadline; the yield page counts it as its own source."""
    from jiuzhu.holidays.calendar import current_calendar
    from jiuzhu.monitoring.measured_yield import yield_report

    person, number = elder
    report = submit_field_report(dict(HOMELESS, id_number=number, name=""), by=world.user("tez_beiluo"))
    task = GridTask.objects.get(pk=report.task_id)
    assert task.person == person and task.area_code == BEILUO and task.status == "open"
    assert task.warning.rule.code == "field_report" and not task.warning.rule.enabled
    reported_on = timezone.localdate(report.created_at)  # the county's day: after 16:00 UTC it is tomorrow's
    assert task.due_on == current_calendar().add_working_days(reported_on, 10)
    assert task.warning.facts[0]["source"] == "field_report"
    assert AuditEntry.objects.filter(action="monitoring.field_report.task", object_id=str(task.pk)).exists()
    y = yield_report(by=world.user("tez_zhangshanzi"), month=f"{reported_on:%Y-%m}")
    source = next(s for s in y["by_source"] if s["source"] == "field_report")
    assert source["name"] == "网格员现场发现" and source["warnings"] == 1
    # a second report of the same person this month does not open a second task
    again = submit_field_report(dict(HOMELESS, id_number=number, name=""), by=world.user("tez_beiluo"))
    assert again.task_id is None and GridTask.objects.count() == 1


def test_an_unidentified_person_gets_a_registry_record_under_the_temporary_number(world: Any) -> None:
    """INT-24: a one-person household at the village found, the temporary number sealed and
    blind-indexed in place of an ID (never a valid ID); no task until the identity is known."""
    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    temp = report.temp_person
    assert temp is not None and report.person is None and report.task_id is None
    assert temp.temp_number == report.temp_number and temp.id_number_masked == report.temp_number
    assert temp.id_number_index == blind_index("id_number", report.temp_number or "")
    assert not is_valid_normalized(temp.id_number_masked)
    assert temp.household is not None and temp.household.area_id == BEILUO and temp.household.address == "北洛村桥洞"
    assert temp.name == "王某" and temp.age == 50
    assert AuditEntry.objects.filter(action="registry.unidentified.create", object_id=str(temp.pk)).exists()
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(HOMELESS, approx_age=""), by=world.user("tez_beiluo"))
    assert e.value.field == "approx_age"


def test_the_intake_takes_an_unidentified_person_only_for_emergency_temporary_aid(world: Any, api_of: Any) -> None:
    """INT-24 受理例外 (setting intake.unidentified_programs): 急难型临时救助 is accepted without an
    ID; 低保 or 支出型 is refused with a clear Chinese error and nothing is saved."""
    from jiuzhu.applications.models import Application

    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    temp = report.temp_person
    assert temp is not None and temp.household_id is not None
    clerk = api_of("tez_zhangshanzi")
    r = _emergency_intake(clerk, temp.household_id, temp.pk, ["dibao"], "")
    assert r.status_code == 422 and r.json()["code"] == "id_number_required", r.content
    assert "急难型临时救助" in r.json()["message"] and "身份" in r.json()["message"]
    r = _emergency_intake(clerk, temp.household_id, temp.pk, ["temporary"], "illness")
    assert r.status_code == 422 and r.json()["code"] == "id_number_required"
    assert not Application.objects.exists()
    r = _emergency_intake(clerk, temp.household_id, temp.pk, ["temporary"], "emergency")
    assert r.status_code == 201, r.content
    app = Application.objects.get()
    assert app.applicant == temp and app.temporary_kind == "emergency"


def test_match_identity_merges_the_temporary_record_and_its_case_follows(
    world: Any, api_of: Any, elder: tuple[Person, str]
) -> None:
    """INT-24: the real ID found later: the case moves to the real person and household, the
    temporary record leaves its household pointing at him, and a 核查任务 opens for his village."""
    from jiuzhu.applications.models import Application

    person, number = elder
    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    temp = report.temp_person
    assert temp is not None and temp.household_id is not None
    r = _emergency_intake(api_of("tez_zhangshanzi"), temp.household_id, temp.pk, ["temporary"], "emergency")
    assert r.status_code == 201, r.content
    matched = match_identity(report, number, by=world.user("tez_zhangshanzi"))
    app = Application.objects.get()
    assert app.applicant == person and app.household_id == person.household_id
    temp.refresh_from_db()
    assert temp.merged_into == person and temp.household is None
    assert temp.memberships.get().left_on is not None
    assert matched.task is not None and matched.task.person == person
    merge = AuditEntry.objects.get(action="registry.unidentified.merge", object_id=str(temp.pk))
    assert merge.changes["merged_into"] == person.pk
    moved = AuditEntry.objects.get(action="monitoring.field_report.merge")
    assert moved.changes["applications"] == 1 and moved.changes["temp_number"] == report.temp_number


def test_referral_to_the_rescue_station_and_hand_off_to_the_origin_county(world: Any, api_of: Any) -> None:
    """PRG-13, LNK-11: the town refers the 流浪乞讨 man to the county's 救助管理站 (a paper
    referral with number, deadline and status) and records the hand-off to his origin county
    (峄城区) as a second referral; both audited; bad origins and a village worker are refused."""
    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    town = api_of("tez_zhangshanzi")
    url = f"{URL}/{report.pk}/actions/refer_station"
    bad = town.post(url, {"reason": "生活无着", "origin_county_code": "999999"}, content_type=JSON)
    assert bad.status_code == 422 and bad.json()["field"] == "origin_county_code"
    assert api_of("tez_beiluo").post(url, {"reason": "生活无着"}, content_type=JSON).status_code == 403
    r = town.post(url, {"reason": "生活无着，需食宿和寻亲"}, content_type=JSON)
    assert r.status_code == 200, r.content
    station = r.json()["station_referral"]
    assert station["office"] == "台儿庄区救助管理站" and station["status_name"] == "待接收"
    assert r.json()["handoff_referral"] is None
    again = town.post(url, {"reason": "再次转介"}, content_type=JSON)
    assert again.status_code == 409 and again.json()["code"] == "already_referred"
    h = town.post(f"{URL}/{report.pk}/actions/hand_off", {"origin_county_code": "370404"}, content_type=JSON)
    assert h.status_code == 200, h.content
    handoff = h.json()["handoff_referral"]
    assert handoff["office"] == "峄城区民政局（来源地）" and handoff["number"] != station["number"]
    assert h.json()["origin_county_code"] == "370404"
    for action in ("monitoring.field_report.refer_station", "monitoring.field_report.hand_off", "referrals.create"):
        assert AuditEntry.objects.filter(action=action).exists()
    report.refresh_from_db()
    assert report.station_referral is not None and report.station_referral.program.code == "homeless_relief"
    with pytest.raises(DomainError):
        hand_off(report, by=world.user("tez_zhangshanzi"), origin_county_code="370404")


def test_referral_with_a_known_origin_records_the_hand_off_at_once(world: Any) -> None:
    """LNK-11: the origin county told at the report is handed off with the station referral."""
    report = submit_field_report(dict(HOMELESS, origin_county_code="370404"), by=world.user("tez_beiluo"))
    done = refer_to_station(report, by=world.user("tez_zhangshanzi"), reason="生活无着")
    assert done.station_referral is not None and done.handoff_referral is not None
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(HOMELESS, origin_county_code="370405"), by=world.user("tez_beiluo"))
    assert e.value.field == "origin_county_code"


def test_a_photo_is_checked_by_its_bytes_and_seen_only_in_jurisdiction(world: Any, api_of: Any, client_of: Any) -> None:
    """DIS-5: JPG or PNG by its bytes, at most the setting monitoring.field_photo_max_mb (5 MB);
    stored as a household document; another village's worker gets 404 for report and photo."""
    worker = world.user("tez_beiluo")
    fake = SimpleUploadedFile("a.png", b"not an image at all", content_type="image/png")
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(HOMELESS), by=worker, photo=fake)
    assert e.value.code == "unsupported_file" and not FieldReport.objects.exists()
    big = SimpleUploadedFile("b.png", png() + b"\0" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(InvalidInput) as e:
        submit_field_report(dict(HOMELESS), by=worker, photo=big)
    assert e.value.code == "file_too_large" and "5MB" in e.value.message
    report = submit_field_report(
        dict(HOMELESS), by=worker, photo=SimpleUploadedFile("c.png", png(6), content_type="image/png")
    )
    assert report.photo is not None and report.photo.household_id == report.temp_person.household_id  # type: ignore[union-attr]
    with pytest.raises(DomainError) as d:
        attach_photo(report, SimpleUploadedFile("d.png", png(8)), by=worker)
    assert d.value.code == "photo_exists"
    later = submit_field_report(dict(HOMELESS, place="北洛村车站"), by=worker)
    r = api_of("tez_beiluo").post(f"{URL}/{later.pk}/photo", {"file": SimpleUploadedFile("e.png", png(7))})
    assert r.status_code == 200 and r.json()["has_photo"], r.content
    assert client_of("tez_beiluo").get(f"/documents/{report.photo.pk}/").status_code == 200
    other = User.objects.create(
        username="tez_houmeng_t2", full_name="侯孟村协理员", role="village_assistant", area_id=HOUMENG
    )
    c = client_of("tez_beiluo")
    c.force_login(other)
    assert c.get(f"/documents/{report.photo.pk}/").status_code == 404
    assert c.get(f"/monitoring/field-reports/{report.pk}/").status_code == 404


def test_the_report_page_offers_the_prefilled_intake_and_the_referral(world: Any, client_of: Any) -> None:
    """INT-11: the report's page links to the intake prefilled with 急难型临时救助 and the report;
    the intake page opens with those choices; the town sees the 救助管理站 form."""
    report = submit_field_report(dict(HOMELESS), by=world.user("tez_beiluo"))
    town = client_of("tez_zhangshanzi")
    page = town.get(f"/monitoring/field-reports/{report.pk}/").content.decode()
    assert "当场申请急难型临时救助" in page and "转介台儿庄区救助管理站" in page and str(report.temp_number) in page
    temp = report.temp_person
    assert temp is not None
    intake = town.get(
        "/applications/new/",
        {
            "household": temp.household_id,
            "programs": "temporary",
            "temporary_kind": "emergency",
            "emergency_event": "other",
            "remarks": f"现场发现报告#{report.pk}",
        },
    ).content.decode()
    assert 'value="emergency" selected' in intake and f"现场发现报告#{report.pk}" in intake
    household_page = town.get(f"/households/{temp.household_id}/")  # the registry copes with the number
    assert household_page.status_code == 200 and str(report.temp_number) in household_page.content.decode()
    nav = client_of("tez_beiluo").get("/").content.decode()
    assert "/monitoring/field-reports/" in nav and "现场发现报告" in nav
