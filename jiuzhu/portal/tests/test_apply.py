"""掌上办申请 (issue 18 item 2; INT-2, INT-8, INT-9, INT-11, INT-22, LNK-3, SUP-16): a family
member applies online, every adult signs from their own phone by a one-time link and an SMS
code, the family submits, and the town accepts it through the one-door intake (channel 掌上办,
clock from acceptance). A member reaches only their own household's objects."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiuzhu.applications.models import Application, Notice
from jiuzhu.applications.tests.conftest import png
from jiuzhu.audit.models import AuditEntry
from jiuzhu.portal import apply
from jiuzhu.portal.models import NoticeDelivery, OnlineApplication

from .conftest import PHONES, last_code

pytestmark = pytest.mark.django_db


def sms_lines(path: Path, phone: str) -> list[str]:
    if not path.exists():
        return []
    return [x["text"] for x in map(json.loads, path.read_text(encoding="utf-8").splitlines()) if x["phone"] == phone]


def sign_link(path: Path, phone: str) -> str:
    match = re.search(r"(/my/sign/[^/\s]+/)", sms_lines(path, phone)[-1])
    assert match, "no signing link was sent"
    return match.group(1)


def sign_code(path: Path, phone: str) -> str:
    match = re.search(r"签署验证码为(\d{6})", sms_lines(path, phone)[-1])
    assert match
    return match.group(1)


class Applicants:
    def __init__(self, household: Any, ids: list[str], phones: list[str]) -> None:
        self.household, self.ids, self.phones = household, ids, phones
        self.head = household.members.get(relation="self")
        self.spouse = household.members.get(relation="spouse")


@pytest.fixture
def applicants(world, household_in, new_id):
    def make(town: str = "张山子镇", child: bool = True) -> Applicants:
        county = world.village_in(town).county_code
        ids = [new_id(age=50, gender="F", area=county), new_id(age=52, area=county), new_id(age=10, area=county)]
        phones = [next(PHONES), next(PHONES)]
        members = [
            {"name": "赵秀英", "id_number": ids[0], "relation": "self", "phone": phones[0]},
            {"name": "钱大壮", "id_number": ids[1], "relation": "spouse", "phone": phones[1]},
        ]
        if child:
            members.append({"name": "赵小宝", "id_number": ids[2], "relation": "child"})
        return Applicants(household_in(town, members=members), ids, phones)

    return make


def signed_in(fam: Applicants, sms_file: Path) -> Client:
    web = Client()
    web.post("/my/login/", {"id_number": fam.ids[0], "step": "send"})
    r = web.post("/my/login/", {"id_number": fam.ids[0], "code": last_code(sms_file, fam.phones[0]), "step": "login"})
    assert r.status_code == 302
    return web


def sign_from_phone(path: Path, phone: str, name: str) -> Client:
    phone_client = Client()
    link = sign_link(path, phone)
    assert phone_client.get(link).status_code == 200
    assert phone_client.post(link, {"step": "send"}).status_code == 200
    r = phone_client.post(link, {"step": "sign", "typed_name": name, "code": sign_code(path, phone), "agreed": "1"})
    assert r.status_code == 200 and "签署完成" in r.content.decode()
    return phone_client


def test_a_family_applies_signs_on_two_phones_and_the_town_accepts(world, applicants, sms_file, client_of):
    """INT-2, INT-8, INT-11, LNK-3: online application → each adult signs → submit → town
    accepts through the intake action (channel online, receipt, legal clock from acceptance)."""
    fam = applicants()
    web = signed_in(fam, sms_file)
    assert "网上申请社会救助" in web.get("/my/").content.decode()
    choose = web.get("/my/apply/").content.decode()  # 临时救助 is not online: where to go for it
    assert "需要临时救助的，请直接到乡镇（街道）社会救助窗口申请" in choose
    r = web.post("/my/apply/", {"programs": ["dibao"], "reason": "因病缺乏劳动能力"})
    assert r.status_code == 302
    online = OnlineApplication.objects.get(household=fam.household)
    home = web.get("/my/").content.decode()  # not "您家目前没有救助申请" under the application just made
    assert "您家目前没有救助申请" not in home and "网上申请经乡镇（街道）受理后，在这里查看办理进度" in home
    page = web.get(f"/my/apply/{online.pk}/").content.decode()
    assert "救助测算" in page and "需要准备的材料" in page and "钱大壮" in page and "赵小宝" in page
    urban = fam.household.urban_rural == "urban"
    assert ("城市最低生活保障" in page) is urban and ("农村最低生活保障" in page) is not urban
    # the child is not asked to sign; two adults are
    assert sorted(s.person.name for s in online.signatures.all()) == ["赵秀英", "钱大壮"]
    r = web.post(
        f"/my/apply/{online.pk}/",
        {"step": "upload", "item": "医疗费用票据", "file": SimpleUploadedFile("a.png", png(8), "image/png")},
    )
    assert r.status_code == 200 and "已上传" in r.content.decode()
    r = web.post(f"/my/apply/{online.pk}/", {"step": "submit"})
    assert r.status_code == 422 and "未签署" in r.content.decode()
    for sig in online.signatures.all():
        r = web.post(f"/my/apply/{online.pk}/", {"step": "link", "signature": sig.pk})
        assert r.status_code == 200, r.content.decode()
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    r = web.post(f"/my/apply/{online.pk}/", {"step": "submit"})
    assert r.status_code == 200 and "已提交" in r.content.decode()
    online.refresh_from_db()
    assert online.state == "submitted"
    # the town's intake queue
    clerk = client_of("tez_zhangshanzi")
    assert "赵秀英" in clerk.get("/online-intake/").content.decode()
    r = clerk.post(f"/online-intake/{online.pk}/accept/")
    assert r.status_code == 302
    online.refresh_from_db()
    assert online.state == "accepted" and online.intake is not None
    assert online.intake.channel == "online"
    case = Application.objects.get(intake=online.intake)
    assert case.channel == "online" and case.state == "accepted"
    assert case.missing_documents == []  # both 授权书 and the 承诺书 came from the phones
    assert case.deadlines.filter(step="investigation").exists()
    assert "医疗费用票据" in online.intake.documents_provided
    assert Notice.objects.filter(intake=online.intake, kind="receipt").exists()
    # the family follows the same case on /my/
    home = web.get("/my/").content.decode()
    assert case.number in home and "已受理" in home
    actions = set(AuditEntry.objects.filter(object_type="portal.onlineapplication").values_list("action", flat=True))
    assert {"portal.apply_start", "portal.apply_sign", "portal.apply_submit", "portal.online_accept"} <= actions


def test_only_programs_the_county_runs(world, applicants, sms_file):
    """PRG-2 via INT-2: a program the county does not run is refused with program_not_run."""
    from jiuzhu.programs.models import CountyProgram

    fam = applicants()
    CountyProgram.objects.filter(county_code=fam.household.county_code, program__engine_program="tekun").update(
        is_active=False
    )
    assert "tekun" not in dict(apply.offered_programs(fam.head))
    with pytest.raises(Exception) as exc:
        apply.start(fam.head, programs=["tekun"], reason="")
    assert getattr(exc.value, "code", "") == "program_not_run"
    web = signed_in(fam, sms_file)
    r = web.post("/my/apply/", {"programs": ["tekun"]})
    assert r.status_code == 422 and "未开展" in r.content.decode()
    assert not OnlineApplication.objects.exists()


def test_signing_needs_own_name_and_code_with_rate_limits(world, applicants, sms_file):
    """INT-22: one-time link bound to the member, SMS code to that member's phone, a code a
    minute, five wrong answers spend the link; a signed link cannot be used again."""
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    sig = online.signatures.get(person=fam.spouse)
    apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    link = sign_link(sms_file, fam.phones[1])
    c = Client()
    c.post(link, {"step": "send"})
    r = c.post(link, {"step": "send"})
    assert r.status_code == 429 and "1分钟" in r.content.decode()
    code = sign_code(sms_file, fam.phones[1])
    r = c.post(link, {"step": "sign", "typed_name": "赵秀英", "code": code, "agreed": "1"})
    assert r.status_code == 422 and "本人的姓名" in r.content.decode()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        r = c.post(link, {"step": "sign", "typed_name": "钱大壮", "code": wrong, "agreed": "1"})
    assert c.get(link).status_code == 404  # the link is spent
    sig.refresh_from_db()
    assert sig.signed_at is None
    # a new link works, once
    from django.utils import timezone

    two_minutes_ago = timezone.now() - timezone.timedelta(minutes=2)
    type(sig).objects.filter(pk=sig.pk).update(link_sent_at=two_minutes_ago, code_sent_at=two_minutes_ago)
    sig.refresh_from_db()
    apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    second = sign_link(sms_file, fam.phones[1])
    assert Client().get(link).status_code == 404  # the old link was replaced
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    assert Client().get(second).status_code == 404  # one-time: used
    sig.refresh_from_db()
    assert sig.signed_at and sig.typed_name == "钱大壮" and sig.phone_masked.startswith(fam.phones[1][:3])
    assert fam.phones[1] not in sig.phone_masked


def test_uploads_are_bounded(world, applicants, sms_file):
    fam = applicants()
    web = signed_in(fam, sms_file)
    web.post("/my/apply/", {"programs": ["dibao"]})
    online = OnlineApplication.objects.get()
    r = web.post(
        f"/my/apply/{online.pk}/",
        {"step": "upload", "item": "证明", "file": SimpleUploadedFile("a.exe", b"MZ\x90\x00" * 10, "image/png")},
    )
    assert r.status_code == 422 and "JPG、PNG" in r.content.decode()
    assert not online.uploads.exists()


def test_another_households_objects_are_not_found(world, applicants, sms_file, client_of):
    """Security: a member acts only for their own household (404 on the other's objects);
    the queue is the town's (another town's clerk: 404), and a village assistant does not accept."""
    ours, theirs = applicants(), applicants()
    other = apply.start(theirs.head, programs=["dibao"], reason="")
    web = signed_in(ours, sms_file)
    assert web.get(f"/my/apply/{other.pk}/").status_code == 404
    sig = other.signatures.first()
    assert web.post(f"/my/apply/{other.pk}/", {"step": "link", "signature": sig.pk}).status_code == 404
    ours_app = apply.start(ours.head, programs=["dibao"], reason="")
    # a signature row of the other household is not reachable through our application
    r = web.post(f"/my/apply/{ours_app.pk}/", {"step": "link", "signature": sig.pk})
    assert r.status_code == 422 and not sms_lines(sms_file, theirs.phones[0])
    for s in other.signatures.all():
        type(s).objects.filter(pk=s.pk).update(signed_at="2026-01-01T00:00:00Z")
    apply.submit(other, person=theirs.head)
    assert client_of("tez_jiantouji").post(f"/online-intake/{other.pk}/accept/").status_code == 404
    assert "赵秀英" not in client_of("tez_jiantouji").get("/online-intake/").content.decode()
    # an applicant session does not open staff pages
    assert web.get("/online-intake/").status_code == 302


def test_csrf_is_enforced_on_the_signing_page(world, applicants, sms_file):
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    apply.send_link(online.signatures.get(person=fam.head), by_person=fam.head, base_url="http://testserver/")
    c = Client(enforce_csrf_checks=True)
    assert c.post(sign_link(sms_file, fam.phones[0]), {"step": "send"}).status_code == 403


def test_notice_sms_is_off_by_default_and_logged_when_the_county_enables_it(world, applicants, sms_file):
    """Item 4, SUP-16: a dated county setting, default off; each SMS is a delivery row."""
    from jiuzhu.applications.actions import IntakeRequest, SignatureIn, intake
    from jiuzhu.applications.tests.support import use_setting

    fam = applicants()

    def accept_at_window() -> Any:
        adults = [fam.head, fam.spouse]
        req = IntakeRequest(
            household=fam.household,
            applicant=fam.head,
            programs=["dibao"],
            authorizations=[SignatureIn(p.pk, png(4 + i)) for i, p in enumerate(adults)],
            commitment=SignatureIn(fam.head.pk, png(9)),
        )
        return intake(req, by=world.user("tez_zhangshanzi"))

    first = accept_at_window()
    assert not any("新的文书" in t for t in sms_lines(sms_file, fam.phones[0]))
    assert not NoticeDelivery.objects.filter(channel="sms").exists()
    use_setting("portal.notice_sms", True, county=fam.household.county_code)
    from jiuzhu.applications import actions as case_actions

    case = first.applications.get()
    case_actions.withdraw(case, by=world.user("tez_zhangshanzi"), reason="测试")
    accept_at_window()
    texts = [t for t in sms_lines(sms_file, fam.phones[0]) if "新的文书" in t]
    assert texts and "受理通知书" in texts[-1]
    row = NoticeDelivery.objects.get(channel="sms")
    assert row.mode == "notify" and row.person == fam.head


def test_public_pages_link_to_the_applicant_site(world):
    """Item 5: 办事入口 on the public pages."""
    page = Client().get("/public/status/").content.decode()
    assert 'href="/my/"' in page


def test_the_queue_is_for_town_staff(world, client_of):
    """LNK-3: the queue is the town window's; a village assistant (帮办代办 records its own
    intakes as channel village) and a read-only viewer get 403; the menu shows it to the clerk."""
    assert client_of("tez_beiluo").get("/online-intake/").status_code == 403
    assert client_of("tez_viewer").get("/online-intake/").status_code == 403
    page = client_of("tez_zhangshanzi").get("/online-intake/").content.decode()
    assert "掌上办待受理" in page and 'data-testid="online-queue"' in page


def test_a_village_assistants_intake_is_recorded_as_helped_even_if_asked_as_online(world, applicants, new_id):
    """INT-10 / item 3 (帮办代办): whatever channel is asked, a village assistant's intake is
    channel 村（社区）帮办代办 and needs the 申请委托书 — never 掌上办; and he cannot accept a
    family's online application (the town does). A family outside his village is 404 to him."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.applications.actions import IntakeRequest, intake
    from jiuzhu.core.errors import Forbidden, InvalidInput, NotFound
    from jiuzhu.registry.actions import create_household

    fam = applicants(town="张山子镇")  # in 张山子社区, not his village
    assistant = world.user("tez_beiluo")
    req = IntakeRequest(household=fam.household, applicant=fam.head, programs=["dibao"], channel="online")
    with pytest.raises(NotFound):
        intake(req, by=assistant)
    own = create_household(
        by=SystemActor("测试"),
        area_code=assistant.area.code,
        address="北洛村1号",
        members=[{"name": "孙立华", "id_number": new_id(age=60, area="370405"), "relation": "self"}],
    )
    req = IntakeRequest(household=own, applicant=own.members.get(), programs=["dibao"], channel="online")
    with pytest.raises(InvalidInput) as exc:
        intake(req, by=assistant)
    assert exc.value.code == "entrustment_required" and req.channel == "village"
    online = apply.start(fam.head, programs=["dibao"], reason="")
    for s in online.signatures.all():
        type(s).objects.filter(pk=s.pk).update(signed_at="2026-01-01T00:00:00Z")
    apply.submit(online, person=fam.head)
    online.refresh_from_db()
    with pytest.raises(Forbidden) as denied:
        apply.accept(online, by=assistant)
    assert getattr(denied.value, "code", "") == "town_accepts", denied.value
    online.refresh_from_db()
    assert online.state == "submitted" and online.intake is None


