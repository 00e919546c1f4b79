"""Bank files (社会化发放, FND-4): export in a bank's layout, import its results, re-issue."""

import csv
import io

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.payments import actions, queries
from jiuzhu.payments.models import LedgerEntry, RosterLine
from jiuzhu.payments.tests.conftest import DEC, NOV, new_account, result_csv, set_account

pytestmark = pytest.mark.django_db


@pytest.fixture
def exported(approved_case, locked_roster, county):
    apps = [approved_case(), approved_case(), approved_case("涧头集镇")]
    roster = locked_roster()
    batch, content, _name = actions.export_bank_file(roster, by=county)
    return roster, batch, content, apps


def test_it_exports_every_line_in_the_layout_and_audits_the_pii_export(county, exported):
    roster, batch, content, apps = exported
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"))))
    assert rows[0] == ["序号", "业务编号", "姓名", "身份证号码", "银行账号", "金额", "摘要"]
    assert len(rows) == 4
    line = roster.lines.get(application=apps[0])
    row = next(r for r in rows[1:] if r[1] == batch.lines.get(line=line).reference)
    assert row[5] == f"{line.amount_fen / 100:.2f}" and row[4].startswith("6228") and len(row[3]) == 18
    assert AuditEntry.objects.filter(action="payments.bank.export").count() == 1
    assert set(roster.lines.values_list("status", flat=True)) == {"sent"}


def test_it_writes_the_excel_layout_too(county, approved_case, locked_roster):
    from openpyxl import load_workbook

    approved_case()
    roster = locked_roster()
    layout = next(x for x in actions.layouts_for("370405", by=county) if x.code == "yikatong_xlsx")
    _batch, content, name = actions.export_bank_file(roster, by=county, layout=layout)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][4] == "社保卡（一卡通）账号" and name.endswith(".xlsx")
    assert isinstance(values[1][4], str) and values[1][7] == "202611"


def test_it_refuses_to_export_an_unlocked_roster(county, approved_case):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    with pytest.raises(DomainError) as exc:
        actions.export_bank_file(roster, by=county)
    assert exc.value.code == "not_locked"


def test_it_imports_results_lists_failures_and_reissues_them(county, exported):
    """The issue's walk: some transfers fail, the account is corrected, the failures go out again."""
    roster, batch, _, apps = exported
    failing = batch.lines.get(line__application=apps[1])
    report = actions.import_bank_results(
        batch, by=county, file_name="回盘.csv", data=result_csv(batch, fail={failing.reference: "账户已销户"})
    )
    assert (report.paid, report.failed, report.outstanding) == (2, 1, 0)
    assert report.failures[0]["message"] == "账户已销户"
    assert LedgerEntry.objects.filter(kind="payment").count() == 2
    assert roster.lines.get(application=apps[1]).status == "failed"
    set_account(apps[1].applicant, new_account())
    batch2, _content, _ = actions.reissue(roster, by=county)
    assert batch2.seq == 2 and batch2.line_count == 1 and batch2.kind == "reissue"
    report2 = actions.import_bank_results(batch2, by=county, file_name="回盘2.csv", data=result_csv(batch2))
    assert report2.paid == 1
    assert set(roster.lines.values_list("status", flat=True)) == {"paid"}
    roster.refresh_from_db()
    assert roster.status == "settled"
    rec = queries.reconciliation(roster)
    assert rec["balanced"], rec


def test_the_same_result_file_twice_changes_nothing(county, exported):
    _roster, batch, _, _ = exported
    data = result_csv(batch)
    actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=data)
    again = actions.import_bank_results(batch, by=county, file_name="回盘（重复）.csv", data=data)
    assert again.duplicate and again.paid == 3
    assert LedgerEntry.objects.filter(kind="payment").count() == 3


def test_a_different_file_with_the_same_results_is_idempotent(county, exported):
    _roster, batch, _, _ = exported
    actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=result_csv(batch))
    again = actions.import_bank_results(
        batch, by=county, file_name="回盘2.csv", data=result_csv(batch).replace(b"\r\n", b"\n")
    )
    assert again.unchanged == 3 and again.paid == 0
    assert LedgerEntry.objects.filter(kind="payment").count() == 3


def test_it_refuses_a_result_contradicting_an_earlier_one(county, exported):
    _roster, batch, _, _ = exported
    actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=result_csv(batch))
    first = batch.lines.order_by("id").first()
    with pytest.raises(InvalidInput) as exc:
        actions.import_bank_results(
            batch, by=county, file_name="x.csv", data=result_csv(batch, fail={first.reference: "x"})
        )
    assert "与本文件结果矛盾" in exc.value.as_dict()["errors"][0]["message"]


def test_it_refuses_a_result_file_of_another_month_with_the_row(county, approved_case, exported, admin):
    """A 回盘 of November handed in for December's batch is refused, naming the row and month."""
    _roster, nov_batch, _, _ = exported
    actions.import_bank_results(nov_batch, by=county, file_name="11月回盘.csv", data=result_csv(nov_batch))
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    for line in dec.lines.exclude(exceptions=[]):
        actions.resolve_line(line, by=county, decision="pay", note="核实")
    actions.check_roster(dec, by=county)
    actions.request_lock(dec, by=county)
    actions.confirm_lock(dec, by=admin)
    dec_batch, _, _ = actions.export_bank_file(dec, by=county)
    with pytest.raises(InvalidInput) as exc:
        actions.import_bank_results(dec_batch, by=county, file_name="11月回盘.csv", data=result_csv(nov_batch))
    body = exc.value.as_dict()
    assert body["code"] == "results_rejected" and body["error_count"] == 3
    assert body["errors"][0]["row"] == 2 and "2026年11月第1批" in body["errors"][0]["message"]
    assert not LedgerEntry.objects.filter(kind="payment", period=DEC).exists()


