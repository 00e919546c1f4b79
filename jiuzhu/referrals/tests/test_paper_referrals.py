"""Referrals are offered only where they can be received (issue 14 item 11): online to a
department with a staff account, on paper (print the 转办单, record the reply by hand) to an
office without one. LNK-1, LNK-2, LNK-3, PRG-20."""

import json
import subprocess
import tempfile

import pytest
from django.utils import timezone

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.referrals import actions
from jiuzhu.referrals.models import AssistanceRecord, Referral

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(content)
        fh.flush()
        return subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def test_the_referral_list_offers_online_only_what_can_be_received(approved_dibao, api_of, client_of):
    """issue 14 item 11: 民政, 妇联 and 慈善 programs without a staff account are not offered
    for online referral; they are offered on paper with the reason; programs one applies for
    (低保, 特困 …) are not referrals at all."""
    app = approved_dibao()
    options = api_of("tez_zhangshanzi").get(f"/api/v1/households/{app.household_id}/referral-options").json()
    channel = {o["program"]: o for o in options}
    assert channel["education_assistance"]["channel"] == "online"
    assert channel["medical_insurance_subsidy"]["channel"] == "online"
    assert channel["women_two_cancers"]["channel"] == "paper"
    assert "尚无办理人员账号" in channel["women_two_cancers"]["note"]
    assert channel["charity_assistance"]["channel"] == "paper"
    assert "本县未设置慈善总会" in channel["charity_assistance"]["note"]
    assert channel["elderly_subsidy"]["channel"] == "paper"
    assert "dibao_urban" not in channel and "tekun" not in channel

    page = client_of("tez_zhangshanzi").get(f"/households/{app.household_id}/lists/").content.decode()
    online = page[page.index('data-testid="refer-online"') : page.index('data-testid="refer-paper"')]
    assert "教育救助" in online and "慈善救助" not in online and "两癌" not in online
    paper = page[page.index('data-testid="refer-paper"') :]
    assert "慈善救助" in paper


def test_an_online_referral_to_an_office_without_accounts_points_to_paper(approved_dibao, world):
    app = approved_dibao()
    with pytest.raises(DomainError) as exc:
        actions.refer(app.household, "women_two_cancers", by=world.user("tez_zhangshanzi"), reason="筛查")
    assert exc.value.code == "department_without_users" and "线下转办" in exc.value.message
    with pytest.raises(DomainError) as exc:
        actions.refer(app.household, "charity_assistance", by=world.user("tez_zhangshanzi"), reason="慈善")
    assert exc.value.code == "department_missing" and "线下转办" in exc.value.message


def test_a_paper_referral_is_printed_and_its_reply_recorded_by_hand(approved_dibao, world, client_of):
    """issue 14 item 11: the clerk refers to 慈善总会 on paper, prints the 转办单 with its reply
    slip, and records the reply; the help reaches the register and the 两清单 once."""
    app = approved_dibao()
    clerk = world.user("tez_zhangshanzi")
    ref = actions.refer(app.household, "charity_assistance", by=clerk, reason="大病后生活困难", channel="paper")
    assert ref.channel == "paper" and ref.department is None and ref.office == "台儿庄区慈善总会"
    assert ref.status == "open"

    r = client_of("tez_zhangshanzi").get(f"/referrals/{ref.pk}/transfer.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    text = _pdf_text(r.content)
    for words in ("社会救助转办单", "台儿庄区慈善总会", "慈善救助", "回执", ref.number, "大病后生活困难"):
        assert words in text, words
    assert AuditEntry.objects.filter(action="referrals.print").count() == 1

    spouse = app.household.members.get(relation="spouse")
    actions.record_reply(
        ref,
        by=clerk,
        outcome="granted",
        note="慈善总会救助金",
        recipients=[{"person_id": spouse.pk, "amount_fen": 500_000}],
        granted_from=timezone.localdate(ref.created_at),
        replied_on=timezone.localdate(ref.created_at),
        replier="慈善总会 王某",
    )
    ref.refresh_from_db()
    assert ref.status == "granted" and ref.granted_amount_fen == 500_000
    row = AssistanceRecord.objects.get(source="referral", source_ref=ref.number)
    assert (row.person_id, row.amount_fen, row.department_code) == (spouse.pk, 500_000, "cishan")
    entry = AuditEntry.objects.filter(action="referrals.record_reply").get()
    assert entry.changes["replier"] == "慈善总会 王某"


def test_only_the_town_records_a_paper_reply(approved_dibao, world):
    from jiuzhu.accounts.models import Department, User

    app = approved_dibao()
    ref = actions.refer(
        app.household, "women_two_cancers", by=world.user("tez_zhangshanzi"), reason="筛查", channel="paper"
    )
    assert ref.department.code == "fulian" and ref.office == "台儿庄区妇女联合会"
    fulian = User.objects.create(
        username="tez_fulian",
        role="department",
        area_id="370405000000",
        department=Department.objects.get(code="fulian"),
    )
    assert not Referral.objects.visible_to(fulian).filter(pk=ref.pk).exists()
    with pytest.raises(NotFound):
        actions.accept(ref, by=fulian)
    with pytest.raises(DomainError) as exc:
        actions.record_reply(
            ref, by=world.user("tez_yibao"), outcome="denied", note="x", replied_on=timezone.localdate()
        )
    assert exc.value.status == 403
    online = next(r for r in app.created_referrals if r.department.code == "jiaoti")
    with pytest.raises(DomainError) as exc:
        actions.record_reply(
            online, by=world.user("tez_zhangshanzi"), outcome="denied", note="x", replied_on=timezone.localdate()
        )
    assert exc.value.code == "not_paper"


def test_paper_referrals_through_the_api(approved_dibao, api_of):
    app = approved_dibao()
    clerk = api_of("tez_zhangshanzi")
    created = post(
        clerk,
        "/api/v1/referrals",
        {"household_id": app.household_id, "program": "charity_assistance", "reason": "生活困难", "channel": "paper"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["channel"] == "paper" and body["department"] is None and body["office"] == "台儿庄区慈善总会"
    reply = post(
        clerk,
        f"/api/v1/referrals/{body['id']}/actions/record_reply",
        {
            "outcome": "denied",
            "note": "不符合慈善总会救助条件",
            "replied_on": timezone.localdate().isoformat(),
            "replier": "慈善总会",
        },
    )
    assert reply.status_code == 200, reply.content
    assert reply.json()["status"] == "denied"
    assert clerk.get(f"/api/v1/referrals/{body['id']}/transfer.pdf").status_code == 200
    future = post(
        clerk,
        "/api/v1/referrals",
        {"household_id": app.household_id, "program": "chunlei_plan", "reason": "助学", "channel": "post"},
    )
    assert future.status_code == 422 and future.json()["field"] == "channel"


def test_the_case_page_suggests_paper_for_offices_without_accounts(approved_dibao, client_of):
    app = approved_dibao()
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.pk}/").content.decode()
    suggestions = page[page.index("联动建议") :]
    assert "线下转办" in suggestions
