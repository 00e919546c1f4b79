"""一体联动 (LNK-1 … LNK-6, REG-2, REG-3, REG-6, GOV-14)."""

import datetime as dt
import json

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, NotFound
from jiuzhu.referrals import actions
from jiuzhu.referrals.models import AssistanceRecord, Referral, ReferralPolicy

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_approval_refers_to_medical_and_education(approved_dibao):
    """LNK-4 多事一流程: 低保 → 医保 参保资助 and 教体 教育救助 (a child at school)."""
    app = approved_dibao()
    departments = {r.department.code: r.program.code for r in app.created_referrals}
    assert departments["yibao"] == "medical_insurance_subsidy"
    assert departments["jiaoti"] == "education_assistance"
    assert all(r.due_on > dt.date.today() for r in app.created_referrals)


def test_programs_whose_department_has_no_account_are_reported(approved_dibao):
    app = approved_dibao()
    assert any("尚无办理人员账号" in s.message for s in app.skipped)


def test_the_department_sees_only_its_own_referrals(approved_dibao, api_of):
    approved_dibao()
    yibao = api_of("tez_yibao").get("/api/v1/referrals", {"status": "open"}).json()
    assert yibao and {r["department"] for r in yibao} == {"yibao"}
    jiaoti = api_of("tez_jiaoti").get("/api/v1/referrals", {"status": "open"}).json()
    assert {r["department"] for r in jiaoti} == {"jiaoti"}
    assert api_of("tez_jiaoti").get(f"/api/v1/referrals/{yibao[0]['id']}").status_code == 404


def test_the_department_sees_masked_minimum_facts(approved_dibao, api_of):
    app = approved_dibao()
    ref = api_of("tez_jiaoti").get("/api/v1/referrals").json()[0]
    member = next(m for m in ref["facts"]["members"] if m.get("school_status"))
    assert "*" in member["name"] and "********" in member["id_number_masked"]
    assert app.household.address == ref["facts"]["household"]["address"]
    assert "bank_account" not in json.dumps(ref)


def test_the_department_works_its_inbox_and_the_result_reaches_the_service_list(approved_dibao, api_of, client_of):
    app = approved_dibao()
    client = api_of("tez_yibao")
    ref = client.get("/api/v1/referrals", {"status": "open"}).json()[0]
    assert post(client, f"/api/v1/referrals/{ref['id']}/actions/accept").json()["status"] == "accepted"
    done = post(
        client,
        f"/api/v1/referrals/{ref['id']}/actions/decide",
        {
            "granted": True,
            "note": "已资助2027年度城乡居民医保个人缴费",
            # 参保资助 is each member's own premium: every member is named with his or her amount
            # (issue 14 item 6: one amount is no longer copied onto every member)
            "recipients": [{"person_id": m["person_id"], "amount_fen": 38000} for m in ref["facts"]["members"]],
            "granted_from": "2027-01-01",
            "granted_to": "2027-12-31",
        },
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "granted"
    rows = AssistanceRecord.objects.filter(source="referral", department_code="yibao")
    assert rows.count() == len(ref["facts"]["members"])
    assert done.json()["granted_amount_fen"] == sum(r.amount_fen for r in rows) == 38000 * rows.count()
    service = api_of("tez_zhangshanzi").get(f"/api/v1/households/{app.household_id}/service-list").json()
    assert any(r["program"].startswith("困难群众参加基本医疗保险资助") for r in service["records"])
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.id}/").content.decode()
    assert "已救助" in page


def test_feedback_on_a_closed_referral_is_409(approved_dibao, api_of):
    approved_dibao()
    client = api_of("tez_yibao")
    ref = client.get("/api/v1/referrals").json()[0]
    post(client, f"/api/v1/referrals/{ref['id']}/actions/decide", {"granted": False, "note": "已享受其他资助"})
    again = post(client, f"/api/v1/referrals/{ref['id']}/actions/decide", {"granted": False, "note": "再次"})
    assert again.status_code == 409 and again.json()["code"] == "referral_closed"


