"""Decisions on a case (issue 14 items 1, 2, 4 and 12): 支出型临时救助 within and above the
town's limit, 报县级审批 and 一事一议 (STD-5, STD-6, WF-17, PRG-7), mutually exclusive
benefits (低保 / 特困 / 低保边缘; 城市 / 农村 by the household), and time (the 24-hour 急难
clock in hours, no future dates for objections and 民主评议, review cycle by exact age)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from jiuzhu.applications import actions, walk, workflow
from jiuzhu.applications.config import config_for
from jiuzhu.applications.models import Application, CaseDeadline
from jiuzhu.applications.procedure import ProcedureConfig
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput

from .conftest import png, png_b64

pytestmark = pytest.mark.django_db

CLERK, APPROVER, COUNTY = "tez_zhangshanzi", "tez_zhangshanzi_sp", "tez_county"
BILLS = ["医疗费用票据（自付部分）"]


def use(preset: str) -> ProcedureConfig:
    return use_preset(preset)


def illness_case(world: Any, signed_intake: Any, *, oop_yuan: int, household: Any = None) -> Application:
    """A 重特大疾病支出型临时救助 at 张山子镇 with ``oop_yuan`` of self-paid medical costs over
    12 months and no income, investigated and verified, waiting for the decision."""
    intake = signed_intake(
        programs=("temporary",), temporary_kind="illness", documents_provided=BILLS, household=household
    )
    app = intake.applications.get()
    facts = dict(app.facts)
    facts["members"] = [
        dict(m, medical_oop_fen=oop_yuan * 100) if i == 0 else m for i, m in enumerate(facts["members"])
    ]
    visit = walk.Visit(
        housing="自有砖瓦房两间",
        living_conditions="户主患尿毒症长期透析，家庭无收入",
        labour="户主丧失劳动能力",
        health="户主重病",
    )
    facts = {k: v for k, v in facts.items() if k != "temporary"}
    return walk.to_review(app, by=world.user(CLERK), verifier=world.user("tez_hecha"), visit=visit, facts=facts)


def end_publicity(app: Application) -> Application:
    Application.objects.filter(pk=app.pk).update(publicity_end=timezone.localdate() - dt.timedelta(days=1))
    app.refresh_from_db()
    return app


def deliberate(world: Any, app: Application, amount_yuan: int = 20000, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {
        "held_on": timezone.localdate(),
        "participants": ["李局长", "王科长", "赵主任", "张山子镇孙镇长"],
        "hardship": "户主尿毒症长期透析，近12个月自付医疗费用4万元，家庭无其他收入，子女在读",
        "minutes": "经集体研究，同意按一事一议将临时救助金额提高至2万元",
        "decided_amount_fen": amount_yuan * 100,
        "signature": actions.SignatureIn(0, png(12), "scan"),
    }
    kwargs.update(overrides)
    return actions.record_special_deliberation(app, by=world.user(COUNTY), **kwargs)


# ---- item 1: 支出型 within the town's limit ------------------------------------------------------


def test_it_approves_an_expense_type_aid_within_the_town_limit(world, signed_intake):
    """issue 14 item 1 (PRG-7, STD-5, WF-3): 救助测算 gives 3,000 元 at town level, so the town
    approves it; the limit check reads the trace value, not the trace entry."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=6000)
    actions.approve(app, by=world.user(APPROVER))
    app.refresh_from_db()
    assert app.state == "publicizing" and app.decision == "approved" and app.amount_fen == 300000
    assert app.trace["variables"]["temporary_needs_higher_approval"]["value"] is False


