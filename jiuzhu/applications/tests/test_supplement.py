"""补充授权/补正材料 and 申请委托 (issue 14 item 7; INT-5, INT-10, VER-2): what the 一次性告知书
asks for can be signed or scanned later on the case, and 帮办代办 records its entrustment."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jiuzhu.applications import actions
from jiuzhu.applications.models import Entrustment
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError
from jiuzhu.verification.models import Authorization

from .conftest import png, png_b64

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def unsigned_intake(world, household_in, **kwargs):
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    intake = actions.intake(
        actions.IntakeRequest(household=h, applicant=head, programs=kwargs.pop("programs", ["dibao"]), **kwargs),
        by=world.user("tez_zhangshanzi"),
    )
    return intake.applications.get()


def adults(app):
    return [p for p in app.household.members.all() if p.age >= 18]


def test_a_missing_authorization_is_signed_later_and_unblocks_verification(world, household_in, api_of):
    app = unsigned_intake(world, household_in)
    clerk = world.user("tez_zhangshanzi")
    with pytest.raises(DomainError) as exc:
        actions.start_investigation(app, by=clerk)
    assert exc.value.code == "authorization_missing"
    names = [m["name"] for m in app.missing_documents]
    assert "诚信承诺书（申请人）" in names and len(names) == len(adults(app)) + 1

    body = {
        "authorizations": [{"person_id": p.pk, "image_base64": png_b64(4 + i)} for i, p in enumerate(adults(app))],
        "commitment": {"person_id": app.applicant_id, "image_base64": png_b64(9), "method": "pad"},
    }
    r = post(api_of("tez_zhangshanzi"), f"/api/v1/applications/{app.pk}/supplement", body)
    assert r.status_code == 200, r.content
    assert r.json()["missing_documents"] == []
    assert Authorization.objects.valid().filter(household=app.household).count() == len(adults(app))
    entry = AuditEntry.objects.get(action="applications.supplement")
    assert len(entry.changes["supplied"]) == len(adults(app)) + 1 and entry.changes["still_missing"] == []
    actions.start_investigation(app, by=clerk)  # 先授权、后核对: now it may start
    app.refresh_from_db()
    assert app.state == "investigating"


def test_bad_supplements_are_refused_and_change_nothing(world, household_in, api_of, signed_intake):
    app = unsigned_intake(world, household_in)
    c = api_of("tez_zhangshanzi")
    url = f"/api/v1/applications/{app.pk}/supplement"
    assert post(c, url, {}).json()["code"] == "required"
    r = post(c, url, {"materials": [{"name": "户口簿", "content_base64": png_b64()[:8] + "QUJD"}]})
    assert r.status_code == 422 and r.json()["code"] in ("invalid_file", "invalid_signature")
    stranger = post(api_of("tez_jiantouji"), url, {"commitment": {"person_id": 1, "image_base64": png_b64()}})
    assert stranger.status_code == 404
    viewer = post(api_of("tez_viewer"), url, {"commitment": {"person_id": 1, "image_base64": png_b64()}})
    assert viewer.status_code == 403
    assert not AuditEntry.objects.filter(action="applications.supplement").exists()
    signed = signed_intake().applications.get()
    twice = post(
        c,
        f"/api/v1/applications/{signed.pk}/supplement",
        {"authorizations": [{"person_id": adults(signed)[0].pk, "image_base64": png_b64(7)}]},
    )
    assert twice.status_code == 422 and twice.json()["code"] == "already_signed"


def test_a_missing_document_is_scanned_on_the_page(world, household_in, client_of):
    app = unsigned_intake(
        world, household_in, programs=["temporary"], temporary_kind="illness", authorizations=[], commitment=None
    )
    assert "医疗费用票据（自付部分）" in [m["name"] for m in app.missing_documents]
    c = client_of("tez_zhangshanzi")
    page = c.get(f"/applications/{app.pk}/supplement/").content.decode()
    assert "医疗费用票据（自付部分）" in page and 'data-testid="sign-commit"' in page
    documents = [m for m in app.missing_documents if not m["name"].startswith(("家庭经济", "诚信"))]
    index = [m["name"] for m in documents].index("医疗费用票据（自付部分）")
    r = c.post(
        f"/applications/{app.pk}/supplement/",
        {
            f"material_{index}": SimpleUploadedFile("票据.pdf", PDF, "application/pdf"),
            "scan_commit": SimpleUploadedFile("承诺书.png", png(6), "image/png"),
        },
    )
    assert r.status_code == 302
    app.refresh_from_db()
    names = [m["name"] for m in app.missing_documents]
    assert "医疗费用票据（自付部分）" not in names and "诚信承诺书（申请人）" not in names
    assert "医疗费用票据（自付部分）" in app.intake.documents_provided
    assert app.household.documents.filter(title="医疗费用票据（自付部分）").exists()
    # The page is not offered to a user who may not supplement.
    assert client_of("tez_viewer").get(f"/applications/{app.pk}/supplement/").status_code == 403


def test_a_village_assistant_applies_only_with_an_entrustment(world, new_id, api_of, client_of):
    """INT-10 帮办代办: the assistant's intake is channel 村（社区）帮办代办 with the 申请委托书."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.registry.actions import create_household
    from jiuzhu.registry.pii import unseal

    h = create_household(
        by=SystemActor(),
        area_code="370405101201",
        address="北洛村9号",
        members=[{"name": "委托甲", "id_number": new_id(age=78, gender="M", area="370405"), "relation": "self"}],
    )
    head = h.members.get()
    body = {
        "id_number": unseal("id_number", head.id_number_enc),
        "programs": ["dibao"],
        "channel": "window",
        "authorizations": [{"person_id": head.pk, "image_base64": png_b64(4)}],
        "commitment": {"person_id": head.pk, "image_base64": png_b64(5)},
    }
    c = api_of("tez_beiluo")
    r = post(c, "/api/v1/applications", body)
    assert r.status_code == 422 and r.json()["code"] == "entrustment_required"
    body["entrustment"] = {
        "principal_id": head.pk,
        "reason": "年老体弱，行动不便",
        "signature": {"person_id": head.pk, "image_base64": png_b64(6), "method": "pad"},
    }
    r = post(c, "/api/v1/applications", body)
    assert r.status_code == 201, r.content
    app = r.json()["applications"][0]
    assert app["channel"] == "village"
    e = Entrustment.objects.get()
    assert e.principal == head and e.agent == world.user("tez_beiluo") and e.reason == "年老体弱，行动不便"
    page = client_of("tez_zhangshanzi").get(f"/applications/{app['id']}/").content.decode()
    assert 'data-testid="entrustment"' in page and "委托甲委托" in page


def test_the_window_cannot_record_a_village_application_without_the_entrustment(world, household_in):
    from jiuzhu.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        unsigned_intake(world, household_in, channel="village")
    assert exc.value.code == "entrustment_required"
