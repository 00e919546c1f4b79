"""Roster and recovery rules as dated settings with a source (issue 16 item 1, "roster day and
lock rules"): DYN-8 (动态管理设置), FND-4 (资金发放), GOV-5 (县、市、省 may set their own, nearest
wins), GOV-17 (a change needs a second person). Read through payments.roster.config_for."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments import actions
from jiuzhu.payments.actions.recovery import _installments
from jiuzhu.payments.models import RosterRun, add_months, month_start
from jiuzhu.payments.roster import config_for
from jiuzhu.programs.actions import confirm_change, propose_change

pytestmark = pytest.mark.django_db


def set_for_county(world: Any, name: str, value: int) -> None:
    change = propose_change(
        by=world.user("tez_county"),
        name=name,
        area_code="370405",
        valid_from=dt.date(2021, 7, 1),
        value=value,
        reason="按本区资金拨付文件调整",
        source="台民字〔2026〕X号（测试文件）",
    )
    confirm_change(change, by=world.user("tez_admin"))


def test_it_lists_the_roster_and_recovery_settings_with_their_source(world: Any, api_of: Any) -> None:
    """DYN-8: every payment rule is a setting in force with its source; demo values say 示例值."""
    today = timezone.localdate().isoformat()
    listed = api_of("tez_county").get("/api/v1/settings", {"area_code": "370405", "date": today}).json()
    by_key = {s["key"]: s for s in listed}
    for key, value in (("payments.roster_months_ahead", 1), ("payments.recovery_due_days", 30)):
        assert by_key[key]["value"] == value and by_key[key]["area_code"] == "CN"
        assert "示例值" in str(by_key[key]["source"]) and by_key[key]["label"]
    config = config_for("370405")
    assert (config.roster_months_ahead, config.recovery_due_days) == (1, 30)


def test_it_refuses_a_roster_beyond_the_months_ahead_setting(world: Any) -> None:
    """FND-4: by default next month's roster is the latest; the message names the month."""
    too_far = add_months(month_start(timezone.localdate()), 2)
    with pytest.raises(InvalidInput) as refused:
        actions.request_roster(by=world.user("tez_county"), area_code="370405", month=too_far.isoformat()[:7])
    assert refused.value.code == "month_too_late" and refused.value.field == "month"


def test_it_lets_a_county_set_rosters_two_months_ahead(world: Any) -> None:
    """GOV-5, GOV-17: the county's confirmed value wins over the national default."""
    set_for_county(world, "payments.roster_months_ahead", 2)
    month = add_months(month_start(timezone.localdate()), 2)
    run = actions.request_roster(by=world.user("tez_county"), area_code="370405", month=month.isoformat()[:7])
    assert isinstance(run, RosterRun) and run.month == month
    assert config_for("370404").roster_months_ahead == 1  # another county keeps the default


def test_it_dates_a_single_repayment_by_the_county_setting(world: Any) -> None:
    """DYN-8: a recovery without agreed installments is due after the county's 缴回期限."""
    today = timezone.localdate()
    assert _installments(None, 50000, "370405") == [
        {"due_on": (today + dt.timedelta(days=30)).isoformat(), "amount_fen": 50000}
    ]
    set_for_county(world, "payments.recovery_due_days", 60)
    assert _installments(None, 50000, "370405")[0]["due_on"] == (today + dt.timedelta(days=60)).isoformat()


def test_it_refuses_a_months_ahead_value_above_its_maximum(world: Any) -> None:
    """Bad input: the value is refused with a Chinese message naming the field; nothing saved."""
    with pytest.raises(InvalidInput) as refused:
        set_for_county(world, "payments.roster_months_ahead", 12)
    assert refused.value.field == "value"
