"""掌上办 follow and 补正 (issue 18 item 3; INT-9, INT-22, SUP-16, DOC-13): the household's
cases in plain words with the next step and its due date, notices to read and download with
every delivery logged, 补正 photos for a returned case shown to the window clerk — and a
family member reaches only their own household's objects."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiuzhu.applications import actions as case_actions
from jiuzhu.applications.tests.conftest import png
from jiuzhu.core.appendonly import AppendOnlyError
from jiuzhu.portal.models import NoticeDelivery, Supplement
from jiuzhu.portal.queries import due_in_words

from .conftest import last_code

pytestmark = pytest.mark.django_db


def signed_in(fam, sms_file) -> tuple[Client, dict[str, str]]:
    """A browser signed in on the site and a bearer header for the API, as this family."""
    web = Client()
    web.post("/my/login/", {"id_number": fam.id_number, "step": "send"})
    web.post("/my/login/", {"id_number": fam.id_number, "code": last_code(sms_file, fam.phone), "step": "login"})
    assert web.get("/my/").status_code == 200
    from django.utils import timezone

    from jiuzhu.portal.models import LoginCode

    LoginCode.objects.update(created_at=timezone.now() - timezone.timedelta(minutes=2))
    api = Client()
    api.post("/api/v1/my/login/code", json.dumps({"id_number": fam.id_number}), content_type="application/json")
    r = api.post(
        "/api/v1/my/login",
        json.dumps({"id_number": fam.id_number, "code": last_code(sms_file, fam.phone)}),
        content_type="application/json",
    )
    return web, {"Authorization": f"Bearer {r.json()['token']}"}


def returned(world, fam, items=("医疗诊断证明", "残疾证")):
    case_actions.return_for_documents(fam.case, by=world.user("tez_zhangshanzi"), items=list(items))
    fam.case.refresh_from_db()
    return fam.case


def test_it_shows_the_case_in_plain_words_with_next_step_and_due_date(family, sms_file):
    """INT-9, INT-22: state label of the case, what it means, next step, its due date."""
    fam = family()
    web, bearer = signed_in(fam, sms_file)
    deadline = fam.case.deadlines.filter(met_on__isnull=True).order_by("due_on").first()
    page = web.get(f"/my/applications/{fam.case.pk}/").content.decode()
    assert "已受理" in page and "入户调查" in page and due_in_words(deadline.due_display) in page
    assert deadline.due_display not in page  # the family reads 2026年12月30日, not 2026-12-30
    assert "no-store" in web.get("/my/")["Cache-Control"]
    body = Client().get(f"/api/v1/my/applications/{fam.case.pk}", headers=bearer).json()
    assert body["state"] == "accepted" and body["due"] == deadline.due_display
    assert [n["title"] for n in body["notices"]] == ["受理通知书"]


def test_it_logs_every_notice_delivery_in_an_append_only_table(family, sms_file):
    """SUP-16, DOC-13: the receipt read on the page, downloaded, and fetched by the API — each a row."""
    fam = family()
    web, bearer = signed_in(fam, sms_file)
    notice = fam.case.notices.get(kind="receipt")
    view = web.get(f"/my/notices/{notice.pk}/")
    assert view.status_code == 200 and view["Content-Type"] == "application/pdf"
    assert b"".join(view.streaming_content).startswith(b"%PDF")
    assert "attachment" in web.get(f"/my/notices/{notice.pk}/download/")["Content-Disposition"]
    pdf = Client().get(f"/api/v1/my/notices/{notice.pk}.pdf", headers=bearer)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    rows = list(NoticeDelivery.objects.order_by("id"))
    assert [(r.channel, r.mode) for r in rows] == [("web", "view"), ("web", "download"), ("api", "download")]
    assert all(r.notice_id == notice.pk and r.person_id == fam.head.pk and r.delivered_at for r in rows)
    with pytest.raises(AppendOnlyError):
        rows[0].save()
    with pytest.raises(AppendOnlyError):
        NoticeDelivery.objects.all().delete()


def test_it_hides_another_households_case_and_notices(family, sms_file):
    """A family member acts only for their own household: 404 with a code, nothing logged."""
    mine, theirs = family(), family()
    web, bearer = signed_in(mine, sms_file)
    their_notice = theirs.case.notices.get(kind="receipt")
    page = web.get(f"/my/applications/{theirs.case.pk}/")
    assert page.status_code == 404 and 'data-code="not_found"' in page.content.decode()
    assert web.get(f"/my/notices/{their_notice.pk}/").status_code == 404
    assert web.get(f"/my/notices/{their_notice.pk}/download/").status_code == 404
    api = Client()
    for url in (f"/api/v1/my/applications/{theirs.case.pk}", f"/api/v1/my/notices/{their_notice.pk}.pdf"):
        r = api.get(url, headers=bearer)
        assert r.status_code == 404 and r.json()["code"] == "not_found", url
    assert [a["id"] for a in api.get("/api/v1/my/applications", headers=bearer).json()] == [mine.case.pk]
    assert theirs.case.number not in web.get("/my/").content.decode()
    assert not NoticeDelivery.objects.exists()


def test_it_refuses_uploads_to_another_households_case(world, family, sms_file):
    mine, theirs = family(), family()
    returned(world, theirs)
    web, bearer = signed_in(mine, sms_file)
    upload = SimpleUploadedFile("a.png", png(5), content_type="image/png")
    page = web.post(f"/my/applications/{theirs.case.pk}/", {"item": "医疗诊断证明", "file": upload})
    assert page.status_code == 404
    r = Client().post(
        f"/api/v1/my/applications/{theirs.case.pk}/supplements",
        {"item": "医疗诊断证明", "file": SimpleUploadedFile("a.png", png(5))},
        headers=bearer,
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert not Supplement.objects.exists()


def test_a_returned_case_gets_its_photos_without_a_trip_and_the_clerk_sees_them(world, family, sms_file, client_of):
    """补正 (INT-9): the 一次性告知书's items uploaded as photos; the case's missing list shrinks
    and the staff case page shows what the family sent."""
    fam = family()
    case = returned(world, fam)
    web, bearer = signed_in(fam, sms_file)
    page = web.get(f"/my/applications/{case.pk}/").content.decode()
    assert "退回补正" in page and "医疗诊断证明" in page and "残疾证" in page and 'type="file"' in page
    assert "一次性告知书" in page
    r = web.post(
        f"/my/applications/{case.pk}/",
        {"item": "医疗诊断证明", "file": SimpleUploadedFile("hukou.png", png(6), content_type="image/png")},
    )
    assert r.status_code == 200 and "已上传" in r.content.decode()
    case.refresh_from_db()
    assert [m["name"] for m in case.missing_documents] == ["残疾证"]
    api = Client().post(
        f"/api/v1/my/applications/{case.pk}/supplements",
        {"item": "残疾证", "file": SimpleUploadedFile("c.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64)},
        headers=bearer,
    )
    assert api.status_code == 201 and api.json()["missing_documents"] == []
    staff = client_of("tez_zhangshanzi").get(f"/applications/{case.pk}/").content.decode()
    assert "掌上办补正材料" in staff and "补正材料-医疗诊断证明.png" in staff
    assert 'data-testid="portal-supplements"' in staff and "王淑兰（本人上传）" in staff
    assert "王淑兰（申请人家庭成员·掌上办）" in staff  # the 补正 step in the case history
    assert Supplement.objects.filter(application=case).count() == 2


def test_bad_supplement_uploads_are_refused_naming_the_field_and_save_nothing(world, family, sms_file):
    fam = family()
    case = returned(world, fam)
    _, bearer = signed_in(fam, sms_file)
    url = f"/api/v1/my/applications/{case.pk}/supplements"
    c = Client()
    text = c.post(
        url, {"item": "医疗诊断证明", "file": SimpleUploadedFile("x.png", b"not an image at all")}, headers=bearer
    )
    assert text.status_code == 422 and text.json()["field"] == "file" and "JPG" in text.json()["message"]
    empty = c.post(url, {"item": "医疗诊断证明", "file": SimpleUploadedFile("x.png", b"")}, headers=bearer)
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    other = c.post(url, {"item": "结婚证", "file": SimpleUploadedFile("x.png", png(7))}, headers=bearer)
    assert other.status_code == 422 and other.json()["field"] == "item" and "结婚证" in other.json()["message"]
    assert not Supplement.objects.exists()
    case.refresh_from_db()
    assert len(case.missing_documents) == 2


def test_it_refuses_supplements_when_the_case_is_not_returned(family, sms_file):
    fam = family()
    _, bearer = signed_in(fam, sms_file)
    r = Client().post(
        f"/api/v1/my/applications/{fam.case.pk}/supplements",
        {"item": "医疗诊断证明", "file": SimpleUploadedFile("x.png", png(8))},
        headers=bearer,
    )
    assert r.status_code == 409 and r.json()["code"] == "invalid_state" and "已受理" in r.json()["message"]


def test_an_accepted_case_still_missing_a_signature_names_it_and_sends_the_member_to_the_window(
    world, family, sms_file
):
    """INT-9, INT-13, DOC-9: the spouse has not signed his 授权书 (先授权、后核对). The family's page
    and the API name it; the page sends him to the window, with no photo upload (it must be his
    own signature); once he signs there, the item is gone and the next step is the visit."""
    from jiuzhu.applications.actions import SignatureIn

    fam = family(spouse_signs=False)
    spouse = fam.household.members.get(relation="spouse")
    web, bearer = signed_in(fam, sms_file)
    page = web.get(f"/my/applications/{fam.case.pk}/").content.decode()
    assert "家庭经济状况核对授权书（李大山）" in page and 'data-testid="bring-in-person"' in page
    assert "还有《一次性告知书》所列的材料未补齐" in page and 'name="file"' not in page
    api = Client()
    body = api.get(f"/api/v1/my/applications/{fam.case.pk}", headers=bearer).json()
    assert body["missing_documents"] == ["家庭经济状况核对授权书（李大山）"] and "补齐后" in body["next_step"]
    upload = api.post(
        f"/api/v1/my/applications/{fam.case.pk}/supplements",
        {"item": "家庭经济状况核对授权书（李大山）", "file": SimpleUploadedFile("x.png", png(8))},
        headers=bearer,
    )
    assert upload.status_code == 409 and "窗口补交" in upload.json()["message"]

    case_actions.supplement(fam.case, by=world.user("tez_zhangshanzi"), authorizations=[SignatureIn(spouse.pk, png(7))])
    page = web.get(f"/my/applications/{fam.case.pk}/").content.decode()
    assert 'data-testid="supplement"' not in page and "工作人员将入户调查" in page


def test_a_returned_case_still_missing_a_signature_takes_photos_of_the_documents_only(world, family, sms_file):
    """INT-9, INT-13, DOC-9: returned for two documents while the spouse's 授权书 is unsigned.
    The page and the API list all three; the photo upload offers the documents only and sends
    the spouse to the window; a photo of his 授权书 is refused and saves nothing."""
    fam = family(spouse_signs=False)
    case = returned(world, fam)
    web, bearer = signed_in(fam, sms_file)
    page = web.get(f"/my/applications/{case.pk}/").content.decode()
    signature = "家庭经济状况核对授权书（李大山）"
    assert signature in page and 'name="file"' in page
    assert f'<option value="{signature}">' not in page and '<option value="医疗诊断证明">' in page
    assert f"{signature}须由家庭成员本人签字" in page
    api = Client()
    body = api.get(f"/api/v1/my/applications/{case.pk}", headers=bearer).json()
    assert body["missing_documents"] == [signature, "医疗诊断证明", "残疾证"]
    assert body["upload_items"] == ["医疗诊断证明", "残疾证"]
    refused = api.post(
        f"/api/v1/my/applications/{case.pk}/supplements",
        {"item": signature, "file": SimpleUploadedFile("x.png", png(8))},
        headers=bearer,
    )
    assert refused.status_code == 422 and refused.json()["code"] == "signature_in_person"
    assert refused.json()["field"] == "item" and "本人" in refused.json()["message"]
    assert not Supplement.objects.exists()
    case.refresh_from_db()
    assert [m["name"] for m in case.missing_documents] == [signature, "医疗诊断证明", "残疾证"]
    for item, width in (("医疗诊断证明", 9), ("残疾证", 10)):  # the documents by photo; the signature is left
        sent = api.post(
            f"/api/v1/my/applications/{case.pk}/supplements",
            {"item": item, "file": SimpleUploadedFile("d.png", png(width))},
            headers=bearer,
        )
        assert sent.status_code == 201
    body = api.get(f"/api/v1/my/applications/{case.pk}", headers=bearer).json()
    assert body["missing_documents"] == [signature] and body["upload_items"] == []
    assert "窗口签字" in body["next_step"] and "上传照片" not in body["next_step"]


def test_the_api_needs_the_applicant_token(family):
    fam = family()
    r = Client().get(f"/api/v1/my/applications/{fam.case.pk}")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"


def test_it_lists_the_households_referrals_in_plain_words(world, family, sms_file):
    """INT-9: 一体联动 referrals of the family (program, department, status, due date) — not a neighbour's."""
    import datetime as dt

    from jiuzhu.accounts.models import Department
    from jiuzhu.programs.models import AssistanceProgram
    from jiuzhu.referrals.models import Referral

    mine, theirs = family(), family()
    program = AssistanceProgram.objects.first()
    department = Department.objects.first()
    for n, fam in enumerate((mine, theirs)):
        Referral.objects.create(
            number=f"PD-TEST-{n}",
            household=fam.household,
            program=program,
            department=department,
            area_code=fam.household.area_id,
            county_code=fam.household.county_code,
            status="accepted" if n == 0 else "open",
            reason="认定后联动",
            origin="auto",
            due_on=dt.date(2026, 12, 31),
        )
    web, bearer = signed_in(mine, sms_file)
    page = web.get("/my/").content.decode()
    assert program.name in page and "承办部门正在办理" in page and "办理期限 2026年12月31日" in page
    assert "等待接收" not in page
    (listed,) = Client().get("/api/v1/my/referrals", headers=bearer).json()
    assert (listed["number"], listed["status"], listed["due"]) == ("PD-TEST-0", "承办部门正在办理", "2026-12-31")


