"""A 低保 case from intake to decision, on both procedure configurations (WF-1 … WF-17,
DOC-*, SUP-6): investigation and verification in parallel, 公示, objection, 民主评议,
decision, notices, referrals."""

import datetime as dt
import json

import pytest

from jiuzhu.applications import actions, walk
from jiuzhu.applications.models import Application
from jiuzhu.applications.tests.support import use_preset
from jiuzhu.core.errors import DomainError

pytestmark = pytest.mark.django_db


def use(preset):
    use_preset(preset)


def investigate_and_verify(world, app, incomes=None):
    facts = dict(app.facts)
    if incomes is not None:
        facts["members"] = [dict(m, incomes=incomes) if i == 0 else m for i, m in enumerate(facts["members"])]
    return walk.to_review(app, by=world.user("tez_zhangshanzi"), verifier=world.user("tez_hecha"), facts=facts)


def end_publicity(app):
    Application.objects.filter(pk=app.pk).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
    app.refresh_from_db()


def test_the_devolved_walk_with_objection_and_deliberation(world, signed_intake):
    """Seed 004: town approves, result published in the village, objection → 民主评议."""
    use("devolved")
    app = signed_intake().applications.get()
    app = investigate_and_verify(world, app, incomes={"wage": 80000})
    approver = world.user("tez_zhangshanzi_sp")
    actions.approve(app, by=approver)
    app.refresh_from_db()
    assert app.state == "publicizing" and app.decision == "approved" and app.amount_fen > 0
    assert app.start_month == (dt.date.today().replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    actions.object_(
        app,
        by=world.user("tez_zhangshanzi"),
        raised_by="村民张某",
        content="其子在外务工有收入",
        received_on=dt.date.today(),
    )
    actions.record_deliberation(
        app,
        by=world.user("tez_zhangshanzi"),
        held_on=dt.date.today(),
        participants="镇村干部、村民代表共9人",
        minutes="核实其子外出务工收入不稳定，维持",
        votes_for=8,
        votes_against=1,
        outcome="uphold",
    )
    actions.approve(app, by=approver)  # 维持批准 on the first day of the 公示: it runs to its end
    app.refresh_from_db()
    assert app.state == "publicizing" and not app.notices.filter(kind="approval").exists()
    end_publicity(app)
    actions.close_publicity(app, by=world.user("tez_zhangshanzi"))
    app.refresh_from_db()
    assert app.state == "approved"
    assert set(app.notices.values_list("kind", flat=True)) >= {"receipt", "approval"}
    assert app.referrals.filter(department__code="yibao").exists()
    assert app.trace["parameters"] and app.trace["rules_version"]


def test_the_devolved_walk_without_objection_closes_after_publicity(world, signed_intake):
    use("devolved")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 80000})
    actions.approve(app, by=world.user("tez_zhangshanzi_sp"))
    app.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        actions.close_publicity(app, by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "publicity_running"
    end_publicity(app)
    actions.close_publicity(app, by=world.user("tez_zhangshanzi"))
    app.refresh_from_db()
    assert app.state == "approved" and app.notices.filter(kind="approval").exists()


def test_the_national_walk_publishes_the_proposal_and_the_county_approves(world, signed_intake):
    use("national")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 80000})
    actions.propose(app, by=world.user("tez_zhangshanzi_sp"), note="初审符合条件")
    app.refresh_from_db()
    assert app.state == "publicizing" and app.proposed_amount_fen and not app.decision
    with pytest.raises(DomainError):
        actions.approve(app, by=world.user("tez_county"))  # 公示期未满
    end_publicity(app)
    actions.approve(app, by=world.user("tez_county"))
    app.refresh_from_db()
    assert app.state == "approved" and app.decided_by.username == "tez_county"


def test_an_ineligible_family_is_rejected_with_reasons_and_a_notice(world, signed_intake):
    use("devolved")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 900000})
    approver = world.user("tez_zhangshanzi_sp")
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=approver)
    assert exc.value.code == "not_eligible"
    actions.reject(app, by=approver, reason_codes=["income_below_standard"], note="经核实家庭收入较高")
    app.refresh_from_db()
    assert app.state == "rejected" and [r["code"] for r in app.rejection_reasons] == ["income_below_standard", "other"]
    notice = app.notices.get(kind="rejection")
    assert app.deadlines.get(step="rejection_notice").met_on == dt.date.today() or notice


def test_a_staff_relative_cannot_be_approved_by_that_staff_member(world, signed_intake):
    use("devolved")
    intake = signed_intake(staff_relative_of=world.user("tez_zhangshanzi_sp"), staff_relative_note="审批人员之兄")
    app = investigate_and_verify(world, intake.applications.get(), incomes={"wage": 80000})
    with pytest.raises(DomainError) as exc:
        actions.approve(app, by=world.user("tez_zhangshanzi_sp"))
    assert exc.value.code == "conflict_of_interest"


def test_two_approvals_at_once_make_one_decision(world, signed_intake, api_of):
    use("devolved")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 80000})
    first = api_of("tez_zhangshanzi_sp").post(
        f"/api/v1/applications/{app.id}/actions/approve", "{}", content_type="application/json"
    )
    second = api_of("tez_zhangshanzi_sp").post(
        f"/api/v1/applications/{app.id}/actions/approve", "{}", content_type="application/json"
    )
    assert first.status_code == 200
    assert second.status_code == 409 and "结果公示中" in second.json()["message"]


