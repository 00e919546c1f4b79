"""办理流程调整 (issue 16 item 2): a county changes who may take a step of the workflow table
within safe bounds, two persons, after a dry run over its open cases (WF-2, WF-3, WF-7, GOV-5,
GOV-17)."""

import datetime as dt

import pytest
from django.utils import timezone

from jiuzhu.applications import actions, workflow
from jiuzhu.applications.actions.workflow_changes import (
    confirm_workflow_change,
    propose_workflow_change,
    reject_workflow_change,
)
from jiuzhu.applications.config import config_for
from jiuzhu.applications.models import Application, WorkflowChange
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.applications.workflow_dryrun import dry_run
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput

pytestmark = pytest.mark.django_db

DEVOLVED_START = {"transition": "start_investigation", "sources": ["accepted"], "preset": "devolved"}
NATIONAL_DELIBERATION = {"transition": "record_deliberation", "sources": ["deliberating"], "preset": "national"}
NATIONAL_REINVESTIGATE = {
    "transition": "reinvestigate",
    "sources": ["reviewing", "publicizing", "deliberating", "decision_pending"],
    "preset": "national",
}


def propose(world, who=(), by="tez_county", area_code="370405", **row):
    row = row or DEVOLVED_START
    return propose_workflow_change(
        by=world.user(by),
        area_code=area_code,
        who=list(who),
        valid_from=timezone.localdate(),
        source="台民发〔2026〕8号《关于调整社会救助办理环节的通知》",
        reason="入户调查由镇审批人员统一安排",
        **row,
    )


def test_it_refuses_a_decision_by_the_intake_clerk_alone(world):
    """WF-7: 审核确认 is never by the 受理经办 alone (nor with an approver beside)."""
    for who in (["window@town"], ["window@town", "approver@town"], ["village@village"]):
        with pytest.raises(InvalidInput) as exc:
            propose(world, who, transition="approve", sources=["reviewing"], preset="devolved")
        assert exc.value.code == "clerk_cannot_decide" and exc.value.field == "who"
        assert "“批准并在村（居）公示结果”是审批决定" in exc.value.message
    assert not WorkflowChange.objects.exists()


def test_it_refuses_a_step_without_a_role_or_with_a_role_that_cannot_hold_the_level(world):
    """GOV-5: every role@level is a real role at a level it can hold; no step without a role."""
    with pytest.raises(InvalidInput) as exc:
        propose(world, [])
    assert exc.value.code == "no_role" and "“开始入户调查与核对”至少须有一个可操作岗位" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        propose(world, ["window@county"])
    assert exc.value.code == "invalid_level" and "窗口经办岗位只设在镇（街道）" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        propose(world, ["clerk@town"])
    assert exc.value.code == "unknown_role" and exc.value.field == "who"
    assert not WorkflowChange.objects.exists()


def test_it_refuses_to_leave_out_a_required_step(world):
    """WF-2: only an optional step of the preset may be left out."""
    with pytest.raises(InvalidInput) as exc:
        propose(world, enabled=False, transition="record_deliberation", sources=["deliberating"], preset="devolved")
    assert exc.value.code == "required_step" and exc.value.field == "enabled"
    assert "“录入民主评议”是" in exc.value.message and "必经环节" in exc.value.message


def test_it_refuses_a_change_that_strands_a_state(world):
    """WF-2, WF-3: with 民主评议's record left out, 重新调查 is the only way on from 民主评议中;
    leaving it out too would strand the state — refused, nothing saved."""
    first = propose(world, enabled=False, **NATIONAL_DELIBERATION)
    confirm_workflow_change(first, by=world.user("tez_admin"))
    with pytest.raises(DomainError) as exc:
        propose(world, enabled=False, **NATIONAL_REINVESTIGATE)
    assert exc.value.code == "stranded_state"
    assert "调整“重新调查”后" in exc.value.message and "“民主评议中”状态的案件将无人能够继续办理" in exc.value.message
    assert WorkflowChange.objects.count() == 1


def test_it_checks_the_bounds_again_on_confirmation(world):
    """GOV-17: two proposals, each safe alone, strand a state together: the second is refused
    on confirmation and stays a proposal."""
    a = propose(world, enabled=False, **NATIONAL_DELIBERATION)
    b = propose(world, enabled=False, **NATIONAL_REINVESTIGATE)
    confirm_workflow_change(a, by=world.user("tez_admin"))
    with pytest.raises(DomainError) as exc:
        confirm_workflow_change(b, by=world.user("tez_admin"))
    assert exc.value.code == "stranded_state"
    b.refresh_from_db()
    assert b.status == "proposed" and b.decided_by is None


def test_it_needs_a_second_person_to_confirm(world):
    """GOV-17: the proposer may not confirm; confirmation and rejection are audited."""
    change = propose(world, ["approver@town"])
    with pytest.raises(DomainError) as exc:
        confirm_workflow_change(change, by=world.user("tez_county"))
    assert exc.value.code == "two_person_rule"
    with pytest.raises(InvalidInput):
        reject_workflow_change(change, by=world.user("tez_admin"), note="")
    with pytest.raises(Forbidden):
        confirm_workflow_change(change, by=world.user("tez_zhangshanzi"))
    confirm_workflow_change(change, by=world.user("tez_admin"))
    actions_ = set(AuditEntry.objects.filter(object_id=str(change.pk)).values_list("action", flat=True))
    assert {"applications.workflow.propose", "applications.workflow.confirm"} <= actions_


