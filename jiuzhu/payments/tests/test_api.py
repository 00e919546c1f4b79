"""The payments API and pages: the same actions, JSON errors, jurisdiction (404), files."""

import pytest

from jiuzhu.payments import actions
from jiuzhu.payments.models import LedgerEntry, Roster
from jiuzhu.payments.tests.conftest import NOV, result_csv

pytestmark = pytest.mark.django_db


def test_it_generates_checks_locks_and_exports_through_the_api(api_of, approved_case):
    """FND-4 through the API: 202 with progress, then the roster; the two-person rule is a 403."""
    approved_case()
    approved_case(account=None)
    county, admin = api_of("tez_county"), api_of("tez_admin")
    r = county.post(
        "/api/v1/payments/rosters", {"area_code": "370405", "month": "2026-11"}, content_type="application/json"
    )
    assert r.status_code == 202, r.content
    run_id = r.json()["run"]["id"]
    actions.run_roster(run_id)
    progress = county.get(f"/api/v1/payments/runs/{run_id}").json()
    assert progress["status"] == "done" and progress["percent"] == 100
    roster_id = progress["roster_id"]
    again = county.post(
        "/api/v1/payments/rosters", {"area_code": "370405", "month": "2026-11"}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["roster"]["id"] == roster_id
    lines = county.get(f"/api/v1/payments/rosters/{roster_id}/lines?exception=no_account").json()
    assert lines["count"] == 1 and lines["items"][0]["exceptions"][0]["label"] == "缺少银行账户"
    bad = county.post(
        f"/api/v1/payments/lines/{lines['items'][0]['id']}/resolve",
        {"decision": "pay", "note": "x"},
        content_type="application/json",
    )
    assert bad.status_code == 409 and bad.json()["code"] == "blocking_exception"
    county.post(
        f"/api/v1/payments/lines/{lines['items'][0]['id']}/resolve",
        {"decision": "hold", "note": "待补录"},
        content_type="application/json",
    )
    checked = county.post(f"/api/v1/payments/rosters/{roster_id}/actions/check", {}, content_type="application/json")
    assert checked.json()["status"] == "checked"
    county.post(f"/api/v1/payments/rosters/{roster_id}/actions/request_lock", {}, content_type="application/json")
    same = county.post(
        f"/api/v1/payments/rosters/{roster_id}/actions/confirm_lock", {}, content_type="application/json"
    )
    assert same.status_code == 403 and same.json()["code"] == "two_person_rule"
    locked = admin.post(
        f"/api/v1/payments/rosters/{roster_id}/actions/confirm_lock", {}, content_type="application/json"
    )
    assert locked.json()["status"] == "locked"
    file = county.post(f"/api/v1/payments/rosters/{roster_id}/bank-file", {}, content_type="application/json")
    assert file.status_code == 200 and file["Content-Type"] == "text/csv"
    batch_id = int(file["X-Batch-Id"])
    from jiuzhu.payments.models import BankBatch

    data = result_csv(BankBatch.objects.get(pk=batch_id))
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = county.post(
        f"/api/v1/payments/batches/{batch_id}/results", {"file": SimpleUploadedFile("回盘.csv", data, "text/csv")}
    )
    assert report.status_code == 200 and report.json()["paid"] == 1
    rec = county.get(f"/api/v1/payments/rosters/{roster_id}/reconciliation").json()
    assert rec["balanced"]
    xlsx = county.get(f"/api/v1/payments/rosters/{roster_id}/reconciliation?format=xlsx")
    assert xlsx.content[:2] == b"PK"
    stats = county.get("/api/v1/payments/stats?year=2026").json()
    assert stats["totals"]["paid_fen"] == LedgerEntry.objects.get(kind="payment").amount_fen
    by_need = {r["need"]: r for r in stats["by_need"]}  # FND-14
    assert by_need["all"]["paid_fen"] == stats["totals"]["paid_fen"] and by_need["all"]["households"] == 1


def test_a_bad_result_file_is_a_422_with_rows(api_of, approved_case, locked_roster, county):
    from django.core.files.uploadedfile import SimpleUploadedFile

    approved_case()
    roster = locked_roster()
    batch, _, _ = actions.export_bank_file(roster, by=county)
    data = result_csv(batch, rows=[["X1", "", "10.00", "成功", ""]])
    r = api_of("tez_county").post(
        f"/api/v1/payments/batches/{batch.pk}/results", {"file": SimpleUploadedFile("r.csv", data, "text/csv")}
    )
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "results_rejected" and body["errors"][0] == {
        "row": 3,
        "column": "业务编号",
        "message": "业务编号X1不存在（未知记录）",
    }


def test_other_counties_and_towns_get_404(api_of, approved_case, county):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    assert api_of("yc_county").get(f"/api/v1/payments/rosters/{roster.pk}").status_code == 404
    assert api_of("tez_zhangshanzi").get(f"/api/v1/payments/rosters/{roster.pk}").status_code == 404
    assert api_of("tez_viewer").get(f"/api/v1/payments/rosters/{roster.pk}").status_code == 200


def test_validation_errors_are_chinese(api_of):
    r = api_of("tez_county").post(
        "/api/v1/payments/rosters", {"area_code": "370405", "month": "十一月"}, content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["message"] == "月份格式应为“2026-12”"


def test_the_pages_render_for_each_step(client_of, approved_case, locked_roster, county):
    app = approved_case()
    roster = locked_roster()
    c = client_of("tez_county")
    for url in [
        "/payments/",
        f"/payments/rosters/{roster.pk}/",
        f"/payments/rosters/{roster.pk}/?exception=any",
        f"/payments/cases/{app.pk}/",
        "/payments/reserves/",
        "/payments/reviews/",
        "/payments/recoveries/",
        "/payments/stats/",
        "/payments/checks/",
        f"/payments/rosters/{roster.pk}/reconciliation/",
    ]:
        r = c.get(url)
        assert r.status_code == 200, url
    r = c.post(f"/payments/rosters/{roster.pk}/bank-file/", {})
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert Roster.objects.get(pk=roster.pk).status == "exported"
    page = c.get(f"/payments/rosters/{roster.pk}/")
    assert "导入回盘" in page.content.decode()


def test_a_page_post_refusal_is_a_message_not_a_500(client_of, approved_case, county):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    r = client_of("tez_county").post(f"/payments/rosters/{roster.pk}/actions/confirm_lock/", follow=True)
    assert r.status_code == 200 and "须先提交锁定" in r.content.decode()


def test_the_generate_form_goes_to_the_progress_page(client_of, approved_case):
    approved_case()
    c = client_of("tez_county")
    r = c.post("/payments/rosters/new/", {"area_code": "370405000000", "month": "2026-11"})
    assert r.status_code == 302 and "/payments/runs/" in r["Location"]
    page = c.get(r["Location"])
    assert "排队中" in page.content.decode()