def test_the_whole_walk_through_the_api(world, api_of, household_in):
    """Done-when: all of it through the API (intake with an ID card only, actions, dossier)."""
    from jiuzhu.registry.pii import unseal

    from .conftest import png_b64

    use("devolved")
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    adults = [p for p in h.members.all() if p.age >= 18]
    clerk, approver, hecha = api_of("tez_zhangshanzi"), api_of("tez_zhangshanzi_sp"), api_of("tez_hecha")

    def act(client, app_id, name, body=None):
        r = client.post(
            f"/api/v1/applications/{app_id}/actions/{name}", json.dumps(body or {}), content_type="application/json"
        )
        assert r.status_code == 200, (name, r.content.decode())
        return r.json()

    r = clerk.post(
        "/api/v1/applications",
        json.dumps(
            {
                "id_number": unseal("id_number", head.id_number_enc),
                "programs": ["dibao"],
                "authorizations": [{"person_id": p.id, "image_base64": png_b64(3 + i)} for i, p in enumerate(adults)],
                "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
            }
        ),
        content_type="application/json",
    )
    app_id = r.json()["applications"][0]["id"]
    act(clerk, app_id, "start_investigation")
    act(
        clerk,
        app_id,
        "record_investigation",
        {
            "visited_on": dt.date.today().isoformat(),
            "investigators": "王明、李红",
            "housing": "砖房",
            "living_conditions": "困难",
            "labour": "务农",
            "health": "健康",
        },
    )
    v = hecha.post("/api/v1/verifications", json.dumps({"application_id": app_id}), content_type="application/json")
    assert v.status_code in (200, 201), v.content.decode()
    act(clerk, app_id, "submit_review")
    out = act(approver, app_id, "approve")
    assert out["state"] == "publicizing"
    Application.objects.filter(pk=app_id).update(publicity_end=dt.date.today() - dt.timedelta(days=1))
    out = act(clerk, app_id, "close_publicity")
    assert out["state"] == "approved" and any(n["kind"] == "approval" for n in out["notices"])
    dossier = clerk.get(f"/api/v1/applications/{app_id}/dossier")
    assert dossier.status_code == 200 and dossier["Content-Type"] == "application/zip"


def test_the_dossier_holds_the_verification_report(world, signed_intake, client_of):
    import io
    import zipfile

    use("devolved")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 80000})
    r = client_of("tez_zhangshanzi").get(f"/applications/{app.id}/dossier.zip")
    names = zipfile.ZipFile(io.BytesIO(r.content)).namelist()
    assert any("核对报告-HD370405" in n for n in names)
    assert any("入户调查" in n or "受理通知书" in n for n in names)


def test_an_emergency_through_the_api(world, api_of, household_in):
    from jiuzhu.funds import actions as funds

    from .conftest import png_b64

    fund = funds.open_reserve(by=world.user("tez_county"), town_code="370405101")
    funds.top_up_reserve(fund, by=world.user("tez_county"), amount_fen=5_000_000)
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    clerk = api_of("tez_zhangshanzi")
    r = clerk.post(
        "/api/v1/applications",
        json.dumps(
            {
                "household_id": h.id,
                "programs": ["temporary"],
                "temporary_kind": "emergency",
                "emergency_event": "fire",
                "documents_provided": ["急难事由说明"],
                "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
            }
        ),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content.decode()
    app_id = r.json()["applications"][0]["id"]
    assert "advance_pay" in r.json()["applications"][0]["allowed_actions"]
    paid = clerk.post(
        f"/api/v1/applications/{app_id}/actions/advance_pay",
        json.dumps({"amount_fen": 80000}),
        content_type="application/json",
    )
    assert paid.status_code == 200 and paid.json()["state"] == "advance_paid"
    done = clerk.post(f"/api/v1/applications/{app_id}/actions/register_formally", "{}", content_type="application/json")
    assert done.json()["state"] == "approved" and done.json()["amount_fen"] == 80000


def test_the_approver_sees_what_the_decision_would_give_before_deciding(world, signed_intake, client_of):
    """WF (found walking): waiting for the town's approver, the case page showed only the window's
    screening ("受理时测算 约1,100元") while the decision gave 1,640 once the visit had recorded the
    care level. The page now shows 审批测算: eligibility and the amount from the facts after the
    visit and the 核对报告, at today's standards — gone once decided (the 决定 row says it)."""
    use("devolved")
    app = investigate_and_verify(world, signed_intake().applications.get(), incomes={"wage": 80000})
    app.refresh_from_db()
    assert app.state == "reviewing"
    expected = actions.evaluate(app)["monthly_amount_fen"]
    page = client_of("tez_zhangshanzi_sp").get(f"/applications/{app.pk}/").content.decode()
    estimate = page.split('data-testid="estimate">', 1)[1].split("</dd>", 1)[0]
    assert estimate.startswith(f"符合条件，每月{expected / 100:,.2f}元")
    steps = estimate.split('data-testid="estimate-steps"', 1)[1]  # the sum, as the notice will give it
    assert "家庭月计算收入" in steps and "月低保金" in steps and f"{expected / 100:,.2f}元" in steps
    actions.approve(app, by=world.user("tez_zhangshanzi_sp"))
    page = client_of("tez_zhangshanzi_sp").get(f"/applications/{app.pk}/").content.decode()
    assert 'data-testid="estimate"' not in page