def test_it_refuses_a_backdated_change(world):
    with pytest.raises(InvalidInput) as exc:
        propose_workflow_change(
            by=world.user("tez_county"),
            area_code="370405",
            who=["approver@town"],
            valid_from=timezone.localdate() - dt.timedelta(days=1),
            source="文件",
            reason="理由",
            **DEVOLVED_START,
        )
    assert exc.value.field == "valid_from"


def test_a_confirmed_change_governs_check_in_that_county_only(world, signed_intake):
    """GOV-5, WF-3: once 开始入户调查 belongs to the town approver, the clerk's button goes and
    the action refuses him; another county keeps the code table."""
    use_preset("devolved")
    app = signed_intake().applications.get()
    clerk, approver = world.user("tez_zhangshanzi"), world.user("tez_zhangshanzi_sp")
    assert "start_investigation" in {t.name for t in workflow.allowed(app, config_for("370405"), clerk)}
    change = propose(world, ["approver@town"])
    assert "start_investigation" in {t.name for t in workflow.allowed(app, config_for("370405"), clerk)}
    confirm_workflow_change(change, by=world.user("tez_admin"))
    assert "start_investigation" not in {t.name for t in workflow.allowed(app, config_for("370405"), clerk)}
    with pytest.raises(Forbidden) as exc:
        actions.start_investigation(app, by=clerk)
    assert "镇（街道）审批人员" in exc.value.message
    actions.start_investigation(app, by=approver)
    assert Application.objects.get(pk=app.pk).state == "investigating"
    today = timezone.localdate()
    here = next(t for t in workflow.effective_table("370405", today, "devolved") if t.name == "start_investigation")
    there = next(t for t in workflow.effective_table("370481", today, "devolved") if t.name == "start_investigation")
    assert here.who == ("approver@town",) and here.change_id == change.pk
    assert there.who == ("window@town",) and there.change_id is None


def test_a_change_dated_later_applies_from_its_date(world):
    change = propose_workflow_change(
        by=world.user("tez_county"),
        area_code="370405",
        who=["approver@town"],
        valid_from=timezone.localdate() + dt.timedelta(days=10),
        source="台民发〔2026〕8号",
        reason="理由",
        **DEVOLVED_START,
    )
    confirm_workflow_change(change, by=world.user("tez_admin"))
    today = timezone.localdate()
    rows = {d: workflow.effective_table("370405", d, "devolved") for d in (today, today + dt.timedelta(days=10))}
    who = {d: next(t.who for t in r if t.name == "start_investigation") for d, r in rows.items()}
    assert who == {today: ("window@town",), today + dt.timedelta(days=10): ("approver@town",)}


def test_the_dry_run_counts_the_open_cases_whose_handlers_lose_the_step(world, signed_intake):
    """GOV-17: before confirming, the reviewer sees per state who may act before and after, and
    which open cases (count and numbers) the clerk could start and no longer can."""
    use_preset("devolved")
    accepted = [signed_intake().applications.get() for _ in range(3)]
    moving = signed_intake().applications.get()
    actions.start_investigation(moving, by=world.user("tez_zhangshanzi"))
    change = propose(world, ["approver@town"])
    result = dry_run(change)
    assert result.open_cases == 4
    assert result.losing.count == 3
    assert result.losing.numbers == sorted(a.number for a in accepted)
    assert result.lost_roles == ["镇窗口经办"]
    assert result.stranded.count == 0 and result.stranded.numbers == []
    by_state = {s.state: s for s in result.states}
    assert by_state["accepted"].open_cases == 3 and by_state["accepted"].changed
    assert "镇（街道）审批人员" in by_state["accepted"].after
    assert by_state["investigating"].open_cases == 1 and not by_state["investigating"].changed


def test_the_dry_run_reads_the_cases_in_a_fixed_number_of_queries(world, signed_intake, django_assert_max_num_queries):
    use_preset("devolved")
    for _ in range(5):
        signed_intake()
    change = propose(world, ["approver@town"])
    with django_assert_max_num_queries(8):
        assert dry_run(change).losing.count == 5


def test_a_step_left_out_is_refused_by_its_name(world, signed_intake):
    """WF-2: under the national preset a county may leave out 录入民主评议; the step then says so."""
    use_preset("national")
    app = signed_intake().applications.get()
    change = propose(world, enabled=False, **NATIONAL_DELIBERATION)
    confirm_workflow_change(change, by=world.user("tez_admin"))
    Application.objects.filter(pk=app.pk).update(state="deliberating")
    app.refresh_from_db()
    names = {t.name for t in workflow.allowed(app, config_for("370405"), world.user("tez_zhangshanzi"))}
    assert "record_deliberation" not in names and "reinvestigate" in names
    with pytest.raises(DomainError) as exc:
        workflow.check(app, "record_deliberation", world.user("tez_zhangshanzi"), config_for("370405"))
    assert exc.value.code == "step_disabled" and "“录入民主评议”" in exc.value.message


def test_the_buttons_read_the_countys_table_once(world, signed_intake, django_assert_max_num_queries):
    """WF-3: one small query for the table per config, none per button or per further call."""
    use_preset("devolved")
    app = signed_intake().applications.get()
    confirm_workflow_change(propose(world, ["approver@town"]), by=world.user("tez_admin"))
    config, approver = config_for("370405"), world.user("tez_zhangshanzi_sp")
    approver.area  # noqa: B018 — the user's area is loaded with the user
    with django_assert_max_num_queries(2):
        workflow.allowed(app, config, approver)
    with django_assert_max_num_queries(0):
        for _ in range(5):
            workflow.allowed(app, config, approver)
        workflow.check(app, "start_investigation", approver, config)
