"""填写家庭情况 on the 掌上办 (issue 18 item 2; INT-2, INT-8, INT-22, LNK-3): the family declares
members who joined or left, each member's incomes and assets as the window asks, a phone
number and the address, with Chinese errors; the registry changes only when the town clerk
adopts a change at 受理, through the registry's own actions, audited; declared incomes and
assets become the case's facts. The staff case page shows the online signature records.
A member without a phone number in the registry signs at a number given at first use (item 1)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from jiuzhu.applications.models import Application
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.masking import mask_ip
from jiuzhu.portal import apply, declare
from jiuzhu.portal.models import DeclaredChange, OnlineApplication, OnlineSignature
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal
from jiuzhu.registry.tests import test_rotate_key

from . import test_apply
from .conftest import PHONES
from .test_apply import sign_from_phone, signed_in, sms_lines

applicants = test_apply.applicants  # the fixture, shared

pytestmark = pytest.mark.django_db


def _sign_all_and_submit(online: OnlineApplication, fam: Any, sms_file: Path) -> None:
    for sig in online.signatures.select_related("person"):
        apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    apply.submit(online, person=fam.head)


def test_the_family_declares_changes_and_the_clerk_adopts_them_at_acceptance(
    world, applicants, sms_file, client_of, new_id
):
    """INT-2, INT-8: declared on the phone, checked with Chinese errors, nothing in the registry
    until 受理; the clerk adopts some and declines one; each goes through the registry action
    (its own audit row) and the decision is audited; incomes and assets reach the case."""
    fam = applicants()
    web = signed_in(fam, sms_file)
    web.post("/my/apply/", {"programs": ["dibao"]})
    online = OnlineApplication.objects.get(household=fam.household)
    url = f"/my/apply/{online.pk}/"
    page = web.get(url).content.decode()
    assert "家庭情况" in page and "收入和财产" in page and "月工资性收入（元）" in page
    child = fam.household.members.get(relation="child")
    baby_id = new_id(age=0, area=fam.household.county_code)

    r = web.post(url, {"step": "add_member", "name": "赵小妹", "id_number": "12345", "relation": "child"})
    assert r.status_code == 422 and "身份证号码" in r.content.decode()
    r = web.post(url, {"step": "add_member", "name": "赵小妹", "id_number": baby_id, "relation": "self"})
    assert r.status_code == 422 and "不能为“本人”" in r.content.decode()
    r = web.post(url, {"step": "add_member", "name": "赵小宝", "id_number": fam.ids[2], "relation": "child"})
    assert r.status_code == 422 and "已在您家的登记中" in r.content.decode()
    r = web.post(url, {"step": "add_member", "name": "赵小妹", "id_number": baby_id, "relation": "child"})
    assert r.status_code == 200 and "已申报新增家庭成员" in r.content.decode()
    r = web.post(url, {"step": "remove_member", "member": child.pk, "reason": ""})
    assert r.status_code == 422 and "请填写迁出原因" in r.content.decode()
    r = web.post(url, {"step": "remove_member", "member": fam.head.pk, "reason": "外出"})
    assert r.status_code == 422 and "户主" in r.content.decode()
    assert web.post(url, {"step": "remove_member", "member": child.pk, "reason": "户口迁出"}).status_code == 200
    r = web.post(url, {"step": "phone", "member": fam.spouse.pk, "phone": "123"})
    assert r.status_code == 422 and "11位手机号" in r.content.decode()
    new_phone = next(PHONES)
    assert web.post(url, {"step": "phone", "member": fam.spouse.pk, "phone": new_phone}).status_code == 200
    assert web.post(url, {"step": "address", "address": "张山子镇新村路8号"}).status_code == 200
    r = web.post(url, {"step": "finances", "member": f"p{fam.head.pk}", "income_wage": "一千"})
    assert r.status_code == 422 and "月工资性收入（元）" in r.content.decode()
    r = web.post(
        url, {"step": "finances", "member": f"p{fam.head.pk}", "income_wage": "1200", "asset_deposits": "5000"}
    )
    assert r.status_code == 200 and "收入和财产已保存" in r.content.decode()
    baby = DeclaredChange.objects.get(kind="add_member")
    r = web.post(url, {"step": "finances", "member": f"c{baby.pk}", "income_support": "300"})
    assert r.status_code == 200
    online.refresh_from_db()
    assert online.finances[f"p{fam.head.pk}"] == {"incomes": {"wage": 120000}, "assets": {"deposits": 500000}}
    # the estimate now counts what was declared
    assert "您申报的收入" in web.get(url).content.decode()
    # nothing in the registry yet; the number is sealed, not stored plain
    assert fam.household.members.count() == 3 and unseal("phone", fam.spouse.phone_enc) == fam.phones[1]
    assert unseal("id_number", baby.id_number_enc) == baby_id and baby_id not in baby.id_number_masked

    _sign_all_and_submit(online, fam, sms_file)
    r = web.post(url, {"step": "address", "address": "别处"})
    assert r.status_code == 422 and "不能再修改" in r.content.decode()
    clerk = client_of("tez_zhangshanzi")
    queue = clerk.get("/online-intake/").content.decode()
    assert "赵小妹" in queue and "户口迁出" in queue and "工资性收入每月1200.00元" in queue and "存款5000.00元" in queue
    phone_change = DeclaredChange.objects.get(kind="phone")
    adopted = [c.pk for c in DeclaredChange.objects.exclude(pk=phone_change.pk)]
    r = clerk.post(f"/online-intake/{online.pk}/accept/", {"changes_shown": "1", "adopt": adopted})
    assert r.status_code == 302
    online.refresh_from_db()
    assert online.state == "accepted"
    # the registry as adopted: the baby joined, the child left, the address changed, the phone did not
    names = set(fam.household.members.values_list("name", flat=True))
    assert names == {"赵秀英", "钱大壮", "赵小妹"}
    fam.household.refresh_from_db()
    assert fam.household.address == "张山子镇新村路8号"
    fam.spouse.refresh_from_db()
    assert unseal("phone", fam.spouse.phone_enc) == fam.phones[1]
    states = dict(DeclaredChange.objects.values_list("kind", "state"))
    assert states == {"add_member": "adopted", "remove_member": "adopted", "phone": "declined", "address": "adopted"}
    assert DeclaredChange.objects.get(kind="add_member").decided_by.username == "tez_zhangshanzi"
    registry_audit = AuditEntry.objects.filter(object_type="registry.household", object_id=str(fam.household.pk))
    assert {"registry.member.add", "registry.member.remove", "registry.household.update"} <= set(
        registry_audit.values_list("action", flat=True)
    )
    adoption = registry_audit.filter(
        action__in=["registry.member.add", "registry.member.remove", "registry.household.update"]
    )
    assert set(adoption.values_list("actor__username", flat=True)) == {"tez_zhangshanzi"}
    decisions = AuditEntry.objects.filter(object_type="portal.onlineapplication", action__startswith="portal.change_")
    assert sorted(decisions.values_list("action", flat=True)) == [
        "portal.change_adopted",
        "portal.change_adopted",
        "portal.change_adopted",
        "portal.change_declined",
    ]
    # the case's facts: declared incomes and assets, the baby's too, the child gone
    case = Application.objects.get(intake=online.intake)
    members = case.facts["members"]
    assert len(members) == 3
    assert {"incomes": {"wage": 120000}, "assets": {"deposits": 500000}}.items() <= members[0].items()
    assert any(m.get("incomes") == {"support": 30000} for m in members)
    # the staff case page: online signature records with the address masked, and the changes
    page = clerk.get(f"/applications/{case.pk}/").content.decode()
    assert 'data-testid="online-signatures"' in page and "掌上办 · 短信验证码" in page
    assert "127.0.*.*" in page and "127.0.0.1" not in page
    assert "家庭成员迁出" in page and "未采纳" in page and "已采纳·已更新登记" in page


def test_a_change_the_registry_refuses_leaves_nothing_half_done(world, applicants, sms_file, client_of):
    """No partial writes: a declared member already registered in another household stops the
    受理 with the registry's Chinese message; nothing changes; declining it lets 受理 go on."""
    fam, other = applicants(), applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    declare.declare_address(online, by_person=fam.head, address="新地址1号")
    declare.declare_member(
        online,
        by_person=fam.head,
        data={"name": "钱大壮", "id_number": other.ids[1], "relation": "other", "phone": other.phones[1]},
    )
    for sig in online.signatures.select_related("person", "change"):  # an adult declared new signs too
        apply.send_link(sig, by_person=fam.head, base_url="http://testserver/")
    sign_from_phone(sms_file, fam.phones[0], "赵秀英")
    sign_from_phone(sms_file, fam.phones[1], "钱大壮")
    sign_from_phone(sms_file, other.phones[1], "钱大壮")
    apply.submit(online, person=fam.head)
    clerk = client_of("tez_zhangshanzi")
    r = clerk.post(f"/online-intake/{online.pk}/accept/", follow=True)
    assert "同一人只能属于一个家庭" in r.content.decode()
    online.refresh_from_db()
    fam.household.refresh_from_db()
    assert online.state == "submitted" and online.intake is None and fam.household.address != "新地址1号"
    assert set(DeclaredChange.objects.values_list("state", flat=True)) == {"declared"}
    keep = DeclaredChange.objects.get(kind="address").pk
    assert clerk.post(f"/online-intake/{online.pk}/accept/", {"changes_shown": "1", "adopt": [keep]}).status_code == 302
    fam.household.refresh_from_db()
    assert fam.household.address == "新地址1号" and fam.household.members.count() == 3
    assert OnlineSignature.objects.get(application=online, change__isnull=False).void_reason  # not adopted: void