def test_above_the_town_limit_the_town_is_told_to_escalate(world, signed_intake):
    """issue 14 item 2 (STD-6, WF-17): 5,000 元 is above the town's 3,000 元; the refusal names
    both amounts and the way on (报县级审批), and nothing changes."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=10000)
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=world.user(APPROVER))
    assert exc.value.code == "needs_higher_approval"
    assert "5,000.00元" in exc.value.message and "3,000.00元" in exc.value.message
    assert "报县级审批" in exc.value.message
    app.refresh_from_db()
    assert app.state == "reviewing" and not app.decision


# ---- item 2: 报县级审批 and 一事一议 ----------------------------------------------------------------


def test_the_town_escalates_and_the_county_approves_above_the_town_limit(world, signed_intake):
    """issue 14 item 2 (STD-6, WF-17, GOV-5): 报县级审批 → the county officer decides 5,000 元;
    the result is published in the village and the approval notice follows."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=10000)
    approver, county = world.user(APPROVER), world.user(COUNTY)
    with pytest.raises(InvalidInput):
        actions.escalate(app, by=approver, reason="")
    actions.escalate(app, by=approver, reason="测算金额5000元，超过镇级审批限额")
    app.refresh_from_db()
    assert app.state == "county_review" and app.facts["temporary"]["approval_level"] == "county"
    config = config_for("370405")
    assert "approve" not in {t.name for t in workflow.allowed(app, config, approver)}
    assert {"approve", "reject", "special_deliberation"} <= {t.name for t in workflow.allowed(app, config, county)}
    with pytest.raises(Forbidden):
        actions.approve(app, by=approver)
    step = CaseDeadline.objects.get(application=app, step="county_review")
    assert step.responsible == "county" and step.met_on is None
    actions.approve(app, by=county, note="同意")
    app.refresh_from_db()
    assert app.state == "publicizing" and app.amount_fen == 500000 and app.decided_by == county
    step.refresh_from_db()
    assert step.met_on == timezone.localdate()
    actions.close_publicity(end_publicity(app), by=world.user(CLERK))
    app.refresh_from_db()
    assert app.state == "approved" and app.notices.filter(kind="approval").exists()


def test_the_town_may_not_escalate_what_it_may_decide(world, signed_intake):
    """issue 14 item 2: 报县级审批 is for amounts above the town's limit (3,000 元 is within it)."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=6000)
    with pytest.raises(DomainError) as exc:
        actions.escalate(app, by=world.user(APPROVER), reason="请县级审批")
    assert exc.value.code == "within_limit" and "3,000.00元" in exc.value.message


def test_a_special_deliberation_raises_the_aid_above_the_band(world, signed_intake):
    """issue 14 item 2 (STD-6, WF-17, DOC-14): the band ends at 12 × 1,000 元; the county's
    一事一议 decides 20,000 元, the rules engine's cap respects it, the approval pays it, and
    the notice and the dossier say so."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    county = world.user(COUNTY)
    actions.escalate(app, by=world.user(APPROVER), reason="测算金额超过镇级审批限额，家庭困难特别严重")
    app.refresh_from_db()
    record = deliberate(world, app)
    app.refresh_from_db()
    assert record.ordinary_max_fen == 1200000 and record.ceiling_fen == 2400000
    assert record.convened_by == county and record.participants[0] == "李局长"
    assert record.signature.kind == "signature"
    assert app.facts["temporary"] == {
        "kind": "illness",
        "approval_level": "deliberation",
        "event": "",
        "deliberated_amount_fen": 2000000,
    }
    assert app.state == "county_review"
    result = actions.evaluate(app)
    assert result["eligible"] and result["monthly_amount_fen"] == 2000000
    actions.approve(app, by=county)
    app.refresh_from_db()
    assert app.amount_fen == 2000000 and app.decided_by == county
    actions.close_publicity(end_publicity(app), by=world.user(CLERK))
    app.refresh_from_db()
    assert app.state == "approved"
    text = notice_text(app, "approval")
    assert "一事一议" in text and "20,000.00元" in text and "12,000.00元" in text
    # the 金额计算 gives every amount in 元 — the twelve months' costs too, never in 分
    assert "40,000.00元" in text and "24,000.00元" in text and "4000000" not in text
    assert record.minutes_document is not None and "会议纪要" in record.minutes_document.title
    entry = AuditEntry.objects.for_object(app).filter(action="applications.special_deliberation").get()
    assert entry.changes["decided_amount_fen"] == 2000000


