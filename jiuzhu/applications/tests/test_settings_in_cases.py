"""A case runs under the settings in force on the day it was accepted (issue 16 item 1; WF-2,
WF-3, GOV-5): a county that changes its procedure by a new document does not move the
deadlines or the approver of the cases already at the window."""

import datetime as dt

import pytest
from django.utils import timezone

from jiuzhu.applications.config import apply_preset, config_for, config_for_case
from jiuzhu.core.errors import DomainError

pytestmark = pytest.mark.django_db


def test_a_case_keeps_the_procedure_of_its_acceptance_day(world, signed_intake):
    app = signed_intake().applications.get()
    today = timezone.localdate()
    assert (config_for_case(app).preset, config_for_case(app).total_limit_days) == ("devolved", 12)
    apply_preset(
        "370405",
        "national",
        by=world.user("tez_county"),
        confirmed_by=world.user("tez_admin"),
        valid_from=today + dt.timedelta(days=1),
        source="台政发〔2026〕30号（测试）",
    )
    kept = config_for_case(app)
    assert (kept.preset, kept.total_limit_days, kept.approval_level("dibao")) == ("devolved", 12, "town")
    tomorrow = config_for("370405", today + dt.timedelta(days=1))
    assert (tomorrow.preset, tomorrow.total_limit_days, tomorrow.approval_level("dibao")) == ("national", 30, "county")


def test_a_preset_needs_two_people_and_a_source(world):
    county = world.user("tez_county")
    with pytest.raises(DomainError) as exc:
        apply_preset("370405", "national", by=county, confirmed_by=county, valid_from=dt.date(2027, 1, 1), source="x")
    assert exc.value.code == "two_person_rule"
    with pytest.raises(DomainError) as exc:
        apply_preset(
            "370405",
            "national",
            by=county,
            confirmed_by=world.user("tez_admin"),
            valid_from=dt.date(2027, 1, 1),
            source=" ",
        )
    assert exc.value.code == "required"


def test_a_county_whose_document_lapsed_with_nothing_above_cannot_take_cases(world):
    """峄城区 after 2025-09-04 runs the national values; a county with no value at any level is
    refused with a message that says where to enter it."""
    assert config_for("370404", dt.date(2026, 12, 1)).total_limit_days == 30
    assert config_for("370404", dt.date(2025, 9, 4)).total_limit_days == 12
    with pytest.raises(DomainError) as exc:
        config_for("370405", dt.date(2014, 1, 1))
    assert exc.value.code == "procedure_not_configured" and "救助标准与设置" in exc.value.message


def test_the_case_page_shows_the_settings_it_runs_under_with_their_sources(world, signed_intake, client_of):
    """Issue 16: every number the case uses is shown with its source and validity."""
    app = signed_intake().applications.get()
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.pk}/").content.decode()
    box = page.split('data-testid="case-settings"')[1].split("</details>")[0]
    assert "办理时限（自受理至作出决定）" in box and "12个工作日" in box and "示例值" in box
    assert "公示天数" in box and "民发〔2021〕57号：公示期为7天" in box and "2021-07-01 至 长期" in box
