"""The rule editor (issue 17 item 1; DIS-1, DIS-3): county staff read rules by their Chinese name,
never their internal code; the rules the platform keeps for a department's list (``suspected.*``)
or a 摸底排查 open read-only with a Chinese explanation, and saving one is refused on the page
and through the API."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError
from jiuzhu.monitoring.actions.grid import save_rule
from jiuzhu.monitoring.models import MonitoringRule

from .test_tasks import medical_rule

pytestmark = pytest.mark.django_db


def suspected_rule() -> MonitoringRule:
    """The rule ``suspected._rule`` keeps for the 医保 list (as it writes it)."""
    rule: MonitoringRule = MonitoringRule.objects.create(
        county_code="370405",
        code="suspected.yibao",
        name="医保疑似困难人员名单",
        level="yellow",
        reason="年度个人自付医疗费用较高",
        program="temporary",
        condition={"status": "suspected", "source": "yibao.suspected", "temporary_kind": "expense"},
        valid_from=dt.date(2000, 1, 1),
        source_document="医保局推送疑似困难人员名单（DIS-3）",
        enabled=False,
    )
    return rule


def test_dis1_the_rule_list_and_form_show_names_not_codes(world: Any, client_of: Any) -> None:
    rule = medical_rule(world)
    c = client_of("tez_county")
    listing = c.get("/monitoring/rules/").content.decode()
    assert "医疗自付费用过高" in listing and "medical_20k" not in listing
    form = c.get(f"/monitoring/rules/{rule.pk}/").content.decode()
    assert "预警规则：医疗自付费用过高" in form and "medical_20k" not in form
    assert 'name="code"' not in c.get("/monitoring/rules/new/").content.decode()
    assert str(rule) == "医疗自付费用过高"


def test_dis1_a_rule_made_on_the_page_gets_an_internal_code(world: Any, client_of: Any) -> None:
    medical_rule(world)
    r = client_of("tez_county").post(
        "/monitoring/rules/new/",
        {
            "name": "失业登记家庭",
            "level": "yellow",
            "reason": "新近失业登记",
            "program": "temporary",
            "condition_kind": "unemployed",
            "new_days": "90",
            "valid_from": "2026-01-01",
            "source_document": "示例值：县民政局预警规则",
            "enabled": "on",
        },
    )
    assert r.status_code == 302
    made = MonitoringRule.objects.get(name="失业登记家庭")
    assert made.code == "rule2" and made.condition == {"status": "unemployed", "new_days": 90}


def test_dis3_a_suspected_list_rule_is_read_only_with_a_chinese_explanation(world: Any, client_of: Any) -> None:
    rule = suspected_rule()
    c = client_of("tez_county")
    listing = c.get("/monitoring/rules/").content.decode()
    assert "医保疑似困难人员名单" in listing and "系统规则，只读" in listing and "suspected.yibao" not in listing
    page = c.get(f"/monitoring/rules/{rule.pk}/").content.decode()
    assert 'data-testid="system-rule"' in page and "只能查看，不能修改" in page
    assert "<fieldset disabled" in page and "保存</button>" not in page
    r = c.post(f"/monitoring/rules/{rule.pk}/", {"name": "改名", "level": "red"}, follow=True)
    assert r.status_code == 200 and "只能查看，不能修改" in r.content.decode()
    rule.refresh_from_db()
    assert (rule.name, rule.level) == ("医保疑似困难人员名单", "yellow")
    body = {"name": "改名", "level": "red", "reason": "x", "program": "temporary", "valid_from": "2026-01-01"}
    api = c.put(f"/api/v1/monitoring/rules/{rule.pk}", json.dumps(body), content_type="application/json")
    assert api.status_code == 409 and api.json()["code"] == "system_rule" and "不能修改" in api.json()["message"]
    with pytest.raises(DomainError):
        save_rule(rule, body, by=world.user("tez_county"))
    assert not AuditEntry.objects.filter(action="monitoring.rule.update").exists()


def test_dis2_the_campaign_rule_is_read_only_too(world: Any, client_of: Any) -> None:
    rule = MonitoringRule.objects.create(
        county_code="370405",
        code="campaign_found",
        name="摸底排查发现",
        level="yellow",
        reason="入户走访发现困难",
        program="temporary",
        condition={"status": "campaign"},
        valid_from=dt.date(2000, 1, 1),
        source_document="摸底排查",
        enabled=False,
    )
    page = client_of("tez_county").get(f"/monitoring/rules/{rule.pk}/").content.decode()
    assert "摸底排查自动建立" in page and "campaign_found" not in page