def notice_text(app: Application, kind: str) -> str:
    import subprocess

    from jiuzhu.registry.storage import read_bytes

    data = read_bytes(app.notices.get(kind=kind).document.storage_name)
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@pytest.mark.parametrize(
    ("amount_yuan", "code"),
    [(12000, "deliberation_not_above_band"), (24001, "deliberation_above_ceiling")],
)
def test_a_special_deliberation_stays_between_the_band_and_its_ceiling(world, signed_intake, amount_yuan, code):
    """issue 14 item 2 (STD-6 适度提高): above the ordinary band (12,000 元) and not above the
    一事一议 ceiling (2 × the band = 24,000 元); otherwise nothing is written."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    actions.escalate(app, by=world.user(APPROVER), reason="家庭困难特别严重")
    with pytest.raises(InvalidInput) as exc:
        deliberate(world, app, amount_yuan=amount_yuan)
    assert exc.value.code == code and exc.value.field == "decided_amount_fen"
    app.refresh_from_db()
    assert app.facts["temporary"]["approval_level"] == "county"
    assert not hasattr(app, "special_deliberation") or app.special_deliberation is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"participants": ["李局长", "王科长"]}, "participants"),
        ({"minutes": " "}, "minutes"),
        ({"hardship": ""}, "hardship"),
        ({"signature": None}, "signature"),
        ({"held_on": dt.date.today() + dt.timedelta(days=1)}, "held_on"),
    ],
)
def test_a_special_deliberation_needs_its_record(world, signed_intake, overrides, field):
    """issue 14 item 2 (WF-17): at least three participants, the hardship, the minutes, the
    signed sheet, and a date that has come."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    actions.escalate(app, by=world.user(APPROVER), reason="家庭困难特别严重")
    with pytest.raises(InvalidInput) as exc:
        deliberate(world, app, **overrides)
    assert exc.value.field == field


def test_only_the_county_convenes_a_special_deliberation(world, signed_intake):
    """issue 14 item 2: 一事一议 is convened by the county's civil-affairs office."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    actions.escalate(app, by=world.user(APPROVER), reason="家庭困难特别严重")
    with pytest.raises(Forbidden):
        actions.record_special_deliberation(
            app,
            by=world.user(APPROVER),
            held_on=timezone.localdate(),
            participants=["甲", "乙", "丙"],
            hardship="困难",
            minutes="同意",
            decided_amount_fen=2000000,
            signature=actions.SignatureIn(0, png(12), "scan"),
        )


def test_without_a_special_deliberation_the_county_cannot_exceed_its_limit(world, signed_intake):
    """issue 14 item 2: the county's own limit (15,000 元) is a rules parameter too; above it
    the county is told to hold 一事一议."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    actions.escalate(app, by=world.user(APPROVER), reason="家庭困难特别严重")
    lower_county_limit(world, 1000000)
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=world.user(COUNTY))
    assert exc.value.code == "needs_higher_approval" and "一事一议" in exc.value.message


def test_in_the_national_preset_the_county_holds_special_deliberation_after_the_publicity(world, signed_intake):
    """issue 14 item 2 (STD-6, WF-17, 民发〔2021〕57号 preset): the town proposes, the proposal is
    published, and the county — whose own limit the rules amount exceeds — records 一事一议 and
    approves the decided amount."""
    use("national")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    county = world.user(COUNTY)
    lower_county_limit(world, 1000000)
    config = config_for("370405")
    assert "escalate" not in {t.name for t in workflow.allowed(app, config, world.user(APPROVER))}
    actions.propose(app, by=world.user(APPROVER), note="初审符合条件，金额超过县级审批限额")
    app = end_publicity(app)
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=county)
    assert exc.value.code == "needs_higher_approval"
    assert "special_deliberation" in {t.name for t in workflow.allowed(app, config, county)}
    deliberate(world, app, amount_yuan=15000)
    app.refresh_from_db()
    assert app.state == "publicizing"
    actions.approve(app, by=county)
    app.refresh_from_db()
    assert app.state == "approved" and app.amount_fen == 1500000
    assert app.notices.filter(kind="approval").exists()


def lower_county_limit(world: Any, fen: int) -> None:
    from jiuzhu.programs.actions import confirm_change, propose_change

    change = propose_change(
        by=world.user("tez_county"),
        name="temporary.cap.county",
        area_code="370405",
        valid_from=dt.date(2026, 1, 1),
        value=fen,
        reason="县级审批限额调整",
        source="台儿庄区临时救助实施细则（测试）",
    )
    confirm_change(change, by=world.user("tez_admin"))


