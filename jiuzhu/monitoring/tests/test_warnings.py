"""政策找人 (issue 17 item 1): monitoring rules over department facts and the registry,
evaluated set-based, idempotent, deduplicated; pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiuzhu.accounts.system import system_user
from jiuzhu.monitoring.actions.grid import save_rule
from jiuzhu.monitoring.models import GridTask, MonitoringRule, Warning
from jiuzhu.monitoring.warnings import evaluate_warnings
from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for, upload

from .test_tasks import BEILUO, family_in, medical_rule, medical_spend, plain_id

__all__ = ["catalog", "family_in", "jobs", "upload"]

TODAY = dt.date.today()


def test_it_finds_a_high_medical_spender_who_never_applied(
    world: Any, catalog: Any, family_in: Any, upload: Any
) -> None:
    """DIS-1, DIS-7: a rule over 医保 facts finds a person who is no recipient; warning and task."""
    h = family_in()
    person = h.members.get(relation="self")
    medical_spend(upload, person, 25000)
    medical_rule(world)
    result = evaluate_warnings("370405", by=system_user())
    assert result.created == 1
    w = Warning.objects.get()
    assert (w.person_id, w.household_id, w.area_code, w.level, w.status) == (person.pk, h.pk, BEILUO, "red", "tasked")
    assert w.facts[0]["source"] == "yibao.expense" and "25000.00元" in w.facts[0]["value"]
    task = GridTask.objects.get()
    assert task.area_code == BEILUO and task.due_on > TODAY


def test_it_ignores_spending_below_the_threshold(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """DIS-1: 19,999 元 does not reach a 20,000 元 rule."""
    medical_rule(world)
    h = household_in("张山子镇")
    medical_spend(upload, h.members.get(relation="self"), 19999)
    assert evaluate_warnings("370405", by=system_user()).created == 0


def test_it_is_idempotent(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """DIS-7: re-running the evaluation (nightly and after a batch) adds no warning."""
    h = household_in("张山子镇")
    medical_spend(upload, h.members.get(relation="self"), 30000)
    medical_rule(world)
    evaluate_warnings("370405", by=system_user())
    assert evaluate_warnings("370405", by=system_user()).created == 0
    assert Warning.objects.count() == 1 and GridTask.objects.count() == 1


def test_it_skips_current_recipients_and_open_cases(
    world: Any, catalog: Any, household_in: Any, upload: Any, signed_intake: Any
) -> None:
    """REG-6: a household with an open case is not warned again."""
    h = household_in("张山子镇")
    signed_intake(household=h)
    medical_spend(upload, h.members.get(relation="self"), 30000)
    medical_rule(world, program="dibao")
    result = evaluate_warnings("370405", by=system_user())
    assert result.created == 0 and result.skipped["open_case"] == 1


def test_it_warns_one_household_once_per_program(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """REG-6: two members of one family over the threshold make one warning."""
    h = household_in("张山子镇")
    members = list(h.members.all())
    medical_spend(upload, members[0], 30000, members[1])
    medical_rule(world)
    assert evaluate_warnings("370405", by=system_user()).created == 1


def test_it_finds_a_new_severe_disability(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """DIS-6: {source: 残联, new within 180 days, grade 一级/二级}; an old or mild one is not new."""
    fresh, old = household_in("张山子镇"), household_in("张山子镇")
    rows = [
        row_for(
            "canlian.disability",
            id_number=plain_id(fresh.members.get(relation="self")),
            cert="C1",
            category="肢体残疾",
            grade="一级",
            issued_on=str(TODAY - dt.timedelta(days=20)),
            state="正常",
        ),
        row_for(
            "canlian.disability",
            id_number=plain_id(old.members.get(relation="self")),
            cert="C2",
            category="肢体残疾",
            grade="二级",
            issued_on="2015-01-01",
            state="正常",
        ),
    ]
    upload("canlian.disability", csv_bytes(headers_of("canlian.disability"), rows))
    save_rule(
        None,
        {
            "code": "new_severe_disability",
            "name": "新增重度残疾人",
            "level": "orange",
            "reason": "新办一、二级残疾人证，可能符合低保单人户或重度残疾人护理补贴",
            "program": "dibao",
            "condition": {"status": "disability", "new_days": 180, "detail_any": "一级，二级"},
            "valid_from": "2024-01-01",
            "source_document": "示例值：县民政局预警规则",
        },
        by=world.user("tez_county"),
    )
    evaluate_warnings("370405", by=system_user())
    assert list(Warning.objects.values_list("household_id", flat=True)) == [fresh.pk]


def test_it_finds_low_income_per_head_against_the_dibao_standard(
    world: Any, catalog: Any, household_in: Any, upload: Any
) -> None:
    """DIS-1: 人均收入 < 1.2 × 低保标准 from department income facts (one 失业 member, 3 persons)."""
    h = household_in("张山子镇", size=3)
    row = row_for(
        "renshe.unemployment",
        id_number=plain_id(h.members.get(relation="self")),
        registered_on=str(TODAY - dt.timedelta(days=40)),
        benefit="1500",
        state="失业",
    )
    upload("renshe.unemployment", csv_bytes(headers_of("renshe.unemployment"), [row]))
    save_rule(
        None,
        {
            "code": "low_income",
            "name": "人均收入低于低保标准1.2倍",
            "level": "yellow",
            "reason": "部门数据显示家庭人均收入偏低",
            "program": "dibao",
            "condition": {"measure": "income_per_capita", "op": "<", "value": "1.2"},
            "valid_from": "2024-01-01",
            "source_document": "示例值",
        },
        by=world.user("tez_county"),
    )
    evaluate_warnings("370405", by=system_user())
    w = Warning.objects.get()
    assert w.household_id == h.pk and "500.00元/人/月" in w.facts[0]["value"]


def test_it_evaluates_in_a_constant_number_of_queries(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """DIS-7: set-based — the query count does not grow with the people found."""
    people = [household_in("张山子镇").members.get(relation="self") for _ in range(4)]
    medical_spend(upload, people[0], 30000, *people[1:])
    medical_rule(world)
    with CaptureQueriesContext(connection) as ctx:
        assert evaluate_warnings("370405", by=system_user()).created == 4
    assert len(ctx.captured_queries) <= 25


def test_it_runs_from_the_command_line_and_after_a_batch(
    world: Any, catalog: Any, household_in: Any, upload: Any, capsys: Any
) -> None:
    """DIS-7: the batch-loaded hook evaluates at once; the nightly command then adds nothing."""
    medical_rule(world)
    medical_spend(upload, household_in("张山子镇").members.get(relation="self"), 30000)
    assert Warning.objects.count() == 1  # the hook ran after the batch loaded
    call_command("evaluate_warnings", "--county", "370405")
    assert "新增预警 0 条" in capsys.readouterr().out


def test_it_refuses_a_bad_rule_with_the_field_named(world: Any, catalog: Any, client_of: Any) -> None:
    """DIS-1: bad input → 422 with a Chinese message naming the field; nothing saved."""
    api = client_of("tez_county")
    body = {
        "code": "x",
        "name": "测试",
        "level": "red",
        "reason": "测试",
        "program": "dibao",
        "condition": {"measure": "medical_expense_12m", "op": ">=", "value": "很多"},
        "valid_from": "2026-01-01",
        "source_document": "示例值",
    }
    r = api.post("/api/v1/monitoring/rules", body, content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "condition.value" and "数字" in r.json()["message"]
    assert not MonitoringRule.objects.exists()


def test_it_lets_county_staff_edit_a_rule_on_the_page(world: Any, catalog: Any, client_of: Any) -> None:
    """DIS-1: a rule is edited on a page without code, and the change is audited."""
    from jiuzhu.audit.models import AuditEntry

    rule = medical_rule(world)
    c = client_of("tez_county")
    page = c.get(f"/monitoring/rules/{rule.pk}/")
    assert page.status_code == 200 and "医保个人自付医疗费用" in page.content.decode()
    data = {
        "name": rule.name,
        "level": "orange",
        "reason": rule.reason,
        "program": "temporary",
        "condition_kind": "medical_expense_12m",
        "op": ">=",
        "value": "30000",
        "valid_from": "2024-01-01",
        "source_document": "示例值",
        "enabled": "on",
    }
    r = c.post(f"/monitoring/rules/{rule.pk}/", data)
    assert r.status_code == 302
    rule.refresh_from_db()
    assert rule.level == "orange" and rule.condition["value"] == 30000
    assert AuditEntry.objects.filter(action="monitoring.rule.update").exists()


def test_it_shows_rules_through_the_api_and_refuses_village_edits(world: Any, catalog: Any, client_of: Any) -> None:
    """DIS-1: GET /api/v1/monitoring/rules lists the county's rules; a village worker may not edit."""
    medical_rule(world)
    r = client_of("tez_beiluo").get("/api/v1/monitoring/rules")
    assert r.status_code == 200 and r.json()["items"][0]["condition_label"].startswith("医保个人自付")
    r = client_of("tez_beiluo").post("/monitoring/rules/new/", {"code": "y"})
    assert r.status_code == 403


