"""Bank and 一本通 layouts as data (issue 16 item 4; FND-4 财政惠农“一本通”发放, GOV-5 town 资金发放 as
the county configures it): delimited and fixed-width text, GBK byte widths, amount formats,
header and footer (汇总) rows, file naming, a fixed-width result file, a preview on sample rows
that round-trips, Chinese errors naming the field, and no write on a GET."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments import actions, bankfiles
from jiuzhu.payments.actions.layouts import SAMPLE_ROWS, preview, preview_layout, sample_results, save_layout
from jiuzhu.payments.models import BankBatch, BankLayout
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

pytestmark = pytest.mark.django_db

SAMPLE_TOTAL_FEN = sum(int(r["amount_fen"]) for r in SAMPLE_ROWS)  # 2960.00 元

FIXED: dict[str, Any] = {
    "county_code": "370405",
    "code": "rcb_fixed",
    "name": "农商银行代发（定长）",
    "file_format": "fixed",
    "encoding": "gb18030",
    "columns": [
        {"header": "账号", "field": "account", "width": 19},
        {"header": "户名", "field": "name", "width": 10},
        {"header": "金额", "field": "amount_fen", "width": 12, "align": "right", "pad": "0"},
    ],
    "column_header": False,
    "header_rows": ["H{total_count:06d}{total_amount_fen:015d}"],
    "footer_rows": ["合计{total_count}笔{total_amount_yuan}元"],
    "file_name": "{county_code}_{bank}_{month}_{batch_no}.txt",
    "result_columns": {},
    "result_format": "fixed",
    "result_fields": [
        {"key": "account", "width": 19},
        {"key": "skip", "width": 10},
        {"key": "amount", "width": 12},
        {"key": "status", "width": 4},
    ],
    "result_skip_head": 1,
    "result_skip_tail": 1,
    "success_values": ["0000"],
    "amount_unit": "fen",
}


def _layout(code: str, county: str = "370405") -> BankLayout:
    return BankLayout.objects.get(county_code=county, code=code)


def test_it_pads_fixed_width_columns_in_gbk_bytes_with_chinese_names(world: Any) -> None:
    """FND-4: a fixed-width GBK file counts a Chinese character as two bytes."""
    layout = save_layout(by=world.user("tez_county"), **FIXED)
    content, _ = preview_layout(layout)
    lines = content.split(b"\r\n")
    first = lines[1]
    assert len(first) == 19 + 10 + 12  # bytes, not characters
    assert first[:19] == b"6228480000000000001"
    assert first[19:29] == "示例甲".encode("gbk") + b"    "  # 3 characters = 6 bytes + 4 spaces
    assert first[29:] == b"000000064000"
    assert len(first.decode("gbk")) == 19 + 3 + 4 + 12  # as text it is shorter: widths are bytes


def test_a_value_too_wide_is_refused_naming_row_and_column_never_cut(world: Any) -> None:
    layout = save_layout(by=world.user("tez_county"), **FIXED)
    rows = [dict(SAMPLE_ROWS[0]), {**SAMPLE_ROWS[1], "name": "欧阳示例乙丙"}]  # 6 characters = 12 bytes > 10
    with pytest.raises(InvalidInput) as exc:
        bankfiles.render(layout, rows)
    assert exc.value.code == "value_too_wide" and exc.value.field == "columns[1]"
    assert "第2条记录" in exc.value.message and "户名" in exc.value.message and "12字节" in exc.value.message


def test_an_overflowing_roster_export_is_refused_and_leaves_no_batch(
    world: Any, approved_case: Any, locked_roster: Any
) -> None:
    """FND-4: nothing half-saved: the batch, the line statuses and the roster status roll back."""
    county = world.user("tez_county")
    layout = save_layout(by=county, **FIXED)
    app = approved_case()
    Person.objects.filter(pk=app.household.members.get(relation="self").pk).update(name="欧阳示例乙丙丁")
    roster = locked_roster()
    with pytest.raises(InvalidInput) as exc:
        actions.export_bank_file(roster, by=county, layout=layout)
    assert exc.value.field == "columns[1]"
    roster.refresh_from_db()
    assert roster.status == "locked" and not BankBatch.objects.filter(roster=roster).exists()
    assert set(roster.lines.values_list("status", flat=True)) == {"pending"}


def test_header_and_footer_rows_carry_the_totals(world: Any) -> None:
    layout = save_layout(by=world.user("tez_county"), **FIXED)
    text = preview_layout(layout)[0].decode("gb18030").split("\r\n")
    assert text[0] == f"H000003{SAMPLE_TOTAL_FEN:015d}"
    assert text[-2] == "合计3笔2960.00元" and text[-1] == ""
    grouped = save_layout(by=world.user("tez_county"), **{**FIXED, "code": "rcb_grouped", "amount_grouping": True})
    assert preview_layout(grouped)[0].decode("gb18030").split("\r\n")[-2] == "合计3笔2,960.00元"


def test_a_real_export_names_the_file_and_totals_the_batch(world: Any, approved_case: Any, locked_roster: Any) -> None:
    county = world.user("tez_county")
    layout = _layout("nongshang_fixed")
    apps = [approved_case(), approved_case()]
    roster = locked_roster()
    batch, content, name = actions.export_bank_file(roster, by=county, layout=layout)
    assert name == f"370405_nongshang_fixed_202611_{batch.number}.txt"
    lines = content.split(b"\r\n")
    total = sum(roster.lines.get(application=a).amount_fen for a in apps)
    assert lines[0].endswith(f"000002{total:015d}".encode()) and lines[0][9:23] == batch.number.encode()
    assert lines[3] == f"T000002{total:015d}".encode() and lines[4] == b""
    assert all(len(x) == 99 for x in lines[1:3])


def test_a_fixed_width_result_file_is_read_and_paid(world: Any, approved_case: Any, locked_roster: Any) -> None:
    """FND-4: the bank's fixed-width 回盘 (by account, amount in 分) settles the batch."""
    county = world.user("tez_county")
    approved_case()
    roster = locked_roster()
    batch, _content, _ = actions.export_bank_file(roster, by=county, layout=_layout("nongshang_fixed"))
    body = [b"H20261204"]
    for bl in batch.lines.order_by("id"):
        account = unseal("bank_account", bl.account_enc).encode().ljust(19)
        body.append(account + "张三".encode("gbk").ljust(20) + f"{bl.amount_fen:012d}".encode() + b"0000")
    body.append(b"T")
    report = actions.import_bank_results(batch, by=county, file_name="回盘.txt", data=b"\r\n".join(body) + b"\r\n")
    assert report.paid == batch.line_count and report.paid_fen == batch.total_fen