def test_the_special_deliberation_through_the_api(world, signed_intake, api_of):
    """issue 14 item 2 (STD-6, WF-17): a system escalates and records 一事一议; bad input is a
    422 naming the field; the case then shows the record."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    town, county = api_of(APPROVER), api_of(COUNTY)
    r = town.post(
        f"/api/v1/applications/{app.id}/actions/escalate",
        json.dumps({"reason": "家庭困难特别严重"}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["state"] == "county_review", r.content
    body = {
        "held_on": timezone.localdate().isoformat(),
        "participants": ["李局长", "王科长", "赵主任"],
        "hardship": "户主尿毒症长期透析",
        "minutes": "同意提高至2万元",
        "decided_amount_fen": 2000000,
        "signature": {"image_base64": png_b64(12), "method": "pad"},
    }
    url = f"/api/v1/applications/{app.id}/special-deliberation"
    bad = county.post(url, json.dumps({**body, "decided_amount_fen": 100000}), content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "decided_amount_fen"
    assert town.post(url, json.dumps(body), content_type="application/json").status_code == 403
    made = county.post(url, json.dumps(body), content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["decided_amount_fen"] == 2000000 and made.json()["participants"] == body["participants"]
    again = county.post(url, json.dumps(body), content_type="application/json")
    assert again.status_code == 409
    got = county.get(url)
    assert got.status_code == 200 and got.json()["ceiling_fen"] == 2400000
    case = county.get(f"/api/v1/applications/{app.id}").json()
    assert case["special_deliberation"]["decided_amount_fen"] == 2000000
    approved = county.post(f"/api/v1/applications/{app.id}/actions/approve", "{}", content_type="application/json")
    assert approved.status_code == 200 and approved.json()["amount_fen"] == 2000000


def test_the_special_deliberation_page_records_it(world, signed_intake, client_of):
    """issue 14 item 2: the county officer fills the 一事一议 form on the case; errors come back
    on the form in Chinese."""
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=40000)
    actions.escalate(app, by=world.user(APPROVER), reason="家庭困难特别严重")
    c = client_of(COUNTY)
    url = f"/applications/{app.id}/special-deliberation/"
    assert client_of(APPROVER).get(url).status_code == 403
    page = c.get(url)
    assert page.status_code == 200 and "12,000.00元" in page.content.decode() and "24,000.00元" in page.content.decode()
    form = {
        "held_on": timezone.localdate().isoformat(),
        "participants": "李局长\n王科长\n赵主任",
        "hardship": "户主尿毒症长期透析",
        "minutes": "同意提高至2万元",
        "decided_amount_yuan": "9000",
        "sig_signature": png_b64(12),
    }
    r = c.post(url, form)
    assert r.status_code == 200 and "高于" in r.content.decode()
    r = c.post(url, {**form, "decided_amount_yuan": "20000"})
    assert r.status_code == 302
    app.refresh_from_db()
    assert app.special_deliberation.decided_amount_fen == 2000000
    seen = client_of(APPROVER).get(url)
    assert seen.status_code == 200 and "李局长、王科长、赵主任" in seen.content.decode()
    assert 'name="minutes"' not in seen.content.decode()


# ---- item 4: mutually exclusive benefits ----------------------------------------------------------


def elder_alone(household_in: Any, **kwargs: Any) -> Any:
    """One woman of 72 with no income and no supporter: she meets both 低保 and 特困."""
    from jiuzhu.core.idnumber import make_id_number

    return household_in(
        members=[
            {"name": "王淑兰", "id_number": make_id_number("370405", dt.date(1954, 3, 8), 24, "F"), "relation": "self"}
        ],
        **kwargs,
    )


def test_screening_ticks_tekun_not_both(client_of, household_in):
    """issue 14 item 4 (INT-4, PRG-5, PRG-6): 智能研判 finds both; 特困 excludes 低保 for the same
    person, so only 特困 is pre-ticked and the screen says why."""
    h = elder_alone(household_in)
    page = client_of(CLERK).get(f"/applications/new/?household={h.id}")
    form = page.context["form"]
    assert form.initial["programs"] == ["tekun"]
    text = page.content.decode()
    assert "特困人员不再享受最低生活保障" in text


def test_the_eligibility_answer_names_the_exclusion(api_of, household_in):
    """issue 14 item 4: the 救助测算 API says which program the other excludes."""
    r = api_of(CLERK).post(
        "/api/v1/eligibility/evaluate",
        json.dumps(
            {
                "area_code": "370405101001",
                "date": "2026-11-02",
                "programs": ["dibao", "tekun"],
                "household": {"urban": True, "members": [{"age": 72}]},
            }
        ),
        content_type="application/json",
    )
    out = r.json()
    assert out["tekun"]["eligible"] and out["dibao"]["eligible"]
    assert out["dibao"]["excluded_by"] == "tekun" and "特困" in out["dibao"]["exclusion"]
    assert out["tekun"]["excluded_by"] == ""


def test_intake_refuses_dibao_and_tekun_together(world, signed_intake, household_in):
    """issue 14 item 4: one intake cannot ask for both for the same people; nothing is written."""
    h = elder_alone(household_in)
    with pytest.raises(InvalidInput) as exc:
        signed_intake(programs=("dibao", "tekun"), household=h)
    assert exc.value.code == "exclusive_programs" and exc.value.field == "programs"
    assert "特困" in exc.value.message and "低保" in exc.value.message
    assert not Application.objects.filter(household=h).exists()


def test_intake_refuses_dibao_for_a_person_receiving_tekun(world, signed_intake, household_in):
    """issue 14 item 4 (REG-2): the recipients' register says she is 特困; 低保 is refused at the
    window with her name and the record's source."""
    h = elder_alone(household_in)
    receiving(h, "tekun")
    with pytest.raises(DomainError) as exc:
        signed_intake(programs=("dibao",), household=h)
    assert exc.value.code == "exclusive_benefit" and "王淑兰" in exc.value.message
    assert "特困人员救助供养" in exc.value.message


