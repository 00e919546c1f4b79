"""What a county's documents say is a dated setting with its source (issue 16 item 1; GOV-5,
GOV-8, GOV-19): 文书字号前缀, 出具单位, 行政复议机关 and 行政诉讼管辖法院 are the county's, the
periods to seek a remedy the law's; a case's notices use the values in force on the day it
was accepted, and the demo counties' notices read as they did before the move."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from jiuzhu.applications import actions
from jiuzhu.applications.config import DEMO_COUNTIES, config_for, config_for_case, set_documents
from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.test_decisions import APPROVER, illness_case, use
from jiuzhu.applications.tests.test_notice_words import _body, _text
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.models import ParameterChange

pytestmark = pytest.mark.django_db

# What the notices of the demo counties said when these values were columns of
# ProcedureConfig (prefix, issuer, review body, court).
BEFORE = {
    "370405": ("台民救", "台儿庄区民政局", "台儿庄区人民政府", "台儿庄区人民法院"),
    "370404": ("峄民救", "峄城区民政局", "峄城区人民政府", "峄城区人民法院"),
    "370481": ("滕民救", "滕州市民政局", "滕州市人民政府", "滕州市人民法院"),
    "370321": ("桓民救", "桓台县民政局", "桓台县人民政府", "桓台县人民法院"),
}
REMEDY = (
    "如对本决定不服，可以自收到本通知书之日起六十日内向{review}申请行政复议，"
    "或者自收到之日起六个月内向{court}提起行政诉讼。"
)
NEW_ISSUER = "台儿庄区社会救助服务中心"


def documents_of(county: str, **changes: str) -> dict[str, str]:
    prefix, issuer, review, court = BEFORE[county]
    texts = {"notice_prefix": prefix, "issuer_name": issuer, "remedy_review_body": review, "remedy_court": court}
    return texts | changes


@pytest.mark.parametrize("county", sorted(BEFORE))
def test_it_renders_the_demo_counties_notice_lines_as_before(world: Any, county: str) -> None:
    """GOV-8: the number prefix, the issuer and the 救济途径 sentence of each demo county are
    the same words as before they became settings."""
    assert set(DEMO_COUNTIES) == set(BEFORE)
    prefix, issuer, review, court = BEFORE[county]
    config = config_for(county, dt.date(2026, 12, 1))
    assert (config.notice_prefix, config.issuer_name) == (prefix, issuer)
    context = {"config": config, "today": dt.date(2026, 12, 1)}
    remedy = render_to_string("applications/notices/_remedy.html", context)
    assert re.sub(r"<[^>]+>", "", remedy).strip() == REMEDY.format(review=review, court=court)
    foot = render_to_string("applications/notices/_foot.html", context)
    assert f'<p class="issuer">{issuer}<br>2026年12月1日</p>' in foot


def test_it_keeps_the_issuer_of_the_acceptance_day_when_the_county_changes_it_from_a_later_date(
    world: Any, signed_intake: Callable[..., Any]
) -> None:
    """GOV-5, GOV-19: a new issuer from a future date applies to cases accepted from that day
    on; a case accepted before keeps the issuer of its acceptance day."""
    app = signed_intake().applications.get()
    later = timezone.localdate() + dt.timedelta(days=30)
    set_documents(
        "370405",
        {"issuer_name": NEW_ISSUER},
        by=world.user("tez_county"),
        confirmed_by=world.user("tez_admin"),
        valid_from=later,
        source="台政办字〔2026〕12号（测试）：审批权限委托下放后由区社会救助服务中心出具文书",
    )
    assert config_for_case(app).issuer_name == "台儿庄区民政局"
    assert config_for("370405").issuer_name == "台儿庄区民政局"
    assert config_for("370405", later).issuer_name == NEW_ISSUER
    Application.objects.filter(pk=app.pk).update(accepted_at=app.accepted_at + dt.timedelta(days=30))
    app.refresh_from_db()
    accepted_later = config_for_case(app)
    assert (accepted_later.issuer_name, accepted_later.notice_prefix) == (NEW_ISSUER, "台民救")


def test_a_decision_notice_names_the_issuer_of_its_cases_acceptance_day(
    world: Any, signed_intake: Callable[..., Any]
) -> None:
    """GOV-8: the rejection notice of a case accepted before the change carries the old issuer,
    the one of a case accepted on the change's first day the new one."""
    use("devolved")
    before = illness_case(world, signed_intake, oop_yuan=6000)
    Application.objects.filter(pk=before.pk).update(accepted_at=before.accepted_at - dt.timedelta(days=1))
    set_documents(
        "370405",
        {"issuer_name": NEW_ISSUER},
        by=world.user("tez_county"),
        confirmed_by=world.user("tez_admin"),
        valid_from=timezone.localdate(),
        source="台政办字〔2026〕12号（测试）",
    )
    after = illness_case(world, signed_intake, oop_yuan=6000)
    for app in (before, after):
        app.refresh_from_db()
        actions.reject(app, by=world.user(APPROVER), note="家庭经济状况不符合条件")
    old = re.sub(r"\s+", "", _body(_text(before.notices.get(kind="rejection"))))
    new = re.sub(r"\s+", "", _body(_text(after.notices.get(kind="rejection"))))
    assert "台儿庄区民政局" in old and NEW_ISSUER not in old
    assert NEW_ISSUER in new


