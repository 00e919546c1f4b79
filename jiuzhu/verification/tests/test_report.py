"""一键核对 (VER-4): an immutable 核对报告 of every member's facts from every source,
compared with the program's thresholds by the rules engine; 先授权、后核对 (VER-5);
只核对、不认定; every read audited with the request it served."""

import subprocess
from typing import Any

import pytest
from django.db import connection

from jiuzhu.audit.models import AuditEntry
from jiuzhu.verification.actions import request_verification, run_verification
from jiuzhu.verification.models import AppendOnly, Authorization, Report

from .conftest import csv_bytes, headers_of, plain_ids, row_for

pytestmark = pytest.mark.django_db


def deposit_file(id_number, balance):
    return csv_bytes(
        headers_of("renhang.deposit"),
        [
            row_for(
                "renhang.deposit",
                id_number=id_number,
                bank="台儿庄农商银行",
                last4="1234",
                deposit_type="定期",
                balance=balance,
                as_of="2026-10-31",
            )
        ],
    )


@pytest.fixture
def rich_household(world, catalog, authorized, upload, vehicle_file):
    """A family of three with a car and 30万元 in the bank (both over the 低保 limits)."""
    h = authorized("张山子镇", size=3)
    ids = plain_ids(h)
    upload("gongan.vehicle", vehicle_file((ids[0], "鲁D12345")))
    upload("renhang.deposit", deposit_file(ids[1], "30万元"))
    return h


def test_it_refuses_to_verify_without_every_adults_authorization(world, catalog, household_in, api_of):
    """VER-5 先授权、后核对: no 授权书, no verification (409 authorization_missing)."""
    h = household_in("张山子镇", size=2)
    r = api_of("tez_hecha").post(
        "/api/v1/verifications", {"household_id": h.pk, "program": "dibao"}, content_type="application/json"
    )
    assert r.status_code == 409
    assert r.json()["code"] == "authorization_missing"
    assert not Report.objects.exists()