def test_the_api_applies_for_the_own_household_only(world, applicants, sms_file):
    """INT-2, INT-22 on /api/v1/my/: start, upload, links, submit refused until signed; another
    household's application and signature rows are 404."""
    ours, theirs = applicants(), applicants()
    other = apply.start(theirs.head, programs=["dibao"], reason="")
    api = Client()
    api.post("/api/v1/my/login/code", json.dumps({"id_number": ours.ids[0]}), content_type="application/json")
    token = api.post(
        "/api/v1/my/login",
        json.dumps({"id_number": ours.ids[0], "code": last_code(sms_file, ours.phones[0])}),
        content_type="application/json",
    ).json()["token"]
    c = Client(headers={"Authorization": f"Bearer {token}"})
    r = c.post("/api/v1/my/online", json.dumps({"programs": ["dibao"]}), content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "draft" and len(body["signatures"]) == 2 and body["estimate"]
    pk = body["id"]
    r = c.post(
        f"/api/v1/my/online/{pk}/uploads", {"item": "病历", "file": SimpleUploadedFile("a.png", png(5), "image/png")}
    )
    assert r.status_code == 201 and r.json()["uploads"] == ["病历"]
    r = c.post(f"/api/v1/my/online/{pk}/submit")
    assert r.status_code == 409 and r.json()["code"] == "unsigned"
    sig = body["signatures"][1]["id"]
    assert c.post(f"/api/v1/my/online/{pk}/signatures/{sig}/link").status_code == 200
    assert "/my/sign/" in sms_lines(sms_file, ours.phones[1])[-1]
    assert c.get(f"/api/v1/my/online/{other.pk}").status_code == 404
    their_sig = other.signatures.first().pk
    assert c.post(f"/api/v1/my/online/{pk}/signatures/{their_sig}/link").status_code == 404
    assert c.post(f"/api/v1/my/online/{other.pk}/submit").status_code == 404
    assert Client().get(f"/api/v1/my/online/{pk}").status_code == 401