def test_a_member_without_a_phone_signs_at_a_number_given_at_first_use(
    world, household_in, new_id, sms_file, client_of
):
    """Item 1 ("the phone number in the registry or given at first use"), INT-22: the applicant
    gives the member's own number (not another member's; at most three numbers), the link and
    the code go there, the signature and the audit say it was given at first use, and the
    number is a declared change the town may adopt."""
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
    head, husband = h.members.get(relation="self"), h.members.get(relation="spouse")
    online = apply.start(head, programs=["dibao"], reason="")
    sig = online.signatures.get(person=husband)
    with pytest.raises(Exception) as exc:
        apply.send_link(sig, by_person=head, base_url="http://testserver/")
    assert getattr(exc.value, "code", "") == "no_phone" and "本人的手机号" in exc.value.message
    web = Client()
    web.post("/my/login/", {"id_number": ids[0], "step": "send"})
    from .conftest import last_code

    web.post("/my/login/", {"id_number": ids[0], "code": last_code(sms_file, head_phone), "step": "login"})
    url = f"/my/apply/{online.pk}/"
    page = web.get(url).content.decode()
    assert "系统中没有周老汉的手机号" in page
    r = web.post(url, {"step": "link", "signature": sig.pk, "phone": head_phone})
    assert r.status_code == 422 and "另一位家庭成员的手机号" in r.content.decode()
    r = web.post(url, {"step": "link", "signature": sig.pk, "phone": "0632-1234567"})
    assert r.status_code == 422 and "11位手机号" in r.content.decode()
    his_phone = next(PHONES)
    r = web.post(url, {"step": "link", "signature": sig.pk, "phone": his_phone})
    assert r.status_code == 200 and "签署链接已发送到周老汉的手机" in r.content.decode()
    assert "/my/sign/" in sms_lines(sms_file, his_phone)[-1]
    # resending keeps the number given (an empty field does not ask again); the link interval holds
    r = web.post(url, {"step": "link", "signature": sig.pk, "phone": ""})
    assert r.status_code == 429 and "1分钟" in r.content.decode()
    assert "签署链接发到首次使用时提供的手机号" in web.get(url).content.decode()
    sign_from_phone(sms_file, his_phone, "周老汉")
    sig.refresh_from_db()
    assert sig.phone_source == "first_use" and sig.phone_masked.endswith(his_phone[-4:])
    signed = AuditEntry.objects.filter(action="portal.apply_sign").last()
    assert "首次使用时提供" in json.dumps(signed.changes, ensure_ascii=False)
    given = AuditEntry.objects.filter(action="portal.declare_change").last()
    assert "首次使用时提供" in json.dumps(given.changes, ensure_ascii=False) and his_phone not in json.dumps(
        given.changes, ensure_ascii=False
    )
    change = DeclaredChange.objects.get(kind="phone", person=husband)
    assert change.first_use and unseal("phone", change.phone_enc) == his_phone
    # a limit on numbers per member
    other = OnlineSignature.objects.get(pk=sig.pk)
    OnlineSignature.objects.filter(pk=other.pk).update(signed_at=None, phones_given=declare.MAX_GIVEN_PHONES)
    other.refresh_from_db()
    with pytest.raises(Exception) as exc:
        declare.give_phone(other, by_person=head, phone=next(PHONES))
    assert getattr(exc.value, "status", 0) == 429
    # the town adopts the number into the registry at 受理
    OnlineSignature.objects.filter(pk=sig.pk).update(signed_at="2026-01-01T00:00:00Z")
    apply.send_link(online.signatures.get(person=head), by_person=head, base_url="http://testserver/")
    sign_from_phone(sms_file, head_phone, "孙桂英")
    apply.submit(online, person=head)
    apply.accept(online, by=world.user("tez_zhangshanzi"))
    husband.refresh_from_db()
    assert unseal("phone", husband.phone_enc) == his_phone
    online.refresh_from_db()
    case = Application.objects.get(intake=online.intake)
    page = client_of("tez_zhangshanzi").get(f"/applications/{case.pk}/").content.decode()
    assert "首次使用时提供" in page