def receiving(household: Any, catalog_code: str, name: str = "特困人员救助供养") -> None:
    from jiuzhu.referrals.models import AssistanceRecord

    person = household.members.get(relation="self")
    AssistanceRecord.objects.create(
        person=person,
        household=household,
        id_number_index=person.id_number_index,
        id_number_masked=person.id_number_masked,
        name=person.name,
        program_code=catalog_code,
        program_name=name,
        department_code="minzheng",
        start_on=dt.date(2025, 1, 1),
        amount_fen=120000,
        period="monthly",
        source="application",
        source_ref="SQ370405-2025-000001",
        area_code=household.area_id,
        county_code=household.county_code,
    )


def test_approval_refuses_dibao_once_tekun_is_granted(world, signed_intake, household_in):
    """issue 14 item 4: 低保 was applied for first; 特困 is granted meanwhile, so the 低保
    approval is refused with a clear message and no decision is recorded."""
    use("devolved")
    h = elder_alone(household_in)
    app = signed_intake(programs=("dibao",), household=h).applications.get()
    visit = walk.Visit(housing="旧房一间", living_conditions="独居", labour="无劳动能力", health="慢性病")
    walk.to_review(app, by=world.user(CLERK), verifier=world.user("tez_hecha"), visit=visit)
    receiving(h, "tekun")
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=world.user(APPROVER))
    assert exc.value.code == "exclusive_benefit" and "特困" in exc.value.message
    app.refresh_from_db()
    assert app.state == "reviewing" and not app.decision