def test_it_lists_warnings_by_level_and_status(
    world: Any, catalog: Any, household_in: Any, upload: Any, client_of: Any
) -> None:
    """DIS-6: the 预警 list (page and API) filters by level, status and rule; other towns see nothing."""
    medical_rule(world)
    medical_spend(upload, household_in("张山子镇").members.get(relation="self"), 30000)
    town = client_of("tez_zhangshanzi")
    assert len(town.get("/api/v1/warnings?level=red&status=tasked").json()["items"]) == 1
    assert town.get("/api/v1/warnings?level=yellow").json()["items"] == []
    assert town.get("/api/v1/warnings?area_code=370405101000").json()["count"] == 1
    assert town.get(f"/api/v1/warnings?area_code={BEILUO}").json()["count"] == 0
    assert client_of("tez_jiantouji").get("/api/v1/warnings").json()["count"] == 0
    bad = town.get("/api/v1/warnings?level=purple")
    assert bad.status_code == 422 and bad.json()["field"] == "level"
    page = town.get("/monitoring/warnings/?level=red")
    assert page.status_code == 200 and "医保" in page.content.decode()


@pytest.mark.parametrize("username", ["tez_county", "tez_zhangshanzi"])
def test_it_links_the_warning_pages_from_the_navigation(world: Any, client_of: Any, username: str) -> None:
    """DIS-6: county and town staff reach 预警 from the navigation."""
    assert "/monitoring/warnings/" in client_of(username).get("/").content.decode()


