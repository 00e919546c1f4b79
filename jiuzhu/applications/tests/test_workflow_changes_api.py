"""办理流程 through the API and the page (issue 16 item 2; WF-2, WF-3, WF-7, GOV-5, GOV-17)."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from jiuzhu.applications.models import WorkflowChange
from jiuzhu.applications.tests.support import use_preset

pytestmark = pytest.mark.django_db


def body(**overrides):
    data = {
        "area_code": "370405",
        "transition": "start_investigation",
        "sources": ["accepted"],
        "preset": "devolved",
        "who": ["approver@town"],
        "valid_from": timezone.localdate().isoformat(),
        "source": "台民发〔2026〕8号《关于调整社会救助办理环节的通知》",
        "reason": "入户调查由镇审批人员统一安排",
    }
    return {**data, **overrides}


def test_it_lists_the_effective_table_in_chinese(world, api_of):
    """GOV-5: the table in force in a county on a date, with labels."""
    use_preset("devolved")
    r = api_of("tez_county").get("/api/v1/workflow", {"area_code": "370405", "date": "2026-12-01"})
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["preset"] == "devolved" and data["county_code"] == "370405"
    start = next(t for t in data["transitions"] if t["name"] == "start_investigation")
    assert start["who"] == ["window@town"] and start["who_label"] == "镇（街道）窗口经办人员"
    assert start["sources_label"] == "已受理" and start["target_label"] == "调查核对中"


def test_it_hides_another_countys_table(world, api_of):
    r = api_of("tez_county").get("/api/v1/workflow", {"area_code": "370481"})
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_it_proposes_dry_runs_and_confirms_through_the_api(world, api_of, signed_intake):
    """GOV-17: proposer and reviewer are two people; the dry run comes before confirmation."""
    use_preset("devolved")
    app = signed_intake().applications.get()
    r = api_of("tez_county").post("/api/v1/workflow/changes", body(), content_type="application/json")
    assert r.status_code == 201, r.content
    change_id = r.json()["id"]
    assert r.json()["status"] == "proposed"
    run = api_of("tez_admin").get(f"/api/v1/workflow/changes/{change_id}/dry-run").json()
    assert run["losing"] == {"count": 1, "numbers": [app.number], "roles": ["镇窗口经办"]}
    assert run["stranded"]["count"] == 0
    same = api_of("tez_county").post(f"/api/v1/workflow/changes/{change_id}/actions/confirm", {}, "application/json")
    assert same.status_code == 409 and same.json()["code"] == "two_person_rule"
    ok = api_of("tez_admin").post(f"/api/v1/workflow/changes/{change_id}/actions/confirm", {}, "application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    table = api_of("tez_county").get("/api/v1/workflow", {"area_code": "370405"}).json()
    start = next(t for t in table["transitions"] if t["name"] == "start_investigation")
    assert start["who"] == ["approver@town"] and start["change_id"] == change_id


def test_it_answers_bad_input_with_a_precise_chinese_message(world, api_of):
    """WF-7, WF-2: clerk-only approval and a stranding change are 4xx naming the field."""
    client = api_of("tez_county")
    r = client.post(
        "/api/v1/workflow/changes",
        body(transition="approve", sources=["reviewing"], who=["window@town"]),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["code"] == "clerk_cannot_decide" and r.json()["field"] == "who"
    r = client.post("/api/v1/workflow/changes", body(who=["approver@province"]), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "who"
    r = client.post("/api/v1/workflow/changes", body(transition="nothing"), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "transition"
    r = client.post("/api/v1/workflow/changes", body(source=""), content_type="application/json")
    assert r.status_code == 422 and r.json()["field"] == "source"
    r = client.post(
        "/api/v1/workflow/changes",
        body(valid_from=(timezone.localdate() - dt.timedelta(days=3)).isoformat()),
        content_type="application/json",
    )
    assert r.status_code == 422 and r.json()["field"] == "valid_from"
    assert not WorkflowChange.objects.exists()


def test_a_town_clerk_may_not_propose(world, api_of):
    r = api_of("tez_zhangshanzi").post("/api/v1/workflow/changes", body(), content_type="application/json")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_the_page_proposes_shows_the_dry_run_and_a_second_person_confirms(world, client_of, signed_intake):
    """GOV-17: /workflow/ (from 救助标准与设置) → 提交 → 试运行 → 确认生效 by another user."""
    use_preset("devolved")
    app = signed_intake().applications.get()
    officer = client_of("tez_county")
    assert "办理流程" in officer.get("/parameters/").content.decode()
    page = officer.get("/workflow/")
    assert page.status_code == 200
    html = page.content.decode()
    table = html.split('data-testid="workflow-table"')[1].split("</table>")[0]
    assert "开始入户调查与核对" in table and "镇（街道）窗口经办人员" in table and "已受理" in table
    assert not re.search(r">[^<]*[a-z_]{4,}[^<]*<", table), "no code reaches the page"
    bad = officer.post(
        "/workflow/",
        {
            "row": "approve:reviewing:devolved",
            "who": ["window@town"],
            "enabled": "on",
            "valid_from": timezone.localdate().isoformat(),
            "source": "台民发〔2026〕8号",
            "reason": "测试",
        },
    )
    assert bad.status_code == 200 and "受理与审批须由不同人员承担" in bad.content.decode()
    r = officer.post(
        "/workflow/",
        {
            "row": "start_investigation:accepted:devolved",
            "who": ["approver@town"],
            "enabled": "on",
            "valid_from": timezone.localdate().isoformat(),
            "source": "台民发〔2026〕8号",
            "reason": "入户调查由镇审批人员统一安排",
        },
    )
    change = WorkflowChange.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/workflow/changes/{change.pk}/"
    own = officer.get(r["Location"]).content.decode()
    assert "确认生效" not in own and app.number in own
    admin = client_of("tez_admin")
    review = admin.get(r["Location"]).content.decode()
    assert "现办理岗位失去办理权限的 <strong>1</strong> 件" in review and "确认生效" in review
    admin.post(f"/workflow/changes/{change.pk}/confirm/", {"note": ""})
    change.refresh_from_db()
    assert change.status == "confirmed" and change.decided_by == world.user("tez_admin")
    assert "镇（街道）审批人员" in officer.get("/workflow/").content.decode()


def test_the_towns_staff_read_their_countys_table_but_may_not_change_it(world, api_of, client_of):
    """GOV-5: a town clerk follows the county's procedure, so he reads it; the form is not his."""
    r = api_of("tez_zhangshanzi").get("/api/v1/workflow", {"area_code": "370405"})
    assert r.status_code == 200 and r.json()["county_code"] == "370405"
    page = client_of("tez_zhangshanzi").get("/workflow/").content.decode()
    assert 'data-testid="workflow-table"' in page and "提交并试运行" not in page
    assert client_of("tez_zhangshanzi").post("/workflow/", {}).status_code == 403