def test_a_rural_household_cannot_be_taken_in_as_urban(world, api_of):
    """issue 14 item 4 (PRG-5): 城市/农村 follows the household's 户籍/area (北洛村 is rural); the
    API's facts cannot turn it urban."""
    h = rural_household(world)
    head = h.members.get(relation="self")
    r = api_of(CLERK).post(
        "/api/v1/applications",
        json.dumps(
            {
                "household_id": h.id,
                "programs": ["dibao"],
                "facts": {"urban": True, "members": [{"age": 45, "relation": "self"}]},
                "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "facts.urban"
    assert "农村" in r.json()["message"]


def rural_household(world: Any) -> Any:
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.registry.actions import create_household

    return create_household(
        by=SystemActor(),
        area_code="370405101201",
        address="北洛村8号",
        members=[
            {"name": "刘建国", "id_number": make_id_number("370405", dt.date(1980, 5, 5), 31, "M"), "relation": "self"}
        ],
    )


def test_the_register_records_rural_dibao_for_a_rural_household(world, signed_intake):
    """issue 14 item 4 (REG-2): the recipients' register follows the household, not the case's
    copy of the facts."""
    from jiuzhu.referrals.records import record_application

    h = rural_household(world)
    app = signed_intake(programs=("dibao",), household=h).applications.get()
    Application.objects.filter(pk=app.pk).update(urban=True, amount_fen=50000)  # a stale or wrong copy
    app.refresh_from_db()
    record_application(app)
    assert list(h.assistance_records.values_list("program_code", flat=True)) == ["dibao_rural"]


# ---- item 12: time -------------------------------------------------------------------------------


def test_the_emergency_clock_runs_in_hours(world, signed_intake):
    """issue 14 item 12 (WF-5, PRG-7; seed 004 24小时内先行救助): taken in at 22:00, the 先行救助
    is due at 22:00 the next day — overdue at 23:00 that day, not two days later."""
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 11, 24, 22, 0, tzinfo=tz), tick=False):
        app = signed_intake(
            programs=("temporary",),
            temporary_kind="emergency",
            emergency_event="fire",
            documents_provided=["急难事由说明"],
        ).applications.get()
        step = CaseDeadline.objects.get(application=app, step="advance")
        assert step.due_at == dt.datetime(2026, 11, 25, 22, 0, tzinfo=tz) and step.hours == 24
        assert step.label == "24小时内先行救助"
    with time_machine.travel(dt.datetime(2026, 11, 25, 21, 0, tzinfo=tz), tick=False):
        assert not CaseDeadline.objects.filter(pk=step.pk).overdue().exists()
        assert CaseDeadline.objects.filter(pk=step.pk).due_soon(3).exists()
    with time_machine.travel(dt.datetime(2026, 11, 25, 23, 0, tzinfo=tz), tick=False):
        assert CaseDeadline.objects.filter(pk=step.pk).overdue().exists()
        assert not CaseDeadline.objects.filter(pk=step.pk).due_soon(3).exists()


def test_the_emergency_clock_is_shown_in_hours(world, signed_intake, client_of, api_of):
    """issue 14 item 12: the case page and the API show the hour the 先行救助 is due."""
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 11, 24, 9, 30, tzinfo=tz), tick=False):
        app = signed_intake(
            programs=("temporary",),
            temporary_kind="emergency",
            emergency_event="fire",
            documents_provided=["急难事由说明"],
        ).applications.get()
        page = client_of(CLERK).get(f"/applications/{app.id}/").content.decode()
        assert "2026-11-25 09:30" in page and "剩余24小时" in page
        out = api_of(CLERK).get(f"/api/v1/applications/{app.id}").json()
    advance = next(d for d in out["deadlines"] if d["step"] == "advance")
    due_at = dt.datetime.fromisoformat(advance["due_at"].replace("Z", "+00:00"))
    assert advance["hours"] == 24 and due_at == dt.datetime(2026, 11, 25, 9, 30, tzinfo=tz)


def test_meeting_the_emergency_clock_records_the_hour(world, signed_intake):
    """issue 14 item 12: the 先行救助 records when it was paid, to the minute."""
    from jiuzhu.funds import actions as funds

    fund = funds.open_reserve(by=world.user("tez_county"), town_code="370405101")
    funds.top_up_reserve(fund, by=world.user("tez_county"), amount_fen=5_000_000)
    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 11, 24, 22, 0, tzinfo=tz), tick=False):
        app = signed_intake(
            programs=("temporary",),
            temporary_kind="emergency",
            emergency_event="fire",
            documents_provided=["急难事由说明"],
        ).applications.get()
    with time_machine.travel(dt.datetime(2026, 11, 25, 6, 15, tzinfo=tz), tick=False):
        actions.advance_pay(app, by=world.user(CLERK), amount_fen=100000)
    step = CaseDeadline.objects.get(application=app, step="advance")
    assert step.met_at == dt.datetime(2026, 11, 25, 6, 15, tzinfo=tz) and step.met_on == dt.date(2026, 11, 25)
    # the family's 先行救助登记表 writes the hour as a document does
    assert "已于2026年11月25日6时15分先行救助1,000.00元" in notice_text(app, "advance").replace("\n", "")


def publicizing_case(world: Any, signed_intake: Any) -> Application:
    use("devolved")
    app = signed_intake().applications.get()
    visit = walk.Visit(housing="砖房", living_conditions="困难", labour="务农", health="健康")
    walk.to_review(app, by=world.user(CLERK), verifier=world.user("tez_hecha"), visit=visit)
    actions.approve(app, by=world.user(APPROVER))
    app.refresh_from_db()
    return app