def test_it_refuses_unknown_accounts_and_changed_amounts(county, exported):
    _roster, batch, _, _ = exported
    bad = result_csv(batch, rows=[["", "6228480099999999999", "10.00", "成功", ""]])
    with pytest.raises(InvalidInput) as exc:
        actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=bad)
    errors = exc.value.as_dict()["errors"]
    assert errors[0]["row"] == 5 and "未知账户" in errors[0]["message"]
    first = batch.lines.order_by("id").first()
    text = result_csv(batch).decode("gb18030").replace(f"{first.amount_fen / 100:.2f}", "1.00", 1)
    with pytest.raises(InvalidInput) as exc:
        actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=text.encode("gb18030"))
    assert "与发放金额" in exc.value.as_dict()["errors"][0]["message"]
    assert not LedgerEntry.objects.filter(kind="payment").exists()
    assert set(RosterLine.objects.values_list("status", flat=True)) == {"sent"}


def test_it_reports_missing_columns(county, exported):
    _roster, batch, _, _ = exported
    with pytest.raises(InvalidInput) as exc:
        actions.import_bank_results(batch, by=county, file_name="x.csv", data="账号,金额\n1,2\n".encode())
    assert "缺少列" in exc.value.message


def test_a_held_line_is_released_and_paid_with_the_next_batch(county, approved_case, locked_roster):
    ok = approved_case()
    missing = approved_case(account=None)
    roster = locked_roster()
    batch, _, _ = actions.export_bank_file(roster, by=county)
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    set_account(missing.applicant, new_account())
    line = roster.lines.get(application=missing)
    actions.release_line(line, by=county, note="已补录一卡通账户")
    batch2, _, _ = actions.reissue(roster, by=county)
    actions.import_bank_results(batch2, by=county, file_name="r2.csv", data=result_csv(batch2))
    assert actions.balance(missing)["balance"] == 0 and actions.balance(ok)["payment"] > 0
    assert queries.reconciliation(roster)["balanced"]


def test_the_roster_page_s_reconciliation_line_adds_up(county, approved_case, locked_roster):
    """对账 on the roster page: the figures it prints sum to what the ledger owes. A held line
    released for the next batch is 待导出 until it goes; a line still held is said apart."""
    import re

    from django.test import Client

    from jiuzhu.core.money import format_yuan

    ok = approved_case()
    missing = approved_case(account=None)
    roster = locked_roster()
    actions.export_bank_file(roster, by=county)
    client = Client()
    client.force_login(county)

    def line() -> str:
        page = client.get(f"/payments/rosters/{roster.pk}/").content.decode()
        return re.search(r'data-testid="reconciled">(.*?)</p>', page, re.S).group(1)

    held = roster.lines.get(application=missing).amount_fen
    assert f"（另暂缓发放 {format_yuan(held)}）" in line()
    set_account(missing.applicant, new_account())
    actions.release_line(roster.lines.get(application=missing), by=county, note="已补录一卡通账户")
    text = line()
    rec = queries.reconciliation(roster)
    assert rec["balanced"] and rec["entitled_fen"] == rec["in_transit_fen"] + held
    assert f"在途 {format_yuan(rec['in_transit_fen'])}，待导出 {format_yuan(held)}" in text
    assert "暂缓" not in text
    assert roster.lines.get(application=ok).status == "sent"


def test_a_bounced_payment_is_reversed_and_paid_again(county, exported):
    roster, batch, _, apps = exported
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    payment = LedgerEntry.objects.get(kind="payment", application=apps[0])
    actions.reverse_payment(payment, by=county, reason="银行退汇：账户冻结")
    with pytest.raises(DomainError):
        actions.reverse_payment(payment, by=county, reason="again")
    batch2, _, _ = actions.reissue(roster, by=county)
    actions.import_bank_results(batch2, by=county, file_name="r2.csv", data=result_csv(batch2))
    entries = LedgerEntry.objects.filter(application=apps[0], kind="payment").order_by("attempt")
    assert [e.attempt for e in entries] == [0, 1]
    assert actions.balance(apps[0])["balance"] == 0


def test_after_a_partial_return_only_the_rest_is_paid_again(county, exported):
    """Found by the state-machine test: a re-issue after a partial 退汇 sends only what is missing."""
    roster, batch, _, apps = exported
    actions.import_bank_results(batch, by=county, file_name="r.csv", data=result_csv(batch))
    payment = LedgerEntry.objects.get(kind="payment", application=apps[0])
    actions.reverse_payment(payment, by=county, reason="部分退汇", amount_fen=payment.amount_fen // 2)
    rec = queries.reconciliation(roster)
    assert rec["balanced"], rec
    assert rec["bank_failed_open_fen"] == payment.amount_fen // 2  # only the returned part is outstanding
    assert rec["reversed_fen"] == payment.amount_fen // 2
    batch2, _, _ = actions.reissue(roster, by=county)
    rec = queries.reconciliation(roster)
    assert rec["balanced"] and rec["in_transit_fen"] == batch2.total_fen, rec
    assert batch2.lines.get().amount_fen == payment.amount_fen - payment.amount_fen // 2
    actions.import_bank_results(batch2, by=county, file_name="r2.csv", data=result_csv(batch2))
    assert actions.balance(apps[0])["balance"] == 0
    assert queries.reconciliation(roster)["balanced"]
