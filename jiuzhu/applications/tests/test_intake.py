"""Intake: 一门受理、一证申请 (INT-1 … INT-24), notices (DOC-*), deadlines (WF-*)."""

import json
import subprocess

import pytest
from django.utils import timezone

from jiuzhu.applications.models import Application, CaseDeadline, Notice
from jiuzhu.audit.models import AuditEntry
from jiuzhu.verification.models import Authorization

from .conftest import png_b64

pytestmark = pytest.mark.django_db


def _receipt_file(intake):
    from jiuzhu.registry.storage import path_of

    return path_of(intake.notices.get(kind="receipt").document.storage_name)


def _pdftotext(pdf) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def full_id(person):
    from jiuzhu.registry.pii import unseal

    return unseal("id_number", person.id_number_enc)


def test_it_accepts_an_application_with_only_the_id_card(api_of, household_in):
    """INT-3 一证申请: the ID number finds the household; receipt issued; deadlines set."""
    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    adults = [p for p in h.members.all() if p.age >= 18]
    body = {
        "id_number": full_id(head),
        "programs": ["dibao"],
        "channel": "window",
        "authorizations": [{"person_id": p.id, "image_base64": png_b64(4 + i)} for i, p in enumerate(adults)],
        "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
    }
    r = post(api_of("tez_zhangshanzi"), "/api/v1/applications", body)
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["receipt_number"].startswith("SL370405-")
    app = data["applications"][0]
    assert app["state"] == "accepted" and app["program"] == "dibao"
    assert app["missing_documents"] == []
    assert [n["kind"] for n in app["notices"]] == ["receipt"]
    assert {d["step"] for d in app["deadlines"]} == {"overall", "investigation"}
    assert "start_investigation" in app["allowed_actions"]
    assert Authorization.objects.filter(household=h).count() == len(adults)


def test_the_overall_deadline_is_12_working_days_when_devolved(signed_intake):
    """Seed 004: 12 working days in all."""
    from jiuzhu.holidays.calendar import add_working_days

    app = signed_intake().applications.get()
    assert app.due_on == add_working_days(timezone.localdate(app.accepted_at), 12)


def test_the_national_preset_gives_30_working_days(world, signed_intake):
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.holidays.calendar import add_working_days

    use_preset("national")
    app = signed_intake().applications.get()
    assert app.due_on == add_working_days(timezone.localdate(app.accepted_at), 30)


def test_missing_signatures_produce_one_checklist(world, household_in):
    """一次性告知: everything still needed, in one notice."""
    from jiuzhu.applications.actions import IntakeRequest, intake

    h = household_in("张山子镇")
    result = intake(
        IntakeRequest(household=h, applicant=h.members.get(relation="self"), programs=["dibao"]),
        by=world.user("tez_zhangshanzi"),
    )
    app = result.applications.get()
    names = [m["name"] for m in app.missing_documents]
    assert any("授权书" in n for n in names) and any("承诺书" in n for n in names)
    assert sorted(Notice.objects.values_list("kind", flat=True)) == ["checklist", "receipt"]


def test_the_receipt_points_to_the_checklist_only_when_something_is_missing(world, household_in, signed_intake):
    """INT-3 / 一次性告知: the 受理通知书 sends the family to the 一次性告知书 when the case still
    lacks documents, and says nothing of it when nothing is missing."""
    from jiuzhu.applications.actions import IntakeRequest, intake

    h = household_in("张山子镇")
    lacking = intake(
        IntakeRequest(household=h, applicant=h.members.get(relation="self"), programs=["dibao"]),
        by=world.user("tez_zhangshanzi"),
    )
    assert "尚需补充的材料见《一次性告知书》" in _pdftotext(_receipt_file(lacking)).replace("\n", "")
    assert "一次性告知书" not in _pdftotext(_receipt_file(signed_intake()))


def test_several_programs_from_one_intake(signed_intake):
    intake = signed_intake(
        programs=("dibao", "temporary"), temporary_kind="illness", documents_provided=["医疗费用票据（自付部分）"]
    )
    assert sorted(intake.applications.values_list("program", flat=True)) == ["dibao", "temporary"]
    assert intake.notices.filter(kind="receipt").count() == 1


def test_a_second_open_application_is_refused_naming_the_first(signed_intake):
    from jiuzhu.core.errors import DomainError

    first = signed_intake().applications.get()
    with pytest.raises(DomainError) as exc:
        signed_intake(household=first.household)
    assert exc.value.code == "duplicate_application" and first.number in exc.value.message


def test_an_unknown_id_number_asks_to_register_first(api_of, new_id):
    r = post(api_of("tez_zhangshanzi"), "/api/v1/applications", {"id_number": new_id(), "programs": ["dibao"]})
    assert r.status_code == 422 and r.json()["code"] == "person_not_registered"


def test_another_towns_household_is_not_found(api_of, household_in):
    h = household_in("涧头集镇")
    r = post(api_of("tez_zhangshanzi"), "/api/v1/applications", {"household_id": h.id, "programs": ["dibao"]})
    assert r.status_code == 404


def test_a_viewer_may_not_take_applications(api_of, household_in):
    h = household_in("张山子镇")
    r = post(api_of("tez_viewer"), "/api/v1/applications", {"household_id": h.id, "programs": ["dibao"]})
    assert r.status_code in (403, 404)
    assert not Application.objects.exists()


def test_a_signature_that_is_not_an_image_is_refused_and_nothing_is_stored(api_of, household_in):
    from jiuzhu.registry.models import Document

    h = household_in("张山子镇")
    head = h.members.get(relation="self")
    body = {
        "household_id": h.id,
        "programs": ["dibao"],
        "authorizations": [{"person_id": head.id, "image_base64": "aGVsbG8="}],
    }
    r = post(api_of("tez_zhangshanzi"), "/api/v1/applications", body)
    assert r.status_code == 422 and r.json()["code"] == "invalid_signature"
    assert not Application.objects.exists() and not Document.objects.exists()


def test_a_staff_relative_is_registered_separately(signed_intake, world, client_of):
    intake = signed_intake(staff_relative_of=world.user("tez_zhangshanzi_sp"), staff_relative_note="审批人员之兄")
    app = intake.applications.get()
    page = client_of("tez_county").get("/applications/", {"staff_relative": "1"})
    assert app.number in page.content.decode()


def test_the_receipt_is_a_pdf_with_chinese_text(signed_intake, tmp_path):
    intake = signed_intake()
    notice, pdf = intake.notices.get(kind="receipt"), _receipt_file(intake)
    text = _pdftotext(pdf)
    assert "受理通知书" in text and notice.number in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts


def test_the_intake_is_audited(signed_intake):
    app = signed_intake().applications.get()
    assert AuditEntry.objects.filter(action="applications.intake", object_id=str(app.pk)).exists()


def test_overdue_steps_are_a_query(signed_intake):
    import datetime as dt

    app = signed_intake().applications.get()
    CaseDeadline.objects.filter(application=app, step="investigation").update(due_on=dt.date(2026, 1, 5))
    assert list(CaseDeadline.objects.overdue().values_list("step", flat=True)) == ["investigation"]