def test_it_refuses_document_settings_without_two_people_a_source_or_a_text(world: Any) -> None:
    """GOV-19: two persons, a document and a value; nothing is saved when one is missing."""
    county, admin = world.user("tez_county"), world.user("tez_admin")
    day = dt.date(2027, 1, 1)
    with pytest.raises(DomainError) as exc:
        set_documents("370405", {"issuer_name": NEW_ISSUER}, by=county, confirmed_by=county, valid_from=day, source="x")
    assert exc.value.code == "two_person_rule"
    with pytest.raises(InvalidInput) as exc:
        set_documents("370405", {"issuer_name": NEW_ISSUER}, by=county, confirmed_by=admin, valid_from=day, source=" ")
    assert (exc.value.code, exc.value.field) == ("required", "source")
    with pytest.raises(InvalidInput) as exc:
        set_documents(
            "370405",
            {"notice_prefix": "台民救", "remedy_court": "  "},
            by=county,
            confirmed_by=admin,
            valid_from=day,
            source="台政办字〔2026〕12号",
        )
    assert exc.value.field == "remedy_court" and "行政诉讼管辖法院" in exc.value.message
    assert not ParameterChange.objects.filter(name__startswith="documents.").exists()


def test_a_county_without_its_document_settings_cannot_take_an_application(world: Any) -> None:
    """GOV-8: 薛城区 has no issuer yet: the refusal names the missing setting and where to enter it."""
    with pytest.raises(DomainError) as exc:
        config_for("370403", dt.date(2026, 12, 1))
    assert exc.value.code == "procedure_not_configured"
    assert "救助标准与设置" in exc.value.message


def test_the_settings_api_lists_the_document_settings_with_their_source(
    world: Any, api_of: Callable[[str], Any]
) -> None:
    """GOV-8: GET /api/v1/settings lists 文书与救济途径 with value, area and source."""
    rows = api_of("tez_county").get("/api/v1/settings?area_code=370405&date=2026-12-01").json()
    by_key = {r["key"]: r for r in rows}
    issuer = by_key["documents.issuer_name"]
    assert (issuer["value"], issuer["unit"], issuer["area_code"], issuer["label"]) == (
        "台儿庄区民政局",
        "text",
        "370405",
        "出具单位（文书落款）",
    )
    assert issuer["source"].startswith("示例值") and issuer["valid_from"] == "2020-01-01"
    assert by_key["documents.remedy_court"]["value"] == "台儿庄区人民法院"
    review_days = by_key["documents.remedy_review_days"]
    assert (review_days["value"], review_days["area_code"]) == (60, "CN")
    assert "《中华人民共和国行政复议法》（2023年修订）第二十条" in review_days["source"]
    months = by_key["documents.remedy_litigation_months"]
    assert (months["value"], months["unit"]) == (6, "months") and "第四十六条" in months["source"]


def test_the_settings_page_shows_the_documents_topic_and_takes_a_new_issuer(
    world: Any, client_of: Callable[[str], Any]
) -> None:
    """GOV-8, GOV-19: the page lists 文书与救济途径 with sources; a new issuer entered there
    is a proposal that a second person confirms."""
    client = client_of("tez_county")
    page = client.get("/parameters/?date=2026-12-01").content.decode()
    assert "<h2>文书与救济途径</h2>" in page
    table = page.split("<h2>文书与救济途径</h2>")[1].split("<h2>")[0]
    assert "台儿庄区人民政府" in table and "《中华人民共和国行政复议法》" in table and "60日" in table
    later = timezone.localdate() + dt.timedelta(days=30)
    response = client.post(
        "/parameters/",
        {
            "name": "documents.issuer_name",
            "area_code": "370405",
            "valid_from": later.isoformat(),
            "value": NEW_ISSUER,
            "source": "台政办字〔2026〕12号（测试）",
            "reason": "机构改革后由区社会救助服务中心出具文书",
        },
    )
    assert response.status_code == 302
    change = ParameterChange.objects.get(name="documents.issuer_name")
    assert (change.value, change.status, change.valid_from) == (NEW_ISSUER, "proposed", later)


def test_a_new_issuer_is_proposed_and_confirmed_through_the_api(world: Any, api_of: Callable[[str], Any]) -> None:
    """GOV-19: POST /api/v1/parameters/changes by one person, confirmed by another; an empty
    text is refused with 422 naming the field, nothing saved."""
    import json

    later = timezone.localdate() + dt.timedelta(days=30)
    body = {
        "name": "documents.issuer_name",
        "area_code": "370405",
        "valid_from": later.isoformat(),
        "value": "  ",
        "reason": "机构改革",
        "source": "台政办字〔2026〕12号（测试）",
    }
    county = api_of("tez_county")
    bad = county.post("/api/v1/parameters/changes", json.dumps(body), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_parameter"
    assert "出具单位" in bad.json()["message"] and not ParameterChange.objects.exists()
    made = county.post(
        "/api/v1/parameters/changes", json.dumps(body | {"value": NEW_ISSUER}), content_type="application/json"
    )
    assert made.status_code == 201
    confirmed = api_of("tez_admin").post(
        f"/api/v1/parameters/changes/{made.json()['id']}/actions/confirm", "{}", content_type="application/json"
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    assert config_for("370405", later).issuer_name == NEW_ISSUER
    assert config_for("370405").issuer_name == "台儿庄区民政局"