def test_a_department_cannot_act_on_another_departments_referral(approved_dibao, world):
    app = approved_dibao()
    ref = next(r for r in app.created_referrals if r.department.code == "yibao")
    with pytest.raises(NotFound):
        actions.accept(ref, by=world.user("tez_jiaoti"))


def test_a_switched_off_program_gives_the_clerk_a_clear_message(approved_dibao, world, household_in):
    from jiuzhu.programs.models import AssistanceProgram

    program = AssistanceProgram.objects.get(code="medical_major_illness")
    ReferralPolicy.objects.create(county_code="370405", program=program, enabled=False)
    h = household_in("张山子镇")
    with pytest.raises(DomainError) as exc:
        actions.refer(h, "medical_major_illness", by=world.user("tez_zhangshanzi"), reason="重病")
    assert exc.value.code == "program_switched_off" and "停用" in exc.value.message


def test_a_second_open_referral_for_the_same_program_is_refused(approved_dibao, world):
    app = approved_dibao()
    with pytest.raises(DomainError) as exc:
        actions.refer(app.household, "education_assistance", by=world.user("tez_zhangshanzi"), reason="再派")
    assert exc.value.code == "duplicate_referral"


def test_the_town_answers_a_request_for_information(approved_dibao, world):
    app = approved_dibao()
    ref = next(r for r in app.created_referrals if r.department.code == "jiaoti")
    actions.request_info(ref, by=world.user("tez_jiaoti"), question="请提供学籍号")
    actions.reply_info(ref, by=world.user("tez_zhangshanzi"), answer="学籍号已线下报送")
    ref.refresh_from_db()
    assert ref.status == "accepted" and ref.info_reply == "学籍号已线下报送"


def test_overdue_referrals_show_on_the_board_and_are_escalated(approved_dibao, api_of, client_of):
    app = approved_dibao()
    Referral.objects.filter(pk=app.created_referrals[0].pk).update(due_on=dt.date(2026, 1, 5))
    board = api_of("tez_county").get("/api/v1/referrals/board").json()
    assert board["overdue"][0]["number"] == app.created_referrals[0].number
    assert actions.sweep()["escalated"] == 1
    assert AuditEntry.objects.filter(action="referrals.escalate").count() == 1
    assert actions.sweep()["escalated"] == 0
    page = client_of("tez_county").get("/referrals/board/").content.decode()
    assert app.created_referrals[0].number in page and "已督办" in page


def test_the_department_may_reveal_a_listed_persons_id_and_it_is_audited(approved_dibao, world):
    from jiuzhu.registry.pii import unseal

    app = approved_dibao()
    ref = next(r for r in app.created_referrals if r.department.code == "yibao")
    person_id = ref.facts["members"][0]["person_id"]
    from jiuzhu.registry.models import Person

    assert actions.reveal(ref, person_id, by=world.user("tez_yibao")) == unseal(
        "id_number", Person.objects.get(pk=person_id).id_number_enc
    )
    assert AuditEntry.objects.filter(action="referrals.reveal").exists()


def test_departments_import_recipients_all_or_nothing(world):
    from jiuzhu.referrals.records import import_records
    from jiuzhu.registry.importer import ImportRejected

    good = (
        "身份证号码,姓名,救助项目,开始日期,金额（元）,发放方式\n"
        "11010519491231002X,赵某,医疗救助,2026/01/05,1200,一次性\n"
    )
    bad = good + "123,钱某,医疗救助,2026-13-01,abc,一次性\n"
    with pytest.raises(ImportRejected) as exc:
        import_records("bad.csv", bad.encode("gbk"), by=world.user("tez_yibao"))
    assert {e.column for e in exc.value.rows} >= {"身份证号码"}
    assert AssistanceRecord.objects.count() == 0
    assert import_records("good.csv", good.encode("gbk"), by=world.user("tez_yibao")) == 1
    assert import_records("good.csv", good.encode("gbk"), by=world.user("tez_yibao")) == 0