@pytest.mark.parametrize("code", ["generic_csv", "yikatong_xlsx", "nongshang_fixed"])
def test_the_sample_result_file_round_trips_to_the_same_amounts(world: Any, code: Any) -> None:
    layout = _layout(code)
    data, name = sample_results(layout)
    amounts = [r.amount_fen for r in bankfiles.parse_results(layout, name, data)]
    assert amounts == [int(r["amount_fen"]) for r in SAMPLE_ROWS]
    shown = preview(layout)
    assert shown.round_trip and "与样例文件一致" in shown.message


def test_a_pipe_delimited_text_layout_with_a_text_result(world: Any) -> None:
    layout = save_layout(
        by=world.user("tez_county"),
        **{
            **FIXED,
            "code": "pipe_txt",
            "file_format": "txt",
            "delimiter": "pipe",
            "columns": [{"header": "账号", "field": "account"}, {"header": "金额", "field": "amount_yuan"}],
            "result_format": "txt",
            "result_fields": [{"key": "account"}, {"key": "amount"}, {"key": "status"}],
            "amount_unit": "yuan",
        },
    )
    text = preview_layout(layout)[0].decode("gb18030").split("\r\n")
    assert text[1] == "6228480000000000001|640.00"
    assert preview(layout).round_trip


def test_the_existing_csv_layouts_write_the_same_bytes_as_before(world: Any) -> None:
    """Layouts saved before issue 16 item 4 export exactly what they exported before."""
    layout = _layout("generic_csv")
    fields = [c["field"] for c in layout.columns]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c["header"] for c in layout.columns])
    for r in SAMPLE_ROWS:
        writer.writerow([r.get(f, "") for f in fields])
    assert bankfiles.render(layout, SAMPLE_ROWS) == buf.getvalue().encode("gb18030")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"columns": [{"header": "账号", "field": "account"}]}, "columns[0]", "宽度"),
        ({"header_rows": ["{total}"]}, "header_rows", "不是可用的占位符"),
        ({"footer_rows": ["合计{total_count!r}"]}, "footer_rows", "不是可用的占位符"),
        ({"file_name": "../{month}.txt"}, "file_name", "路径分隔符"),
        ({"file_name": "{county_code}_{password}.txt"}, "file_name", "不是可用的占位符"),
        ({"delimiter": "semicolon"}, "delimiter", "分隔符"),
        ({"result_fields": [{"key": "amount", "width": 12}]}, "result_fields", "业务编号或账号"),
        ({"result_fields": [{"key": "account"}, {"key": "amount"}, {"key": "status"}]}, "result_fields[0]", "宽度"),
        ({"file_format": "xlsx"}, "header_rows", "Excel"),
        ({"result_skip_head": -1}, "result_skip_head", "回盘表头行数"),
        (
            {"columns": [{"header": "户名", "field": "name", "width": 4}, {"header": "账号", "field": "account"}]},
            "columns[1]",
            "宽度",
        ),
        ({"columns": [{"header": "户名", "field": "name", "width": 4}]}, "columns[0]", "按样例数据试生成文件时出错"),
    ],
)
def test_the_api_refuses_a_bad_layout_naming_the_field(
    world: Any, api_of: Any, change: Any, field: Any, words: Any
) -> None:
    before = BankLayout.objects.count()
    r = api_of("tez_county").post("/api/v1/payments/layouts", {**FIXED, **change}, content_type="application/json")
    assert r.status_code == 422, r.content
    body = r.json()
    assert body["field"] == field and words in body["message"] and body["code"]
    assert BankLayout.objects.count() == before