def test_declarations_by_api_and_another_households_objects(world, applicants, sms_file):
    """INT-2, INT-22 on /api/v1/my/: changes and finances of the own application; another
    household's application is 404; a bad amount is a 422 with a Chinese message."""
    ours, theirs = applicants(), applicants()
    other = apply.start(theirs.head, programs=["dibao"], reason="")
    api = Client()
    api.post("/api/v1/my/login/code", json.dumps({"id_number": ours.ids[0]}), content_type="application/json")
    from .conftest import last_code

    token = api.post(
        "/api/v1/my/login",
        json.dumps({"id_number": ours.ids[0], "code": last_code(sms_file, ours.phones[0])}),
        content_type="application/json",
    ).json()["token"]
    c = Client(headers={"Authorization": f"Bearer {token}"})
    pk = c.post("/api/v1/my/online", json.dumps({"programs": ["dibao"]}), content_type="application/json").json()["id"]
    r = c.post(
        f"/api/v1/my/online/{pk}/changes",
        json.dumps({"kind": "address", "address": "新家1号"}),
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["changes"][0]["kind"] == "家庭住址"
    key = f"p{ours.head.pk}"
    r = c.put(
        f"/api/v1/my/online/{pk}/finances/{key}",
        json.dumps({"values": {"income_wage": "-5"}}),
        content_type="application/json",
    )
    assert r.status_code == 422 and "不能为负数" in r.json()["message"]
    r = c.put(
        f"/api/v1/my/online/{pk}/finances/{key}",
        json.dumps({"values": {"income_wage": "800"}}),
        content_type="application/json",
    )
    assert r.status_code == 200
    assert next(m for m in r.json()["finances"] if m["key"] == key)["finances"] == {"incomes": {"wage": 80000}}
    r = c.post(
        f"/api/v1/my/online/{other.pk}/changes",
        json.dumps({"kind": "address", "address": "x"}),
        content_type="application/json",
    )
    assert r.status_code == 404
    their_member = f"p{theirs.head.pk}"
    r = c.put(
        f"/api/v1/my/online/{pk}/finances/{their_member}",
        json.dumps({"values": {"income_wage": "1"}}),
        content_type="application/json",
    )
    assert r.status_code == 422 and not OnlineApplication.objects.get(pk=other.pk).finances
    change = DeclaredChange.objects.get(application_id=pk)
    assert c.delete(f"/api/v1/my/online/{other.pk}/changes/{change.pk}").status_code == 404
    assert c.delete(f"/api/v1/my/online/{pk}/changes/{change.pk}").status_code == 200
    assert not DeclaredChange.objects.exists()
    # a member of another household cannot be declared as leaving ours
    r = c.post(
        f"/api/v1/my/online/{pk}/changes",
        json.dumps({"kind": "remove_member", "member": theirs.spouse.pk, "reason": "迁出"}),
        content_type="application/json",
    )
    assert r.status_code == 422 and Person.objects.filter(pk=theirs.spouse.pk, household=theirs.household).exists()


def test_mask_ip_keeps_only_the_network():
    assert mask_ip("218.56.33.7") == "218.56.*.*"
    assert mask_ip("2408:8207:1:2::5") == "2408:8207:*:*"
    assert mask_ip(None) == "" and mask_ip("x") == "*"


key_file = test_rotate_key.key_file  # the fixture, shared


def test_declared_numbers_are_re_encrypted_with_a_new_data_key(world, applicants, key_file, new_id):
    """Rule 7 (SUP-9): the declared ID number and phone, and a number given at first use, are
    sealed values the key rotation walks."""
    fam = applicants()
    online = apply.start(fam.head, programs=["dibao"], reason="")
    baby_id = new_id(age=0, area=fam.household.county_code)
    declare.declare_member(
        online, by_person=fam.head, data={"name": "赵小妹", "id_number": baby_id, "relation": "child"}
    )
    declare.declare_phone(online, by_person=fam.head, member_id=fam.spouse.pk, phone="13912345678")
    OnlineSignature.objects.filter(application=online).update(
        given_phone_enc=DeclaredChange.objects.get(kind="phone").phone_enc
    )
    test_rotate_key.run()
    test_rotate_key.run("--activate")
    from jiuzhu.registry.pii import cipher

    kid = cipher().data_key_id
    baby, phone = DeclaredChange.objects.get(kind="add_member"), DeclaredChange.objects.get(kind="phone")
    assert bytes(baby.id_number_enc)[1:5].hex() == kid and unseal("id_number", baby.id_number_enc) == baby_id
    assert bytes(phone.phone_enc)[1:5].hex() == kid and unseal("phone", phone.phone_enc) == "13912345678"
    for sig in OnlineSignature.objects.filter(application=online):
        assert bytes(sig.given_phone_enc)[1:5].hex() == kid