def test_an_objection_dated_tomorrow_is_refused(world, signed_intake, api_of):
    """issue 14 item 12 (WF-8): an objection cannot have been received in the future."""
    app = publicizing_case(world, signed_intake)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as exc:
        actions.object_(app, by=world.user(CLERK), raised_by="村民张某", content="收入不实", received_on=tomorrow)
    assert exc.value.field == "received_on" and "不能晚于今天" in exc.value.message
    r = api_of(CLERK).post(
        f"/api/v1/applications/{app.id}/actions/object",
        json.dumps({"raised_by": "村民张某", "content": "收入不实", "received_on": tomorrow.isoformat()}),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "received_on"
    app.refresh_from_db()
    assert app.state == "publicizing" and not app.objections.exists()


def test_the_case_page_refuses_a_future_objection_in_chinese(world, signed_intake, client_of):
    """issue 14 item 12 (WF-8): the page's form sends dates as text; a future or malformed date
    comes back as a Chinese message, never a 500, and nothing is recorded."""
    app = publicizing_case(world, signed_intake)
    c = client_of(CLERK)
    url = f"/applications/{app.id}/actions/object/"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    for raw, words in ((tomorrow, "异议收到日期不能晚于今天"), ("2026-13-40", "格式不正确")):
        r = c.post(url, {"raised_by": "村民张某", "content": "收入不实", "received_on": raw}, follow=True)
        assert r.status_code == 200 and words in r.content.decode()
    app.refresh_from_db()
    assert app.state == "publicizing" and not app.objections.exists()


def test_a_refused_objection_keeps_what_the_clerk_typed(world, signed_intake, client_of):
    """Bad input loses nothing (WF-8): the 异议 form refused for its date comes back with the
    objector, the contact, the date and the content as typed, and the reason beside it."""
    app = publicizing_case(world, signed_intake)
    url = f"/applications/{app.id}/actions/object/"
    typed = {"raised_by": "村民张某", "contact": "13800000000", "received_on": "2026-13-40", "content": "收入不实"}
    r = client_of(CLERK).post(url, typed)
    assert r.status_code == 200
    form = r.content.decode().split(f'action="{url}"')[1].split("</form>")[0]
    assert 'data-testid="action-error"' in form and "格式不正确" in form
    for name in ("raised_by", "contact", "received_on"):
        assert f'name="{name}" required' in form or f'name="{name}"' in form
        assert f'value="{typed[name]}"' in form
    assert ">收入不实</textarea>" in form
    app.refresh_from_db()
    assert app.state == "publicizing" and not app.objections.exists()


def test_an_objection_before_the_publicity_is_refused(world, signed_intake):
    """issue 14 item 12 (WF-8): an objection to a 公示 is received during or after it."""
    app = publicizing_case(world, signed_intake)
    with pytest.raises(InvalidInput) as exc:
        actions.object_(
            app,
            by=world.user(CLERK),
            raised_by="村民张某",
            content="收入不实",
            received_on=app.publicity_start - dt.timedelta(days=1),
        )
    assert exc.value.field == "received_on" and "公示" in exc.value.message


def test_a_deliberation_dated_in_the_future_or_before_the_objection_is_refused(world, signed_intake):
    """issue 14 item 12 (WF-8, WF-17): 民主评议 is held after the objection and not in the future."""
    app = publicizing_case(world, signed_intake)
    today = timezone.localdate()
    actions.object_(app, by=world.user(CLERK), raised_by="村民张某", content="收入不实", received_on=today)
    app.refresh_from_db()
    for held_on, words in ((today + dt.timedelta(days=1), "不能晚于今天"), (today - dt.timedelta(days=1), "异议")):
        with pytest.raises(InvalidInput) as exc:
            actions.record_deliberation(
                app,
                by=world.user(CLERK),
                held_on=held_on,
                participants="镇村干部、村民代表共9人",
                minutes="维持",
                votes_for=8,
                votes_against=1,
                outcome="uphold",
            )
        assert exc.value.field == "held_on" and words in exc.value.message
    app.refresh_from_db()
    assert app.state == "deliberating" and not app.deliberations.exists()


def test_the_review_cycle_uses_the_exact_age(world, signed_intake, household_in):
    """issue 14 item 12 (DYN-4): a man born 20 December 1966 is 59 on 3 December 2026 — not yet
    elderly — so his household is reviewed every 6 months, not yearly."""
    from jiuzhu.core.idnumber import make_id_number

    tz = timezone.get_current_timezone()
    with time_machine.travel(dt.datetime(2026, 12, 3, 10, 0, tzinfo=tz), tick=False):
        h = household_in(
            members=[
                {
                    "name": "孙德胜",
                    "id_number": make_id_number("370405", dt.date(1966, 12, 20), 40, "M"),
                    "relation": "self",
                }
            ]
        )
        app = publicizing_case(world, lambda **kw: signed_intake(household=h, **kw))
    assert app.review_cycle_months == 6