def test_the_duplicate_check_flags_a_double_payment_across_departments(world, approved_dibao, api_of):
    """REG-6: the same help from two departments is flagged (多头救助)."""
    from jiuzhu.referrals.records import import_records
    from jiuzhu.registry.pii import unseal

    app = approved_dibao()
    full = unseal("id_number", app.applicant.id_number_enc)
    row = f"身份证号码,姓名,救助项目,开始日期\n{full},{app.applicant.name},temporary_medical,2026-10-01\n"
    import_records("a.csv", row.encode(), by=world.user("tez_yibao"))
    import_records("b.csv", row.encode(), by=world.user("tez_jiaoti"))
    flags = api_of("tez_county").get("/api/v1/referrals/checks").json()["flags"]
    assert any(f["kind"] == "duplicate" and app.applicant.name in f["message"] for f in flags)


def test_the_gap_check_finds_a_qualifying_household_without_referral(world, approved_dibao, api_of):
    app = approved_dibao()
    for r in app.created_referrals:
        actions.cancel(r, by=world.user("tez_zhangshanzi"), reason="测试撤销")
    flags = api_of("tez_county").get("/api/v1/referrals/checks").json()["flags"]
    assert any(f["kind"] == "gap" and f["household_id"] == app.household_id for f in flags)


def test_the_two_lists_print_as_a_pdf(approved_dibao, client_of):
    import subprocess
    import tempfile

    app = approved_dibao()
    r = client_of("tez_beiluo").get(f"/households/{app.household_id}/lists.pdf")
    if app.household.area_id != "370405101201":
        r = client_of("tez_zhangshanzi").get(f"/households/{app.household_id}/lists.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(r.content)
        fh.flush()
        text = subprocess.run(["pdftotext", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    assert "救助政策关爱清单" in text and "教育救助" in text


def test_the_inbox_page_lists_department_work(approved_dibao, client_of):
    approved_dibao()
    page = client_of("tez_jiaoti").get("/referrals/").content.decode()
    assert "教育救助" in page and "参保资助" not in page


def test_the_sweep_command_reports_what_it_did(approved_dibao, capsys):
    from django.core.management import call_command

    app = approved_dibao()
    Referral.objects.filter(pk=app.created_referrals[0].pk).update(due_on=dt.date(2026, 1, 5))
    call_command("sweep_referrals")
    assert "超期督办 1 件" in capsys.readouterr().out


def test_visits_are_recorded_and_a_second_visit_within_30_days_is_pointed_out(api_of, household_in):
    """REG-13: visit and pairing history per household, so duplicate visits are visible."""
    h = household_in("张山子镇")
    client = api_of("tez_zhangshanzi")
    first = post(
        client,
        f"/api/v1/households/{h.id}/visits",
        {
            "kind": "visit",
            "visited_on": dt.date.today().isoformat(),
            "organization": "区总工会",
            "visitors": "张某、李某",
            "content": "春节走访慰问",
            "amount_fen": 50000,
        },
    )
    assert first.status_code == 201 and first.json()["recent_visits"] == []
    second = post(
        client,
        f"/api/v1/households/{h.id}/visits",
        {
            "kind": "visit",
            "visited_on": dt.date.today().isoformat(),
            "organization": "区妇联",
            "visitors": "王某",
            "content": "走访",
            "amount_fen": 0,
        },
    )
    assert second.json()["recent_visits"][0]["organization"] == "区总工会"
    assert len(client.get(f"/api/v1/households/{h.id}/visits").json()) == 2
    bad = post(client, f"/api/v1/households/{h.id}/visits", {"kind": "party", "visited_on": "2026-01-01"})
    assert bad.status_code == 422


def test_department_and_supervisor_home_pages_show_referral_work(approved_dibao, client_of):
    app = approved_dibao()
    Referral.objects.filter(pk=app.created_referrals[0].pk).update(due_on=dt.date(2026, 1, 5))
    actions.sweep()
    department = app.created_referrals[0].department.code
    user = "tez_yibao" if department == "yibao" else "tez_jiaoti"
    page = client_of(user).get("/")
    assert page.context["referrals_overdue"] == 1 and page.context["referrals_escalated"] == 1
    assert client_of("tez_viewer").get("/").context["referrals_escalated"] == 1