def test_it_issues_a_report_with_facts_findings_and_comparisons(rich_household, api_of):
    """VER-4, VER-10: facts with source, period and batch; totals; threshold comparison;
    findings 名下车辆1辆 / 存款超过标准; what could not be checked; no decision."""
    h = rich_household
    ids = plain_ids(h)
    r = api_of("tez_hecha").post(
        "/api/v1/verifications", {"household_id": h.pk, "program": "dibao"}, content_type="application/json"
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    c = body["content"]
    assert body["number"].startswith("HD370405-")
    assert [m["id_masked"] for m in c["members"]] == [i[:6] + "********" + i[-4:] for i in ids]
    assert all(m["authorization"] for m in c["members"] if m["age"] >= 18)
    sources = {f["source"] for f in c["facts"]}
    assert sources == {"gongan.vehicle", "renhang.deposit"}
    car = next(f for f in c["facts"] if f["source"] == "gongan.vehicle")
    assert (
        car["batch"] and car["loaded_at"] and car["period"] == "2024-05-01" and car["counted_as"].startswith("机动车辆")
    )
    messages = [f["message"] for f in c["findings"]]
    assert any("名下车辆1辆（鲁D12345）" in m for m in messages)
    assert any(m.startswith("存款超过标准：") for m in messages)
    comparisons = {t["code"]: t["within"] for t in c["comparisons"]}
    assert comparisons == {
        "income_below_standard": True,
        "deposits_within_limit": False,
        "vehicles_within_limit": False,
        "houses_within_limit": True,
        "no_registered_business": True,
    }
    assert "eligible" not in str(c) and "monthly_amount" not in str(c)  # 只核对、不认定
    assert "只核对、不认定" in c["statement"]
    unchecked = {u["source"]: u["reason"] for u in c["unchecked"]}
    assert unchecked["yibao.expense"] == "missing" and "gongan.vehicle" not in unchecked
    assert not any(i in str(c) for i in ids)
    # a yes-or-no figure reads 是/否, never Python's True/False (found on a 临时救助 report)
    thresholds = [t["value"] for t in c["thresholds"]]
    assert not {"True", "False"} & set(thresholds)
    from jiuzhu.verification.report import _value

    assert (_value("bool", False), _value("bool", True)) == ("否", "是")


def test_it_verifies_an_application_and_answers_its_pending_request(rich_household, api_of, case_of, world):
    """The applications contract: request_verification → pending; 一键核对 answers it."""
    h = rich_household
    application = case_of(h, state="investigating")
    req = request_verification(by=world.user("tez_zhangshanzi"), household=h, program="dibao", application=application)
    assert req.status == "pending"
    r = api_of("tez_hecha").post(
        "/api/v1/verifications", {"application_id": application.pk}, content_type="application/json"
    )
    assert r.status_code == 201
    done = application.verification_requests.filter(status="done")
    assert [x.pk for x in done] == [req.pk]
    assert done[0].report.number == r.json()["number"]
    assert r.json()["content"]["request"] == req.pk
    assert r.json()["application_id"] == application.pk


def test_it_makes_a_new_report_each_time_and_keeps_the_old_ones(rich_household, world):
    h = rich_household
    first = run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    second = run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    assert first.number != second.number and Report.objects.count() == 2
    first.refresh_from_db()
    first.content["findings"] = []
    with pytest.raises(AppendOnly):
        first.save()
    with pytest.raises(AppendOnly):
        first.delete()


def test_it_audits_every_read_with_the_request_it_served(rich_household, world, client_of, api_of):
    h = rich_household
    req = request_verification(by=world.user("tez_zhangshanzi"), household=h, program="dibao")
    report = run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    client_of("tez_hecha").get(f"/verification/reports/{report.pk}/")
    api_of("tez_hecha").get(f"/api/v1/verifications/{report.pk}")
    rows = AuditEntry.objects.filter(action__startswith="verification.report").order_by("seq")
    assert [r.action for r in rows] == [
        "verification.report.create",
        "verification.report.view",
        "verification.report.view",
    ]
    assert all(r.changes["request"] == req.pk for r in rows)
    assert rows[0].changes["facts_read"] == 2


def test_it_renders_the_pdf_with_an_embedded_chinese_font(rich_household, world, client_of, tmp_path):
    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    r = client_of("tez_hecha").get(f"/verification/reports/{report.pk}/pdf/")
    assert r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    path = tmp_path / "r.pdf"
    path.write_bytes(r.content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts or "WenQuanYi" in fonts, fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "家庭经济状况核对报告" in text and report.number in text and "名下车辆1辆" in text
    assert AuditEntry.objects.filter(action="verification.report.download").count() == 1


def test_it_hides_reports_outside_the_jurisdiction(rich_household, world, client_of, api_of):
    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    assert client_of("tez_zhangshanzi").get(f"/verification/reports/{report.pk}/").status_code == 200
    assert client_of("tez_jiantouji").get(f"/verification/reports/{report.pk}/").status_code == 404
    assert api_of("tez_jiantouji").get(f"/api/v1/verifications/{report.pk}").status_code == 404
    assert api_of("tez_yibao").get(f"/api/v1/verifications/{report.pk}").status_code == 403


def test_it_lets_only_the_verification_centre_run_verifications(rich_household, api_of):
    r = api_of("tez_zhangshanzi").post(
        "/api/v1/verifications",
        {"household_id": rich_household.pk, "program": "dibao"},
        content_type="application/json",
    )
    assert r.status_code == 403
    assert r.json()["message"] == "镇窗口经办无权开展家庭经济状况核对"


def test_it_lists_stale_sources_as_not_checked(rich_household, world):
    from datetime import timedelta

    from django.utils import timezone

    from jiuzhu.verification.models import Batch

    Batch.objects.filter(source__code="gongan.vehicle").update(loaded_at=timezone.now() - timedelta(days=60))
    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    stale = next(u for u in report.content["unchecked"] if u["source"] == "gongan.vehicle")
    assert stale["reason"] == "stale" and "超过35天未更新" in stale["message"]


def test_it_counts_only_the_latest_full_snapshot(rich_household, world, upload, vehicle_file):
    """A newer full batch of vehicles without the car replaces the older one (car sold)."""
    other = plain_ids(rich_household)[2]
    upload("gongan.vehicle", vehicle_file((other, "鲁D99999"), state="注销"))
    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    assert not any("名下车辆" in f["message"] for f in report.content["findings"])
    comparisons = {t["code"]: t["within"] for t in report.content["comparisons"]}
    assert comparisons["vehicles_within_limit"] is True
    assert next(f for f in report.content["facts"] if f["source"] == "gongan.vehicle")["counted_as"] == "已失效，不计入"


def test_it_counts_incomes_and_medical_costs_from_department_data(world, catalog, authorized, upload):
    h = authorized("张山子镇", size=2)
    ids = plain_ids(h)
    pension = [
        row_for("renshe.pension", id_number=ids[0], benefit="城镇职工基本养老金", month=f"2026-{m:02d}", amount="3,000")
        for m in range(1, 11)
    ]
    upload("renshe.pension", csv_bytes(headers_of("renshe.pension"), pension))
    report = run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    income = {t["code"]: t["monthly_fen"] for t in report.content["totals"]["income"]}
    assert income == {"pension": 250000}  # 10 months × 3000元 over the last 12 months ÷ 12
    assert {t["code"]: t["within"] for t in report.content["comparisons"]}["income_below_standard"] is False
    assert any(f["message"].startswith("收入超过标准") for f in report.content["findings"])


def test_it_refuses_a_pending_request_with_a_reason(rich_household, world, api_of):
    req = request_verification(by=world.user("tez_zhangshanzi"), household=rich_household, program="dibao")
    client = api_of("tez_hecha")
    assert (
        client.post(
            f"/api/v1/verifications/requests/{req.pk}/refuse", {"reason": ""}, content_type="application/json"
        ).status_code
        == 422
    )
    r = client.post(
        f"/api/v1/verifications/requests/{req.pk}/refuse", {"reason": "申请人撤回授权"}, content_type="application/json"
    )
    assert r.json()["status"] == "refused"
    assert client.get("/api/v1/verifications/requests").json() == []


def test_it_runs_one_click_from_the_queue_page(rich_household, world, client_of):
    req = request_verification(by=world.user("tez_zhangshanzi"), household=rich_household, program="dibao")
    client = client_of("tez_hecha")
    page = client.get("/verification/").content.decode()
    assert f'name="request_id" value="{req.pk}"' in page
    r = client.post("/verification/verify/", {"request_id": req.pk})
    report = Report.objects.get()
    assert r["Location"] == f"/verification/reports/{report.pk}/"
    page = client.get(r["Location"]).content.decode()
    assert "名下车辆1辆" in page and report.number in page
    req.refresh_from_db()
    assert (req.status, req.report_id) == ("done", report.pk)


def test_it_shows_a_missing_authorization_on_the_page(world, catalog, household_in, client_of):
    h = household_in("张山子镇", size=2)
    client = client_of("tez_hecha")
    r = client.post("/verification/verify/", {"household_id": h.pk, "program": "dibao"}, follow=True)
    assert "尚未签署家庭经济状况核对授权书" in r.content.decode()


def test_one_household_is_found_by_a_member_s_id_number(rich_household, world, household_in, client_of):
    """核对一户 (VER-*, 一证): the verifier types the ID number the window has, not our household
    number; a malformed number is refused with its reason, one outside the county is not found."""
    client = client_of("tez_hecha")
    son = plain_ids(rich_household)[2]
    r = client.post("/verification/verify/", {"household_id": son, "program": "dibao"})
    report = Report.objects.get()
    assert r["Location"] == f"/verification/reports/{report.pk}/" and report.household_id == rich_household.pk
    wrong = son[:-1] + ("1" if son[-1] == "0" else "0")  # a check digit that is not the son's
    bad = client.post("/verification/verify/", {"household_id": wrong, "program": "dibao"}, follow=True)
    assert "身份证" in bad.content.decode() and Report.objects.count() == 1
    elsewhere = plain_ids(household_in("坛山街道"))[0]  # 峄城区: another county's family
    outside = client.post("/verification/verify/", {"household_id": elsewhere, "program": "dibao"}, follow=True)
    assert "不在您的管辖范围内" in outside.content.decode() and Report.objects.count() == 1


def test_a_system_verifies_one_household_by_a_member_s_id_number(rich_household, household_in, api_of):
    """The same through the API: ``{"id_number", "program"}``; a malformed number is a 422 with its
    reason, a family outside the county a 404, nothing issued for either."""
    api = api_of("tez_hecha")
    son = plain_ids(rich_household)[2]

    def post(id_number: str) -> Any:
        body = {"id_number": id_number, "program": "dibao"}
        return api.post("/api/v1/verifications", body, content_type="application/json")

    r = post(son)
    assert r.status_code == 201, r.json()
    assert r.json()["household_id"] == rich_household.pk
    wrong = post(son[:-1] + ("1" if son[-1] == "0" else "0"))
    assert wrong.status_code == 422 and "校验位" in wrong.json()["message"]
    outside = post(plain_ids(household_in("坛山街道"))[0])
    assert outside.status_code == 404 and outside.json()["code"] == "not_found"
    assert Report.objects.count() == 1


def test_it_refuses_after_an_authorization_is_revoked(rich_household, world):
    from django.utils import timezone

    from jiuzhu.core.errors import DomainError

    Authorization.objects.filter(household=rich_household).update(revoked_at=timezone.now())
    with pytest.raises(DomainError) as exc:
        run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    assert exc.value.code == "authorization_missing"


def test_it_reads_facts_with_one_indexed_query(rich_household, world, django_assert_max_num_queries):
    from jiuzhu.verification.effects import fetch_current

    indexes = [p.id_number_index for p in rich_household.current_members()]
    with django_assert_max_num_queries(1):
        facts = fetch_current(indexes)
    assert len(facts) == 2
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SET enable_seqscan = off")  # a tiny test table: ask whether an index serves the query
            cur.execute(
                "EXPLAIN SELECT * FROM verification_fact WHERE person IN (%s, %s)", [i[:32] for i in indexes[:2]]
            )
            plan = "\n".join(r[0] for r in cur.fetchall())
            cur.execute("RESET enable_seqscan")
        assert "fact_person_idx" in plan or "person_idx" in plan, plan


def test_it_downloads_the_pdf_through_the_api(rich_household, world, api_of):
    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    r = api_of("tez_hecha").get(f"/api/v1/verifications/{report.pk}/pdf")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    assert (
        api_of("tez_hecha").get("/api/v1/verifications", {"household_id": rich_household.pk}).json()[0]["number"]
        == report.number
    )


def test_it_shows_a_households_verifications_and_missing_authorizations(world, catalog, household_in, client_of):
    h = household_in("张山子镇", size=2)
    page = client_of("tez_hecha").get(f"/verification/households/{h.pk}/").content.decode()
    assert "尚未签署核对授权书的成年成员" in page and 'data-testid="verify-button"' in page
    assert client_of("tez_jiantouji").get(f"/verification/households/{h.pk}/").status_code == 404


def test_the_workload_statistics_count_the_centres_work(rich_household, world, api_of, client_of):
    """VER-18: requests, reports and loaded department batches per month and town, on the
    page (with Excel) and through the API; other counties' work is not counted."""
    from django.utils import timezone

    from jiuzhu.verification.models import Batch

    api = api_of("tez_hecha")
    for _ in range(2):
        assert (
            api.post(
                "/api/v1/verifications",
                {"household_id": rich_household.pk, "program": "dibao"},
                content_type="application/json",
            ).status_code
            == 201
        )
    year = timezone.localdate().year
    body = api.get(f"/api/v1/verifications/workload?year={year}").json()
    town = rich_household.area_id[:9].ljust(12, "0")
    row = next(r for r in body["rows"] if r["area_code"] == town)
    assert row["reports"] == 2 and row["area_name"] == "张山子镇"
    loaded = Batch.objects.filter(status="loaded", county_code="370405")
    assert body["totals"]["batches"] == loaded.count() > 0
    assert body["totals"]["rows"] == sum(b.rows_loaded for b in loaded)
    assert api_of("tez_hecha").get("/api/v1/verifications/workload?year=1999").json()["code"] == "invalid_year"
    assert api_of("tez_yibao").get("/api/v1/verifications/workload").status_code == 403
    assert api_of("yc_county").get(f"/api/v1/verifications/workload?year={year}").json()["totals"]["reports"] == 0
    page = client_of("tez_hecha").get("/verification/workload/")
    assert page.status_code == 200 and "核对工作量统计" in page.content.decode()
    xlsx = client_of("tez_hecha").get(f"/verification/workload/?year={year}&format=xlsx")
    assert xlsx.content[:2] == b"PK"


def test_the_report_pdf_is_signed_once_and_verifiable(rich_household, world, client_of):
    """Issue 19 item 9: the 核对报告 carries a verification code and a PAdES signature; every
    download is the same signed file."""
    from jiuzhu.audit.models import SignedDocument
    from jiuzhu.web import seal

    report = run_verification(by=world.user("tez_hecha"), household=rich_household, program="dibao")
    first = client_of("tez_hecha").get(f"/verification/reports/{report.pk}/pdf/").content
    second = client_of("tez_hecha").get(f"/verification/reports/{report.pk}/pdf/").content
    assert first == second
    record = SignedDocument.objects.get(kind="report")
    assert record.number == report.number and record.issuer == "台儿庄区家庭经济状况核对中心"
    assert seal.check_copy(record, first).genuine
