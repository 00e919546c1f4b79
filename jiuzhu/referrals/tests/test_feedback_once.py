"""Department feedback belongs to the person (or the household) it names, once (issue 14 item 6):
one 24,000 元 医保 grant is 24,000 元 on the 两清单, in the register and in every total, not
24,000 元 per member. LNK-1, LNK-3, REG-2, REG-3."""

import json
import subprocess
import tempfile

import pytest

from jiuzhu.core.errors import InvalidInput
from jiuzhu.referrals import actions, lists
from jiuzhu.referrals.models import AssistanceRecord

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _referral(app, department):
    return next(r for r in app.created_referrals if r.department.code == department)


def _pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(content)
        fh.flush()
        return subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def test_a_grant_to_one_member_is_recorded_once(approved_dibao, api_of, client_of):
    """issue 14 item 6: 教育救助 of 2,000 元 for the pupil is one record of 2,000 元, not one per member."""
    app = approved_dibao()
    pupil = app.household.members.get(relation="child")
    ref = _referral(app, "jiaoti")
    done = post(
        api_of("tez_jiaoti"),
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {
            "granted": True,
            "note": "发放2026年秋季学期助学金",
            "recipients": [{"person_id": pupil.pk, "amount_fen": 200_000}],
            "granted_from": "2026-09-01",
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["granted_amount_fen"] == 200_000
    rows = AssistanceRecord.objects.filter(source="referral", source_ref=ref.number)
    assert [(r.person_id, r.amount_fen) for r in rows] == [(pupil.pk, 200_000)]
    service = api_of("tez_zhangshanzi").get(f"/api/v1/households/{app.household_id}/service-list").json()
    education = [r for r in service["records"] if r["program"] == "教育救助"]
    assert sum(r["amount_fen"] for r in education) == 200_000
    assert service["totals"]["once_fen"] == 200_000


def test_a_grant_naming_nobody_in_a_family_of_three_is_refused(approved_dibao, api_of):
    """issue 14 item 6: a per-person program's amount cannot be spread over every member."""
    app = approved_dibao()
    ref = _referral(app, "yibao")
    client = api_of("tez_yibao")
    bad = post(
        client,
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {"granted": True, "note": "已资助", "amount_fen": 2_400_000, "granted_from": "2026-10-01"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "recipients", bad.content
    assert "受助人员" in bad.json()["message"]
    both = [m["person_id"] for m in ref.facts["members"][:2]]
    bad = post(
        client,
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {"granted": True, "note": "已资助", "amount_fen": 2_400_000, "person_ids": both, "granted_from": "2026-10-01"},
    )
    assert bad.status_code == 422 and bad.json()["field"] == "recipients"
    assert not AssistanceRecord.objects.filter(source="referral").exists()
    one = post(
        client,
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {
            "granted": True,
            "note": "重特大疾病医疗救助",
            "amount_fen": 2_400_000,
            "person_ids": both[:1],
            "granted_from": "2026-10-01",
        },
    )
    assert one.status_code == 200
    assert list(AssistanceRecord.objects.filter(source="referral").values_list("amount_fen", flat=True)) == [2_400_000]


def test_the_department_form_asks_for_each_members_amount(approved_dibao, client_of):
    """The department's page: amounts are entered per member; one member's 24,000 元 is his."""
    app = approved_dibao()
    ref = _referral(app, "yibao")
    client = client_of("tez_yibao")
    page = client.get(f"/referrals/{ref.pk}/").content.decode()
    member = ref.facts["members"][0]
    assert f'name="amount_yuan_{member["person_id"]}"' in page
    client.post(
        f"/referrals/{ref.pk}/actions/decide/",
        {
            "granted": "1",
            "note": "大病医疗救助",
            f"amount_yuan_{member['person_id']}": "24000",
            "granted_from": "2026-10-01",
            "period": "once",
        },
    )
    ref.refresh_from_db()
    assert ref.status == "granted" and ref.granted_amount_fen == 2_400_000
    rows = list(AssistanceRecord.objects.filter(source="referral").values_list("person_id", "amount_fen"))
    assert rows == [(member["person_id"], 2_400_000)]


def test_a_household_grant_is_one_record_for_the_household(world, approved_dibao, household_in):
    """Housing help is the household's: one record, counted once, shown for the whole family."""
    from jiuzhu.accounts.models import Department, User

    department = Department.objects.get(code="zhujian", area_id="370405000000")
    User.objects.create(username="tez_zhujian", role="department", area_id="370405000000", department=department)
    app = approved_dibao()
    ref = next(r for r in app.created_referrals if r.department.code == "zhujian")
    clerk = User.objects.get(username="tez_zhujian")
    actions.decide(
        ref,
        by=clerk,
        granted=True,
        note="纳入危房改造",
        amount_fen=3_000_000,
        granted_from=ref.created_at.date(),
        person_ids=[m["person_id"] for m in ref.facts["members"]],
    )
    rows = AssistanceRecord.objects.filter(source="referral", source_ref=ref.number)
    assert rows.count() == 1
    row = rows.get()
    assert row.unit == "household" and row.amount_fen == 3_000_000 and row.person_id == app.applicant_id
    grants = [g for g in lists.service_list(app.household)["grants"] if g["program"] == row.program_name]
    assert len(grants) == 1 and grants[0]["amount_fen"] == 3_000_000 and "全家" in grants[0]["who"]


def test_our_dibao_approval_is_on_the_register_once(approved_dibao):
    """issue 14 item 6 for our own approval: every member is covered, the household's monthly
    amount is counted once (on the payee's row), not once per member."""
    app = approved_dibao()
    rows = AssistanceRecord.objects.filter(source="application", source_ref=app.number)
    assert rows.count() == app.household.members.count() == 3
    assert sum(r.amount_fen for r in rows) == app.amount_fen
    assert {r.unit for r in rows} == {"household"}
    grants = [g for g in lists.service_list(app.household)["grants"] if g["source"] == "application"]
    assert len(grants) == 1 and grants[0]["amount_fen"] == app.amount_fen and grants[0]["people"] == 3


def test_the_two_lists_pdf_shows_one_grant_once(approved_dibao, api_of, client_of):
    """issue 14 item 6 as the family reads it: the 两清单 PDF shows the 24,000 元 once."""
    app = approved_dibao()
    ill = app.household.members.get(relation="spouse")
    ref = _referral(app, "yibao")
    post(
        api_of("tez_yibao"),
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {
            "granted": True,
            "note": "重特大疾病医疗救助",
            "recipients": [{"person_id": ill.pk, "amount_fen": 2_400_000}],
            "granted_from": "2026-10-01",
        },
    )
    text = _pdf_text(client_of("tez_zhangshanzi").get(f"/households/{app.household_id}/lists.pdf").content)
    assert text.count("24,000.00元") == 2, text  # the grant's row and the total, nothing more
    assert "合计" in text and ill.name in text


def test_recipients_must_be_listed_members_with_amounts(approved_dibao, world):
    app = approved_dibao()
    ref = _referral(app, "jiaoti")
    with pytest.raises(InvalidInput) as exc:
        actions.decide(
            ref,
            by=world.user("tez_jiaoti"),
            granted=True,
            note="x",
            granted_from=ref.created_at.date(),
            recipients=[{"person_id": 999_999, "amount_fen": 100}],
        )
    assert exc.value.field == "recipients"
    with pytest.raises(InvalidInput):
        actions.decide(
            ref,
            by=world.user("tez_jiaoti"),
            granted=True,
            note="x",
            granted_from=ref.created_at.date(),
            recipients=[{"person_id": app.applicant_id, "amount_fen": -5}],
        )
