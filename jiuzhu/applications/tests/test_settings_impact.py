"""Impact preview of a setting change and the settings a decided case keeps (issue 16 items 1–2;
GOV-5, GOV-8, WF-2, WF-3, MIL-1)."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from django.utils import timezone

from jiuzhu.applications import actions
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.audit.models import AuditEntry
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs import impact
from jiuzhu.programs.actions import confirm_change, propose_change
from jiuzhu.programs.models import ParameterChange

pytestmark = pytest.mark.django_db
SOURCE = "台政字〔2026〕88号（测试）"


def propose(world: Any, name: str = "procedure.total_limit_days", value: Any = 20, **kw: Any) -> ParameterChange:
    return propose_change(
        by=world.user("tez_county"),
        name=name,
        area_code=kw.pop("area_code", "370405"),
        valid_from=kw.pop("valid_from", timezone.localdate()),
        value=value,
        reason="调整办理时限",
        source=SOURCE,
        **kw,
    )


def proposed_at(
    world: Any, area_code: str, name: str = "procedure.total_limit_days", value: Any = 20
) -> ParameterChange:
    """A proposal at any level (city, province, national, town), as an administrator of that
    level would enter it."""
    return ParameterChange.objects.create(
        name=name,
        area_code=area_code,
        area_full="" if area_code == "CN" else area_code.ljust(12, "0"),
        valid_from=timezone.localdate(),
        value=value,
        reason="测试",
        source=SOURCE,
        proposed_by=world.user("tez_county"),
    )


def test_it_lists_the_deadlines_that_move_for_cases_accepted_on_the_valid_from_day(
    world: Any, signed_intake: Any
) -> None:
    """WF-3: 12 → 20 working days from today moves today's case's 办结时限 by 8 working days."""
    app = signed_intake().applications.get()
    accepted = timezone.localdate(app.accepted_at)
    result = impact.preview(propose(world))
    expected = current_calendar().add_working_days(accepted, 20)
    assert result.open_cases == 1 and result.changed_cases == 1 and result.moved_deadlines == 1
    (line,) = result.lines
    assert (line.number, line.household, line.step) == (app.number, app.household.head_name, "办结时限")
    assert (line.old, line.new) == (f"{app.due_on:%Y-%m-%d}", f"{expected:%Y-%m-%d}")
    assert "在办案件1件，其中1件时限变化" in result.summary
    assert "新受理案件的办理时限（自受理至作出决定）由12个工作日变为20个工作日" in result.summary


def test_it_says_plainly_why_nothing_moves_for_cases_accepted_before_valid_from(world: Any, signed_intake: Any) -> None:
    """WF-2: a case keeps the settings of its acceptance day; the preview says so and shows the
    effect on cases accepted from valid_from."""
    signed_intake()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    result = impact.preview(propose(world, valid_from=tomorrow))
    assert result.nothing_moves and result.open_cases == 1 and result.changed_cases == 0
    assert any("生效日期之前受理" in r and "已有时限不变" in r for r in result.reasons)
    assert "由12个工作日变为20个工作日" in result.summary


@pytest.mark.parametrize(
    ("area", "moves"),
    [("370405", True), ("3704", False), ("37", False), ("CN", False), ("370405101", False)],
)
def test_the_nearest_level_wins_county_city_province_national(
    world: Any, signed_intake: Any, area: Any, moves: Any
) -> None:
    """GOV-5: 台儿庄区 has its own 办理时限, so a city, province or national change does not
    reach its cases; a town-level value is never read for the procedure."""
    signed_intake()
    result = impact.preview(proposed_at(world, area))
    assert bool(result.lines) is moves
    if area in ("3704", "37", "CN"):
        assert any("就近优先" in r for r in result.reasons)
    if area == "370405101":
        assert any("镇（街道）及以下" in r for r in result.reasons)


def test_approval_level_shows_the_level_that_would_approve(world: Any, signed_intake: Any) -> None:
    app = signed_intake().applications.get()
    result = impact.preview(propose(world, name="procedure.approval.dibao", value="county"))
    (line,) = result.lines
    assert (
        line.number == app.number
        and not line.is_deadline
        and (line.old, line.new) == ("镇（街道）审批", "县级民政部门审批")
    )
    assert result.moved_deadlines == 0


def test_review_cycles_move_no_recipient(world: Any, signed_intake: Any) -> None:
    signed_intake()
    result = impact.preview(propose(world, name="review.cycle_other_months", value=3))
    assert result.nothing_moves and "在保对象" in result.summary
    assert any("下次复核日期不变" in r for r in result.reasons)


def test_confirming_moves_the_deadlines_and_audits_how_many(world: Any, signed_intake: Any) -> None:
    app = signed_intake().applications.get()
    change = propose(world)
    confirm_change(change, by=world.user("tez_admin"))
    app.refresh_from_db()
    expected = current_calendar().add_working_days(timezone.localdate(app.accepted_at), 20)
    assert app.due_on == expected
    assert CaseDeadline.objects.get(application=app, step="overall").due_on == expected
    entry = AuditEntry.objects.filter(action="programs.parameter.confirm").latest("seq")
    assert entry.changes["moved_deadlines"] == 1 and entry.changes["changed_cases"] == 1


def test_the_api_answers_the_impact_and_404_out_of_reach(world: Any, signed_intake: Any, api_of: Any) -> None:
    app = signed_intake().applications.get()
    change = propose(world)
    body = api_of("tez_county").get(f"/api/v1/parameters/changes/{change.pk}/impact").json()
    assert body["open_cases"] == 1 and body["moved_deadlines"] == 1
    assert body["lines"][0]["number"] == app.number and body["lines"][0]["step"] == "办结时限"
    missing = api_of("tez_county").get("/api/v1/parameters/changes/999999/impact")
    assert missing.status_code == 404 and "message" in missing.json()


def test_the_parameters_page_shows_the_preview_next_to_the_proposal(
    world: Any, signed_intake: Any, client_of: Any
) -> None:
    app = signed_intake().applications.get()
    change = propose(world)
    page = client_of("tez_admin").get("/parameters/").content.decode()
    box = page.split(f'data-testid="impact-{change.pk}"')[1].split("</details>")[0]
    assert "影响预览" in box and app.number in box and "办结时限" in box and "在办案件1件" in box
    assert "确认生效" in page


def test_the_preview_is_set_based_for_thousands_of_open_cases(
    world: Any, signed_intake: Any, django_assert_max_num_queries: Any
) -> None:
    """5,000 open cases accepted today: a constant number of queries; the time is printed."""
    app = signed_intake().applications.get()
    deadline = CaseDeadline.objects.get(application=app, step="overall")
    fields = {f.name: getattr(app, f.name) for f in Application._meta.concrete_fields if f.name not in ("id", "number")}
    apps = Application.objects.bulk_create(
        [Application(**fields, number=f"SQ370405-T-{i:06d}") for i in range(4999)], batch_size=500
    )
    dfields = {
        f.name: getattr(deadline, f.name)
        for f in CaseDeadline._meta.concrete_fields
        if f.name not in ("id", "application")
    }
    CaseDeadline.objects.bulk_create([CaseDeadline(**dfields, application=a) for a in apps], batch_size=500)
    change = propose(world)
    started = time.perf_counter()
    with django_assert_max_num_queries(12):
        result = impact.preview(change)
    elapsed = time.perf_counter() - started
    print(f"impact preview, 5000 open cases: {elapsed:.2f}s")
    assert result.open_cases == 5000 and result.moved_deadlines == 5000


# ---- B: a case keeps the settings version it was decided under (GOV-8) ------------------------


def test_a_decided_case_keeps_its_settings_after_a_later_change(
    world: Any, signed_intake: Any, client_of: Any, api_of: Any
) -> None:
    decided, still_open = (signed_intake().applications.get() for _ in range(2))
    actions.refuse(decided, by=world.user("tez_zhangshanzi"), reason="不属于本镇户籍")
    decided.refresh_from_db()
    kept = {s["key"]: s for s in decided.decision_settings}
    assert kept["procedure.total_limit_days"]["value"] == 12
    assert set(kept["procedure.total_limit_days"]) >= {
        "key",
        "label",
        "value",
        "unit",
        "valid_from",
        "valid_to",
        "area_code",
        "source",
    }
    confirm_change(propose(world), by=world.user("tez_admin"))  # 20 days from today
    decided.refresh_from_db()
    assert {s["key"]: s for s in decided.decision_settings}["procedure.total_limit_days"]["value"] == 12
    api = api_of("tez_zhangshanzi")
    used = {s["key"]: s for s in api.get(f"/api/v1/applications/{decided.pk}").json()["settings_used"]}
    assert (
        used["procedure.total_limit_days"]["value"] == 12 and "示例值" in used["procedure.total_limit_days"]["source"]
    )
    live = {s["key"]: s for s in api.get(f"/api/v1/applications/{still_open.pk}").json()["settings_used"]}
    assert live["procedure.total_limit_days"]["value"] == 20 and SOURCE in live["procedure.total_limit_days"]["source"]
    page = client_of("tez_zhangshanzi").get(f"/applications/{decided.pk}/").content.decode()
    box = page.split('data-testid="case-settings"')[1].split("</details>")[0]
    assert "作出决定时保存的设置" in box and "12个工作日" in box and SOURCE not in box
    page = client_of("tez_zhangshanzi").get(f"/applications/{still_open.pk}/").content.decode()
    box = page.split('data-testid="case-settings"')[1].split("</details>")[0]
    assert "20个工作日" in box and SOURCE in box