def test_two_rules_for_one_program_make_one_warning(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """REG-6: a household with an unclosed warning for the program is not warned again by another rule."""
    h = household_in("张山子镇")
    medical_spend(upload, h.members.get(relation="self"), 50000)
    medical_rule(world)
    save_rule(
        None,
        {
            "code": "medical_40k",
            "name": "医疗自付费用特别高",
            "level": "red",
            "reason": "近12个月医保个人自付超过4万元",
            "program": "temporary",
            "condition": {"measure": "medical_expense_12m", "op": ">=", "value": 40000},
            "valid_from": "2024-01-01",
            "source_document": "示例值",
        },
        by=world.user("tez_county"),
    )
    result = evaluate_warnings("370405", by=system_user())
    assert result.created == 1 and result.skipped["open_warning"] == 1


def test_a_rule_out_of_force_finds_nobody(world: Any, catalog: Any, household_in: Any, upload: Any) -> None:
    """DIS-7: rules are dated — a rule whose validity ended is not evaluated."""
    h = household_in("张山子镇")
    medical_spend(upload, h.members.get(relation="self"), 50000)
    rule = medical_rule(world)
    MonitoringRule.objects.filter(pk=rule.pk).update(valid_to=TODAY - dt.timedelta(days=1))
    assert evaluate_warnings("370405", by=system_user()).rules == 0


def test_the_rule_page_shows_a_bad_value_in_chinese(world: Any, catalog: Any, client_of: Any) -> None:
    """DIS-1: a wrong number on the rule page → the Chinese message, nothing saved."""
    r = client_of("tez_county").post(
        "/monitoring/rules/new/",
        {
            "code": "bad",
            "name": "测试规则",
            "level": "red",
            "reason": "测试",
            "program": "dibao",
            "condition_kind": "medical_expense_12m",
            "op": ">=",
            "value": "-5",
            "valid_from": "2026-01-01",
            "source_document": "示例值",
            "enabled": "on",
        },
    )
    assert r.status_code == 200 and "条件数值须大于0" in r.content.decode()
    assert not MonitoringRule.objects.exists()


def test_outside_systems_read_warnings_with_a_token(
    world: Any, catalog: Any, household_in: Any, upload: Any, api_of: Any
) -> None:
    """DIS-6: GET /api/v1/warnings with a Bearer token; unknown status → 422 with the field."""
    medical_spend(upload, household_in("张山子镇").members.get(relation="self"), 30000)
    medical_rule(world)
    evaluate_warnings("370405", by=system_user())
    api = api_of("tez_county")
    body = api.get("/api/v1/warnings?status=tasked").json()
    assert body["count"] == 1 and body["items"][0]["facts"][0]["source"] == "yibao.expense"
    r = api.get("/api/v1/warnings?status=done")
    assert r.status_code == 422 and r.json()["field"] == "status"


def test_it_skips_current_recipients_of_the_program_only(
    world: Any, catalog: Any, upload: Any, approved_case: Any
) -> None:
    """REG-6: a 低保 family is not warned for 低保, but may be for 临时救助 (another program)."""
    case = approved_case()
    head = case.household.members.get(relation="self")
    medical_spend(upload, head, 30000)
    medical_rule(world, program="dibao")
    result = evaluate_warnings("370405", by=system_user())
    assert result.created == 0 and result.skipped["recipient"] == 1
    MonitoringRule.objects.update(program="temporary", code="medical_temp")
    assert evaluate_warnings("370405", by=system_user()).created == 1
