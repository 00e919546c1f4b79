"""Online signatures and the members the town adopts (issue 18 items 1 and 2; INT-2, INT-22):
a member declared new signs the 授权书 from the number declared with him, and it counts once
the clerk adopts him; a declined member's signature and that of a member whose removal the
clerk adopts are void (已作废, with the reason, on the staff case page); a member without a
phone in the registry signs in at the number given at first use once he has confirmed it by
signing, never at a number typed at the sign-in page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jiuzhu.applications.models import Application
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.portal import actions, apply, declare, settle
from jiuzhu.portal.models import DeclaredChange, LoginCode, OnlineApplication, OnlineSignature
from jiuzhu.registry.pii import unseal
from jiuzhu.verification.models import Authorization

from . import test_apply
from .conftest import PHONES, last_code
from .test_apply import sign_from_phone, signed_in, sms_lines

applicants = test_apply.applicants  # the fixture, shared

pytestmark = pytest.mark.django_db


def _declare_adult(online: OnlineApplication, fam: Any, new_id: Any, phone: str) -> DeclaredChange:
    return declare.declare_member(
        online,
        by_person=fam.head,
        data={
            "name": "孙志强",
            "id_number": new_id(age=25, area=fam.household.county_code),
            "relation": "other",
            "phone": phone,
        },
    )


def _sign_all(online: OnlineApplication, fam: Any, sms_file: Path, extra: dict[str, str]) -> None:
    """Links to everyone; the two registry adults and the ``extra`` {phone: name} sign."""
    for sig in online.signatures.select_related("person", "change"):
        apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    for phone, name in extra.items():
        sign_from_phone(sms_file, phone, name)


def test_a_member_declared_new_signs_at_his_declared_number_and_counts_once_adopted(
    world, applicants, sms_file, client_of, new_id
):
    """INT-22: an adult declared new must be given his own mobile number (not another
    member's); the link and code go there; the signature says where the number came from; the
    application waits for him; the clerk's 受理 registers him with that number and his
    signature becomes his 授权书 (nothing missing)."""
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    with pytest.raises(InvalidInput) as exc:
        _declare_adult(online, fam, new_id, "")
    assert exc.value.field == "member.phone" and "本人手机号" in exc.value.message
    with pytest.raises(InvalidInput) as exc:
        _declare_adult(online, fam, new_id, fam.phones[1])
    assert "另一位家庭成员的手机号" in exc.value.message
    his_phone = next(PHONES)
    change = _declare_adult(online, fam, new_id, his_phone)
    assert unseal("phone", change.phone_enc) == his_phone and change.phone_masked.endswith(his_phone[-4:])
    sig = OnlineSignature.objects.get(change=change)
    assert sig.person is None and sig.documents == ["authorization"]
    declared = AuditEntry.objects.filter(action="portal.declare_change").last()
    text = json.dumps(declared.changes, ensure_ascii=False)
    assert change.phone_masked in text and his_phone not in text

    web = signed_in(fam, sms_file)
    page = web.get(f"/my/apply/{online.pk}/").content.decode()
    assert "孙志强（新申报成员）" in page and f"申报时填写的手机号 {change.phone_masked}" in page
    for s in online.signatures.exclude(pk=sig.pk):
        apply.send_link(s, by_person=fam.head, base_url="http://testserver/")
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    with pytest.raises(DomainError) as err:
        apply.submit(online, person=fam.head)
    assert "孙志强" in err.value.message
    r = web.post(f"/my/apply/{online.pk}/", {"step": "link", "signature": sig.pk})
    assert r.status_code == 200 and "签署链接已发送到孙志强的手机" in r.content.decode()
    assert "/my/sign/" in sms_lines(sms_file, his_phone)[-1]
    sign_from_phone(sms_file, his_phone, "孙志强")
    sig.refresh_from_db()
    assert sig.phone_source == "declared" and sig.signed_at is not None
    apply.submit(online, person=fam.head)

    record_intake = apply.accept(online, by=world.user("tez_zhangshanzi"))
    him = fam.household.members.get(name="孙志强")
    assert unseal("phone", him.phone_enc) == his_phone
    sig.refresh_from_db()
    assert sig.person_id == him.pk and sig.voided_at is None
    case = Application.objects.get(intake=record_intake)
    assert case.missing_documents == []  # his 授权书 came from his phone
    assert Authorization.objects.filter(person=him, household=fam.household).count() == 1
    panel = client_of("tez_zhangshanzi").get(f"/applications/{case.pk}/").content.decode()
    assert "申报新增成员时提供" in panel and 'data-testid="signature-void"' not in panel


def test_a_declared_member_the_town_does_not_adopt_has_his_signature_voided(
    world, applicants, sms_file, client_of, new_id
):
    """Item 3 of the brief: the clerk declines the new member; his signature is void, kept
    with the reason, audited with the number masked, never a 授权书, shown as 已作废."""
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    his_phone = next(PHONES)
    change = _declare_adult(online, fam, new_id, his_phone)
    _sign_all(online, fam, sms_file, {his_phone: "孙志强"})
    apply.submit(online, person=fam.head)
    clerk = client_of("tez_zhangshanzi")
    r = clerk.post(f"/online-intake/{online.pk}/accept/", {"changes_shown": "1"})  # nothing ticked
    assert r.status_code == 302
    change.refresh_from_db()
    sig = OnlineSignature.objects.get(change=change)
    assert change.state == "declined" and sig.voided_at is not None and sig.void_reason == settle.NOT_ADOPTED
    assert sig.person is None and not fam.household.members.filter(name="孙志强").exists()
    voided = AuditEntry.objects.get(action="portal.signature_void")
    text = json.dumps(voided.changes, ensure_ascii=False)
    assert "孙志强" in text and sig.phone_masked in text and his_phone not in text
    assert voided.actor.username == "tez_zhangshanzi"
    online.refresh_from_db()
    case = Application.objects.get(intake=online.intake)
    assert case.missing_documents == []
    page = clerk.get(f"/applications/{case.pk}/").content.decode()
    assert 'data-testid="signature-void"' in page and "已作废" in page and settle.NOT_ADOPTED in page
    # the family sees it too
    assert "已作废" in signed_in(fam, sms_file).get(f"/my/apply/{online.pk}/").content.decode()


def test_an_adopted_removal_voids_the_members_signature(world, applicants, sms_file, client_of):
    """Item 3: the husband signed, then the family declared him leaving; the clerk adopts the
    removal, so his signature no longer counts (void, with the reason); the case is accepted
    without his 授权书 and without asking for it."""
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    declare.declare_removal(online, by_person=fam.head, member_id=fam.spouse.pk, reason="离婚迁出")
    _sign_all(online, fam, sms_file, {})
    apply.submit(online, person=fam.head)
    authorizations_before = Authorization.objects.filter(person=fam.spouse).count()
    clerk = client_of("tez_zhangshanzi")
    assert clerk.post(f"/online-intake/{online.pk}/accept/").status_code == 302
    online.refresh_from_db()
    assert online.state == "accepted"
    sig = OnlineSignature.objects.get(application=online, person=fam.spouse)
    assert sig.voided_at is not None and "成员迁出已采纳（离婚迁出）" in sig.void_reason
    assert Authorization.objects.filter(person=fam.spouse).count() == authorizations_before
    head_sig = OnlineSignature.objects.get(application=online, person=fam.head)
    assert head_sig.voided_at is None
    case = Application.objects.get(intake=online.intake)
    assert case.missing_documents == []
    page = clerk.get(f"/applications/{case.pk}/").content.decode()
    assert "已作废" in page and "成员迁出已采纳（离婚迁出）" in page


def test_a_declined_removal_keeps_the_members_signature(world, applicants, sms_file):
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    declare.declare_removal(online, by_person=fam.head, member_id=fam.spouse.pk, reason="外出务工")
    _sign_all(online, fam, sms_file, {})
    apply.submit(online, person=fam.head)
    apply.accept(online, by=world.user("tez_zhangshanzi"), adopted=[])
    sig = OnlineSignature.objects.get(application=online, person=fam.spouse)
    assert sig.voided_at is None and Authorization.objects.filter(person=fam.spouse).exists()


def _no_phone_family(world: Any, household_in: Any, new_id: Any) -> tuple[Any, Any, str, str]:
    county = world.village_in("张山子镇").county_code
    ids = [new_id(age=60, gender="F", area=county), new_id(age=62, area=county)]
    head_phone = next(PHONES)
    h = household_in(
        "张山子镇",
        members=[
            {"name": "孙桂英", "id_number": ids[0], "relation": "self", "phone": head_phone},
            {"name": "周老汉", "id_number": ids[1], "relation": "spouse"},
        ],
    )
    return h.members.get(relation="self"), h.members.get(relation="spouse"), head_phone, ids[1]


def _ask_code(client: Client, id_number: str) -> str:
    LoginCode.objects.update(created_at="2000-01-01T00:00:00Z")  # past the one-a-minute interval
    r = client.post("/my/login/", {"id_number": id_number, "step": "send"})
    return str(r.context["sent"])


def test_a_member_without_a_registry_phone_signs_in_at_the_number_he_confirmed_by_signing(
    world, household_in, new_id, sms_file, client
):
    """Item 1 "given at first use": before he has confirmed a number, nothing is sent (same
    answer as anyone); once the applicant gave his number and he signed with a code to it, the
    sign-in code goes there, the sign-in is recorded with the number masked; if the town
    declines that number at 受理, it no longer works."""
    head, husband, head_phone, his_id = _no_phone_family(world, household_in, new_id)
    sent_before = sms_file.read_text(encoding="utf-8").count("\n") if sms_file.exists() else 0
    answer = _ask_code(client, his_id)
    assert answer == actions.CODE_SENT
    assert (sms_file.read_text(encoding="utf-8").count("\n") if sms_file.exists() else 0) == sent_before
    login = client.get("/my/login/").content.decode()
    assert 'data-testid="no-phone-notice"' in login and "不能在登录页自行填写新手机号" in login

    online = apply.start(head, programs=["dibao"], reason="")
    his_phone = next(PHONES)
    sig = online.signatures.get(person=husband)
    declare.give_phone(sig, by_person=head, phone=his_phone)
    # given but not yet confirmed by him: still nothing
    assert _ask_code(client, his_id) == answer and not sms_lines(sms_file, his_phone)
    apply.send_link(sig, by_person=head, base_url="http://testserver/")
    sign_from_phone(sms_file, his_phone, "周老汉")

    assert _ask_code(client, his_id) == answer
    row = LoginCode.objects.order_by("-id").first()
    assert row.phone_source == "first_use" and row.phone_masked.endswith(his_phone[-4:])
    r = client.post("/my/login/", {"id_number": his_id, "code": last_code(sms_file, his_phone), "step": "login"})
    assert r.status_code == 302
    assert "周老汉" in client.get("/my/").content.decode()
    entry = AuditEntry.objects.get(action="portal.sign_in_first_use")
    text = json.dumps(entry.changes, ensure_ascii=False)
    assert row.phone_masked in text and his_phone not in text

    # the town declines the number at 受理: it no longer signs him in
    apply.send_link(online.signatures.get(person=head), by_person=head, base_url="http://testserver/")
    sign_from_phone(sms_file, head_phone, "孙桂英")
    apply.submit(online, person=head)
    apply.accept(online, by=world.user("tez_zhangshanzi"), adopted=[])
    assert DeclaredChange.objects.get(kind="phone", person=husband).state == "declined"
    sent = len(sms_lines(sms_file, his_phone))
    assert _ask_code(Client(), his_id) == answer
    assert len(sms_lines(sms_file, his_phone)) == sent
    assert actions.login_phone(husband) == ("", "")


def test_a_member_declared_leaving_need_not_sign(world, applicants, sms_file):
    """The family submits without the signature of a member it declared leaving: adopted, he
    is gone and nothing is missing; declined, the 一次性告知 asks for his 授权书."""
    for adopt, missing in ((None, []), ([], ["家庭经济状况核对授权书（钱大壮）"])):
        fam = applicants()
        online = apply.start(fam.head, programs=["dibao"], reason="")
        declare.declare_removal(online, by_person=fam.head, member_id=fam.spouse.pk, reason="外出务工迁出")
        assert apply.unsigned(online) == ["赵秀英"]
        apply.send_link(online.signatures.get(person=fam.head), by_person=fam.head, base_url="http://testserver/")
        sign_from_phone(sms_file, fam.phones[0], "赵秀英")
        page = signed_in(fam, sms_file).get(f"/my/apply/{online.pk}/").content.decode()
        assert "已申报迁出，可以不签署" in page
        apply.submit(online, person=fam.head)
        record_intake = apply.accept(online, by=world.user("tez_zhangshanzi"), adopted=adopt)
        case = Application.objects.get(intake=record_intake)
        assert [m["name"] for m in case.missing_documents] == missing