def test_the_family_reads_what_a_department_granted(world, family, sms_file):
    """INT-9, LNK-3: once 医保局 answers, the family reads what it was given — a sum a month or
    once — on the page and through the API, and no longer a due date."""
    import datetime as dt

    from jiuzhu.programs.models import AssistanceProgram
    from jiuzhu.referrals import actions as referrals
    from jiuzhu.referrals.models import Referral

    fam = family()
    clerk = world.user("tez_yibao")
    program = AssistanceProgram.objects.filter(department_code="yibao", benefit_unit="person").first()
    head = fam.household.members.get(relation="self")
    ref = Referral.objects.create(
        facts={"members": [{"person_id": head.pk, "relation": "本人（户主）"}]},
        number="PD-TEST-9",
        household=fam.household,
        program=program,
        department=clerk.department,
        area_code=fam.household.area_id,
        county_code=fam.household.county_code,
        status="accepted",
        reason="认定后联动",
        origin="auto",
        due_on=dt.date(2026, 12, 31),
    )
    referrals.decide(
        ref,
        by=clerk,
        granted=True,
        note="资助参保个人缴费",
        granted_from=dt.date(2026, 12, 1),
        period="monthly",
        recipients=[{"person_id": head.pk, "amount_fen": 38000}],
    )
    web, bearer = signed_in(fam, sms_file)
    page = web.get("/my/").content.decode()
    assert f"<b>{program.name}</b>（{clerk.department.name}）：已获得救助，每月380.00元" in page
    assert "办理期限 2026年12月31日" not in page
    (listed,) = Client().get("/api/v1/my/referrals", headers=bearer).json()
    assert (listed["granted_amount_fen"], listed["granted_period"], listed["due"]) == (38000, "monthly", "")