def test_the_api_saves_previews_and_serves_the_samples(world: Any, api_of: Any) -> None:
    api = api_of("tez_county")
    saved = api.post("/api/v1/payments/layouts", FIXED, content_type="application/json")
    assert saved.status_code == 200 and saved.json()["columns"][0]["align"] == "left"
    pk = saved.json()["id"]
    shown = api.get(f"/api/v1/payments/layouts/{pk}/preview").json()
    assert shown["text"].startswith("H000003") and shown["round_trip"] is True
    assert shown["file_name"].startswith("370405_rcb_fixed_202612_")
    sample = api.get(f"/api/v1/payments/layouts/{pk}/sample")
    assert sample.status_code == 200 and sample.content.split(b"\r\n")[0] == b"H000003%015d" % SAMPLE_TOTAL_FEN
    assert api.get(f"/api/v1/payments/layouts/{pk}/sample-result").status_code == 200
    other = BankLayout.objects.get(county_code="370404", code="generic_csv")
    assert api.get(f"/api/v1/payments/layouts/{other.pk}/preview").status_code == 404


def test_the_page_edits_a_fixed_layout_and_shows_the_preview(world: Any, client_of: Any) -> None:
    client = client_of("tez_county")
    form = {
        "code": "rcb_fixed",
        "name": "农商银行代发（定长）",
        "file_format": "fixed",
        "encoding": "gb18030",
        "delimiter": "comma",
        "columns": "账号｜银行账号｜19\n户名｜姓名｜10｜左｜空格\n金额｜金额（分）｜12｜右｜0",
        "no_column_header": "on",
        "header_rows": "H{total_count:06d}{total_amount_fen:015d}",
        "footer_rows": "合计{total_count}笔{total_amount_yuan}元",
        "file_name": "{county_code}_{bank}_{month}_{batch_no}.txt",
        "result_format": "fixed",
        "result_fields": "账号｜19\n其他（不读取）｜10\n金额｜12\n处理结果｜4",
        "result_skip_head": "1",
        "result_skip_tail": "1",
        "success_values": "0000",
        "amount_unit": "fen",
    }
    bad = client.post("/payments/layouts/", {**form, "columns": "账号｜银行账号"}).content.decode()
    assert "导出列第1行（账号）须写宽度" in bad and not BankLayout.objects.filter(code="rcb_fixed").exists()
    bad = client.post("/payments/layouts/", {**form, "file_name": "a/b.txt"}).content.decode()
    assert "文件命名不能包含路径分隔符" in bad
    assert client.post("/payments/layouts/", form).status_code == 302
    layout = _layout("rcb_fixed")
    assert layout.columns[2] == {"header": "金额", "field": "amount_fen", "width": 12, "align": "right", "pad": "0"}
    assert not layout.column_header and layout.result_fields[1] == {"key": "skip", "width": 10}
    page = client.get("/payments/layouts/").content.decode()
    assert "H000003000000000296000" in page and "合计3笔2960.00元" in page
    assert "样例回盘文件读回3笔、合计2,960.00元，与样例文件一致" in page
    edit = client.get(f"/payments/layouts/?edit={layout.pk}").content.decode()
    assert "金额｜金额（分）｜12｜右｜0" in edit


