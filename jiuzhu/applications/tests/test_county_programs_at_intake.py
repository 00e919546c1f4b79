"""Intake reads the county's program catalog (issue 16 item 3): a program the county does not
run is refused, and the 一次性告知 lists the county's materials without the abolished proofs
(PRG-2, INT-16, INT-18)."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from jiuzhu.applications import actions
from jiuzhu.applications.models import Application
from jiuzhu.core.errors import InvalidInput
from jiuzhu.programs import actions as program_actions
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.web.demo import DEMO_ABOLISHED_PROOF

pytestmark = pytest.mark.django_db


def stop_running(world: Any, code: str) -> None:
    program_actions.set_county_program(
        AssistanceProgram.objects.get(code=code), by=world.user("tez_county"), county_code="370405", is_active=False
    )


def test_it_refuses_a_program_the_county_does_not_run(world: Any, signed_intake: Any) -> None:
    """PRG-2: 刚性支出困难家庭 stopped in 台儿庄区 → refused with a clear message, nothing saved."""
    stop_running(world, "rigid_expense")
    with pytest.raises(InvalidInput) as exc:
        signed_intake(programs=("rigid_expense",))
    assert exc.value.code == "program_not_run" and exc.value.field == "programs[0]"
    assert "本县（市、区）未开展“刚性支出困难家庭" in exc.value.message
    assert not Application.objects.filter(program="rigid_expense").exists()


def test_it_refuses_the_kind_of_temporary_assistance_the_county_does_not_run(world: Any, signed_intake: Any) -> None:
    """PRG-2: 临时救助（急难型） stopped while 支出型 still runs."""
    stop_running(world, "temporary_emergency")
    with pytest.raises(InvalidInput) as exc:
        signed_intake(programs=("temporary",), temporary_kind="emergency", emergency_event="fire")
    assert exc.value.code == "program_not_run" and "急难型" in exc.value.message


def test_the_api_answers_422_for_a_program_the_county_does_not_run(world: Any, api_of: Any, household_in: Any) -> None:
    from jiuzhu.registry.pii import unseal

    stop_running(world, "rigid_expense")
    h = household_in("张山子镇")
    body = {
        "id_number": unseal("id_number", h.members.get(relation="self").id_number_enc),
        "programs": ["rigid_expense"],
    }
    r = api_of("tez_zhangshanzi").post("/api/v1/applications", json.dumps(body), content_type="application/json")
    assert r.status_code == 422 and r.json()["code"] == "program_not_run"


def test_the_checklist_lists_the_countys_materials_and_marks_abolished_proofs(world: Any, household_in: Any) -> None:
    """INT-16, INT-18: the printed 一次性告知书 gives the county's list; an abolished proof is
    named only as 已取消，无需提供 with its document number."""
    h = household_in("张山子镇")
    result = actions.intake(
        actions.IntakeRequest(household=h, applicant=h.members.get(relation="self"), programs=["dibao"]),
        by=world.user("tez_zhangshanzi"),
    )
    from jiuzhu.registry.storage import read_bytes

    notice = result.applications.get().notices.get(kind="checklist")
    pdf = read_bytes(notice.document.storage_name)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    assert "申请材料（本县清单" in flat and "居民身份证" in flat
    assert "已取消，无需提供" in flat and DEMO_ABOLISHED_PROOF["document"] in flat


def test_returning_for_an_abolished_proof_is_refused(world: Any, signed_intake: Any) -> None:
    """INT-18: a clerk may not ask for a proof the county abolished."""
    app = signed_intake().applications.get()
    with pytest.raises(InvalidInput) as exc:
        actions.return_for_documents(app, by=world.user("tez_zhangshanzi"), items=[DEMO_ABOLISHED_PROOF["name"]])
    assert exc.value.code == "abolished_proof" and DEMO_ABOLISHED_PROOF["document"] in exc.value.message


def test_the_intake_page_shows_the_countys_materials(world: Any, client_of: Any, household_in: Any) -> None:
    """INT-16: the clerk sees the county's list, the abolished proofs marked, not asked for."""
    h = household_in("张山子镇")
    html = client_of("tez_zhangshanzi").get(f"/applications/new/?household={h.pk}").content.decode()
    assert 'data-testid="county-materials"' in html
    assert "已取消，无需提供" in html and DEMO_ABOLISHED_PROOF["document"] in html


def test_the_intake_page_does_not_preselect_a_program_the_county_does_not_run(
    world: Any, client_of: Any, household_in: Any
) -> None:
    """PRG-2: 救助测算 may find the family eligible, but a program not run is not preselected."""
    h = household_in("张山子镇")
    c = client_of("tez_zhangshanzi")
    before = c.get(f"/applications/new/?household={h.pk}").context["form"].initial["programs"]
    assert "dibao" in before  # the test family has no income: eligible for 低保
    stop_running(world, "dibao_urban")
    stop_running(world, "dibao_rural")
    after = c.get(f"/applications/new/?household={h.pk}").context["form"].initial["programs"]
    assert "dibao" not in after