def test_a_get_never_writes_and_a_county_without_layouts_sees_an_empty_state(
    world: Any, client_of: Any, api_of: Any, approved_case: Any, locked_roster: Any
) -> None:
    approved_case()
    roster = locked_roster()
    BankLayout.objects.filter(county_code="370405").delete()
    with CaptureQueriesContext(connection) as ctx:
        page = client_of("tez_county").get("/payments/layouts/").content.decode()
        roster_page = client_of("tez_county").get(f"/payments/rosters/{roster.pk}/").content.decode()
        listed = api_of("tez_county").get("/api/v1/payments/layouts")
    writes = [
        q["sql"]
        for q in ctx.captured_queries
        if "payments_" in q["sql"] and q["sql"].lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == [] and not BankLayout.objects.filter(county_code="370405").exists()
    assert "尚未设置银行文件格式" in page
    assert "尚未设置银行文件格式" in roster_page and 'href="/payments/layouts/"' in roster_page
    assert listed.status_code == 200 and listed.json() == []
    with pytest.raises(Exception) as exc:
        actions.export_bank_file(roster, by=world.user("tez_county"))
    assert getattr(exc.value, "code", "") == "no_layout"


def test_onboarding_installs_the_standard_layouts_once(world: Any) -> None:
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.payments.actions.layouts import install_standard_layouts

    actor = SystemActor("系统（测试）")
    created = install_standard_layouts("370999", by=actor)  # type: ignore[arg-type]
    assert {x.code for x in created} == {"generic_csv", "yikatong_xlsx", "nongshang_fixed"}
    assert BankLayout.objects.filter(county_code="370999", is_default=True).get().code == "generic_csv"
    assert install_standard_layouts("370999", by=actor) == []  # type: ignore[arg-type]


def test_the_data_migration_adds_missing_standard_layouts_and_keeps_the_countys_default(world: Any) -> None:
    """Counties that had layouts before item 4 get the new standard ones; their own default stays."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("jiuzhu.payments.migrations.0010_bank_layout_formats")
    save_layout(by=world.user("tez_county"), **{**FIXED, "is_default": True})
    BankLayout.objects.filter(county_code="370405", code="nongshang_fixed").delete()
    migration.install_standard_layouts(apps, None)
    codes = set(BankLayout.objects.filter(county_code="370405").values_list("code", flat=True))
    assert {"generic_csv", "yikatong_xlsx", "nongshang_fixed", "rcb_fixed"} <= codes
    assert BankLayout.objects.filter(county_code="370405", is_default=True).get().code == "rcb_fixed"


def test_the_preview_says_when_the_sample_result_does_not_read_back(world: Any) -> None:
    narrow = [
        {"key": "account", "width": 19},
        {"key": "skip", "width": 10},
        {"key": "amount", "width": 12},
        {"key": "status", "width": 2},  # "0000" does not fit: the bank's code would be misread
    ]
    layout = save_layout(by=world.user("tez_county"), **{**FIXED, "code": "rcb_narrow", "result_fields": narrow})
    shown = preview(layout)
    assert not shown.round_trip and "未被识别为成功" in shown.message
