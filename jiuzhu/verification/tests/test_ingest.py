"""数据上报: department files are checked as a whole, loaded atomically and idempotently,
and every defect is reported with row, column and a Chinese message (VER-8, VER-12, VER-16,
REG-9, REG-10)."""

import datetime as dt
import gzip
import io
import json

import pytest
from django.db import connection

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.idnumber import check_character, make_id_number
from jiuzhu.registry.pii import blind_index
from jiuzhu.verification import ingest
from jiuzhu.verification.models import Batch, Fact, FactText, person_key

from .conftest import csv_bytes, headers_of, plain_ids, row_for

pytestmark = pytest.mark.django_db


def expense_rows(id_number, n=3, **overrides):
    return [
        row_for(
            "yibao.expense",
            name="患者",
            id_number=id_number,
            hospital=f"台儿庄区人民医院{i}",
            settled_on="2026-09-15",
            total="1000.00",
            reimbursed="600.00",
            own="400.00",
            **overrides,
        )
        for i in range(n)
    ]


def test_it_loads_a_clean_csv_atomically_and_keeps_no_plain_id(world, catalog, upload, household_in):
    """VER-12, REG-9: rows of a 医保 file are loaded with the blind index and a masked ID only."""
    h = household_in("张山子镇")
    ids = plain_ids(h)
    data = csv_bytes(
        headers_of("yibao.expense"),
        expense_rows(ids[0]) + expense_rows(make_id_number("370405", dt.date(1970, 1, 1), 901, "M"), 1),
    )
    batch = upload("yibao.expense", data, user="tez_yibao")
    assert (batch.status, batch.rows_loaded, batch.error_count) == ("loaded", 4, 0)
    facts = Fact.objects.filter(batch=batch)
    assert facts.count() == 4
    assert facts.filter(person=person_key(blind_index("id_number", ids[0]))).count() == 3
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM verification_fact")
        stored = [list(row) for row in cur.fetchall()]
        cur.execute("SELECT * FROM verification_fact_text")
        stored += [list(row) for row in cur.fetchall()]
    assert not any(ids[0] in "|".join(map(str, row)) or ids[0][-6:] in "|".join(map(str, row)) for row in stored)
    assert (batch.persons, batch.matched_persons, batch.matched_rows) == (2, 1, 3)
    assert AuditEntry.objects.filter(action="verification.batch.load", object_id=str(batch.pk)).exists()


def test_it_refuses_a_wrong_header(world, catalog, upload):
    data = csv_bytes(
        ["姓名", "身份证号码", "医院", "日期", "金额"], [["张三", "370405198001010011", "某医院", "2026-01-01", "1"]]
    )
    batch = upload("yibao.expense", data, user="tez_yibao")
    assert batch.status == "rejected"
    assert "表头不正确" in batch.message
    messages = " ".join(e["message"] for e in batch.errors)
    assert "缺少必填列：就诊机构、结算日期、医疗总费用（元）、个人自付（元）" in messages
    assert "无法识别的列：医院、日期、金额" in messages
    assert not Fact.objects.exists()


def test_it_refuses_a_file_without_an_id_column(world, catalog, upload):
    headers = [h for h in headers_of("yibao.expense") if h != "身份证号码"]
    batch = upload(
        "yibao.expense", csv_bytes(headers, [["张三", "某医院", "2026-01-01", "100", "50", "50"]]), user="tez_yibao"
    )
    assert batch.status == "rejected"
    assert batch.errors[0]["message"].startswith("缺少身份证号码列")
    assert batch.errors[0]["row"] == 1
    assert not Fact.objects.exists()


def test_it_reports_malformed_and_invalid_id_numbers_with_rows(world, catalog, upload, new_id):
    good = new_id(age=40)
    bad_check = good[:17] + ("1" if good[17] != "1" else "2")
    rows = [
        *expense_rows(good, 1),
        expense_rows(bad_check, 1)[0],
        expense_rows("37040519800101", 1)[0],
        expense_rows("37040519801345001" + check_character("37040519801345001"), 1)[0],
        expense_rows("3.70405E+17", 1)[0],
    ]
    for i, r in enumerate(rows):
        r[2] = f"医院{i}"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "rejected"
    by_row = {e["row"]: e for e in batch.errors}
    assert set(by_row) == {3, 4, 5, 6}
    assert by_row[3]["message"] == "身份证号码校验位不正确，请核对是否输错"
    assert by_row[3]["column"] == "身份证号码"
    assert by_row[3]["value"] == bad_check[:6] + "********" + bad_check[-4:]
    assert "当前为14位" in by_row[4]["message"]
    assert by_row[5]["message"] == "身份证号码中的出生日期不存在，请核对"
    assert "科学计数法" in by_row[6]["message"]
    assert not Fact.objects.exists()


def test_it_normalizes_15_digit_lower_case_and_full_width_ids(world, catalog, upload, household_in):
    """ID numbers as departments write them still match the registry (blind index)."""
    h = household_in("张山子镇", size=3)
    ids = plain_ids(h)
    legacy = ids[0][:6] + ids[0][8:17]
    full_width = ids[1].translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))
    spaced = " ".join([ids[2][:6], ids[2][6:14], ids[2][14:]]).lower()
    rows = expense_rows(legacy, 1) + expense_rows(full_width, 1) + expense_rows(spaced, 1)
    for i, r in enumerate(rows):
        r[2] = f"医院{i}"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "loaded", batch.errors
    assert batch.matched_persons == 3


def test_it_reads_dates_in_three_formats(world, catalog, upload, new_id):
    person = new_id(age=50)
    rows = expense_rows(person, 4)
    for r, day in zip(rows, ["2026-09-05", "2026/9/6", "20260907", "2026年9月8日"], strict=True):
        r[3] = day
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "loaded", batch.errors
    days = sorted(Fact.objects.filter(batch=batch).values_list("period_start", flat=True))
    assert days == [dt.date(2026, 9, d) for d in (5, 6, 7, 8)]


def test_it_refuses_impossible_and_unknown_dates(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 2)
    rows[0][3], rows[1][3] = "2026-02-30", "九月五日"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert [e["message"] for e in batch.errors] == [
        "日期“2026-02-30”不存在",
        "无法识别的日期“九月五日”，日期格式应为 2026-09-15、2026/9/15、20260915 或 2026年9月15日",
    ]


def test_it_reads_amounts_with_yuan_and_wan_yuan_units_and_commas(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 5)
    for r, own in zip(rows, ["1,234.50", "1234.5元", "0.35万元", "￥2,000", "3万"], strict=True):
        r[6] = own
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "loaded", batch.errors
    amounts = sorted(Fact.objects.filter(batch=batch).values_list("amount_fen", flat=True))
    assert amounts == [123450, 123450, 200000, 350000, 3000000]


def test_it_refuses_bad_amounts(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 3)
    rows[0][6], rows[1][6], rows[2][6] = "约三千元", "-5", "1.005"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert [e["message"] for e in batch.errors] == [
        "金额“约三千元”格式不正确，应为数字（单位元，可写“万元”）",
        "金额“-5”不能为负数",
        "金额“1.005”最多精确到分（两位小数）",
    ]


def test_it_refuses_duplicate_rows(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 3)
    rows.append(list(rows[1]))
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "rejected"
    assert batch.errors == [{"row": 5, "column": "", "value": "", "message": "与第3行重复（同一人、同一记录和期间）"}]
    assert not Fact.objects.exists()


def test_it_refuses_a_truncated_csv(world, catalog, upload, new_id):
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 3))
    batch = upload("yibao.expense", data[: len(data) - 12], user="tez_yibao")
    assert batch.status == "rejected"
    truncated = [e for e in batch.errors if "文件可能被截断" in e["message"]]
    assert [e["row"] for e in truncated] == [4]
    assert not Fact.objects.exists()


def test_it_refuses_a_csv_cut_inside_a_quoted_field(world, catalog, upload, new_id):
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 2)) + '张三,"未闭合的引号'.encode()
    batch = upload("yibao.expense", data, user="tez_yibao")
    assert batch.status == "rejected"
    assert "引号未闭合" in batch.message


def test_it_refuses_a_truncated_gzip_before_creating_a_batch(world, catalog, api_of, new_id):
    data = gzip.compress(csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 50)))
    r = api_of("tez_yibao").post(
        "/api/v1/sources/yibao.expense/batches", data[: len(data) // 2], content_type="application/gzip"
    )
    assert r.status_code == 422
    assert r.json()["code"] == "truncated_file"
    assert not Batch.objects.exists()


def test_it_refuses_a_truncated_xlsx(world, catalog, upload, new_id):
    from jiuzhu.verification.demo import encode
    from jiuzhu.verification.models import Source

    source = Source.objects.get(code="yibao.expense")
    rows = [
        dict(zip([f["key"] for f in source.current_schema.fields], r, strict=True))
        for r in expense_rows(new_id(age=50), 30)
    ]
    data = encode(source, rows, "xlsx", "")
    batch = upload("yibao.expense", data[: len(data) - 200], user="tez_yibao", filename="expense.xlsx")
    assert batch.status == "rejected"
    assert "文件不完整" in batch.message


def test_it_reads_xlsx_and_json_lines(world, catalog, upload, new_id):
    from jiuzhu.verification.demo import encode
    from jiuzhu.verification.models import Source

    source = Source.objects.get(code="yibao.expense")
    keys = [f["key"] for f in source.current_schema.fields]
    rows = [dict(zip(keys, r, strict=True)) for r in expense_rows(new_id(age=50), 3)]
    xlsx = upload("yibao.expense", encode(source, rows, "xlsx", ""), user="tez_yibao", filename="a.xlsx")
    assert (xlsx.status, xlsx.file_format, xlsx.rows_loaded) == ("loaded", "xlsx", 3)
    rows2 = [dict(zip(keys, r, strict=True)) for r in expense_rows(new_id(age=51), 2)]
    jsonl = upload("yibao.expense", encode(source, rows2, "jsonl", "utf-8"), user="tez_yibao", filename="b.jsonl")
    assert (jsonl.status, jsonl.file_format, jsonl.rows_loaded) == ("loaded", "jsonl", 2)


def test_it_reports_unknown_keys_and_broken_lines_in_json_lines(world, catalog, upload, new_id):
    record = {"身份证号码": new_id(age=50), "就诊机构": "医院", "结算日期": "2026-01-02", "医疗总费用（元）": 100}
    good = json.dumps(record | {"个人自付（元）": 40}, ensure_ascii=False)
    data = (good + "\n" + good.replace("就诊机构", "医院名称") + "\n" + good[:40] + "\n").encode()
    batch = upload("yibao.expense", data, user="tez_yibao", filename="x.jsonl")
    assert batch.status == "rejected"
    messages = [(e["row"], e["message"]) for e in batch.errors]
    assert (2, "无法识别的字段“医院名称”") in messages
    assert (3, "该行不是合法的JSON（文件可能被截断或格式错误）") in messages


def test_it_reads_a_gbk_file(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 2)
    for i, r in enumerate(rows):
        r[2] = f"枣庄市立医院{i}"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows, "gbk"), user="tez_yibao")
    assert (batch.status, batch.encoding) == ("loaded", "gb18030")
    assert "枣庄市立医院" in FactText.objects.filter(batch=batch).first().detail


def test_it_refuses_a_gbk_file_declared_utf8(world, catalog, upload, new_id):
    rows = expense_rows(new_id(age=50), 2)
    data = csv_bytes(headers_of("yibao.expense"), rows, "gbk")
    batch = upload("yibao.expense", data, user="tez_yibao", declared_encoding="utf-8")
    assert batch.status == "rejected"
    assert batch.errors[0]["row"] == 1
    assert "文件声明为UTF-8编码，但第1行含有非UTF-8内容。该文件看起来是GBK编码" in batch.message
    assert not Fact.objects.exists()


def test_it_refuses_a_2gb_request_before_reading_it(world, catalog, api_of):
    """A 2 GB body is refused by its Content-Length (413) before a byte is read."""
    client = api_of("tez_yibao")
    r = client.post(
        "/api/v1/sources/yibao.expense/batches",
        b"x" * 10,
        content_type="text/csv",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert r.status_code == 413
    assert r.json()["code"] == "upload_too_large"
    assert not Batch.objects.exists()


def test_it_refuses_a_2gb_file_announced_for_upload_in_parts(world, catalog, api_of):
    r = api_of("tez_yibao").post(
        "/api/v1/sources/yibao.expense/uploads",
        {"size": 2 * 1024**3 + 5 * 1024**3, "filename": "big.csv"},
        content_type="application/json",
    )
    assert r.status_code == 422
    assert r.json()["code"] == "file_too_large"


def test_it_stops_reading_a_file_that_decompresses_beyond_the_limit(world, catalog, api_of, monkeypatch):
    monkeypatch.setattr(ingest.spool, "MAX_SOURCE_FILE_BYTES", 1024 * 1024)
    bomb = gzip.compress(b"0" * (3 * 1024 * 1024))
    r = api_of("tez_yibao").post("/api/v1/sources/yibao.expense/batches", bomb, content_type="application/gzip")
    assert r.status_code == 422
    assert r.json()["code"] == "file_too_large"
    assert not Batch.objects.exists()
    assert not list(ingest.spool_dir().glob("incoming-*"))


def test_it_uploads_a_large_file_in_parts(world, catalog, api_of, jobs, new_id):
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 40))
    client = api_of("tez_yibao")
    r = client.post(
        "/api/v1/sources/yibao.expense/uploads",
        {"size": len(data), "filename": "big.csv"},
        content_type="application/json",
    )
    assert r.status_code == 201
    key = r.json()["upload_id"]
    half = len(data) // 2
    assert (
        client.put(
            f"/api/v1/sources/yibao.expense/uploads/{key}/parts/2", data[half:], content_type="application/octet-stream"
        ).json()["code"]
        == "part_out_of_order"
    )
    for n, part in enumerate([data[:half], data[half:]], start=1):
        assert (
            client.put(
                f"/api/v1/sources/yibao.expense/uploads/{key}/parts/{n}", part, content_type="application/octet-stream"
            ).status_code
            == 200
        )
    with jobs():
        r = client.post(
            f"/api/v1/sources/yibao.expense/uploads/{key}/complete",
            {"expected_rows": 40},
            content_type="application/json",
        )
    assert r.status_code == 202
    assert Batch.objects.get(pk=r.json()["id"]).rows_loaded == 40


def test_it_answers_the_same_file_twice_with_the_first_batch(world, catalog, api_of, jobs, new_id):
    """Idempotent by SHA-256: the second push names the first batch and loads nothing."""
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 3))
    client = api_of("tez_yibao")
    with jobs():
        first = client.post("/api/v1/sources/yibao.expense/batches?filename=a.csv", data, content_type="text/csv")
    assert first.status_code == 202
    second = client.post("/api/v1/sources/yibao.expense/batches", gzip.compress(data), content_type="application/gzip")
    assert second.status_code == 200
    body = second.json()
    assert body["duplicate"] is True and body["duplicate_of"] == first.json()["id"]
    assert f"批次#{first.json()['id']}上报（已入库），未重复入库" in body["message"]
    assert Batch.objects.count() == 1 and Fact.objects.count() == 3


def test_it_tells_a_browser_user_about_the_same_file_twice(world, catalog, client_of, jobs, new_id):
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 3))
    client = client_of("tez_yibao")

    def post(**kwargs):
        f = io.BytesIO(data)
        f.name = "医保报销.csv"
        return client.post(
            "/verification/sources/yibao.expense/upload/",
            {"file": f, "kind": "increment", "encoding": "auto"},
            **kwargs,
        )

    with jobs():
        first = post()
    assert "已入库 3 行" in client.get(first["Location"]).content.decode()
    second = post(follow=True).content.decode()
    batch = Batch.objects.get()
    assert f"作为批次#{batch.pk}上报（已入库），未重复入库" in second


def test_it_checks_the_declared_row_count(world, catalog, upload, new_id):
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 3))
    batch = upload("yibao.expense", data, user="tez_yibao", expected_rows=5)
    assert batch.errors == [
        {"row": 0, "column": "", "value": "", "message": "上报时声明5行数据，实际读到3行，文件可能被截断或不完整"}
    ]


def test_it_downloads_the_error_report_as_a_spreadsheet(world, catalog, upload, client_of, new_id):
    from openpyxl import load_workbook

    rows = expense_rows(new_id(age=50), 2)
    rows[1][3] = "2026-13-01"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    r = client_of("tez_yibao").get(f"/verification/batches/{batch.pk}/errors.xlsx")
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in sheet[1]] == ["行号", "列", "内容", "错误说明"]
    assert [c.value for c in sheet[2]] == ["3", "结算日期", "2026-13-01", "日期“2026-13-01”不存在"]


def test_it_lets_a_department_upload_only_its_own_data(world, catalog, api_of, new_id):
    data = csv_bytes(
        headers_of("gongan.vehicle"),
        [row_for("gongan.vehicle", id_number=new_id(age=40), plate="鲁D12345", vehicle_type="小型轿车", state="正常")],
    )
    r = api_of("tez_yibao").post("/api/v1/sources/gongan.vehicle/batches", data, content_type="text/csv")
    assert r.status_code == 403
    assert r.json()["message"] == "只能上报本部门的数据（公安机关）"
    assert (
        api_of("tez_zhangshanzi")
        .post("/api/v1/sources/yibao.expense/batches", data, content_type="text/csv")
        .status_code
        == 403
    )


def test_it_shows_a_department_only_its_own_batches(world, catalog, upload, client_of, api_of, new_id):
    mine = upload(
        "yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 1)), user="tez_yibao"
    )
    other = upload(
        "gongan.vehicle",
        csv_bytes(
            headers_of("gongan.vehicle"),
            [row_for("gongan.vehicle", id_number=new_id(age=40), plate="鲁D1", vehicle_type="小型轿车", state="正常")],
        ),
    )
    client = client_of("tez_yibao")
    assert client.get(f"/verification/batches/{mine.pk}/").status_code == 200
    assert client.get(f"/verification/batches/{other.pk}/").status_code == 404
    assert api_of("tez_yibao").get(f"/api/v1/sources/gongan.vehicle/batches/{other.pk}").status_code == 404
    assert client_of("tez_hecha").get(f"/verification/batches/{other.pk}/").status_code == 200


def test_it_shows_progress_while_processing_and_the_result_after(world, catalog, client_of, new_id):
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.models import Source

    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 2))
    batch, _ = receive_batch(
        Source.objects.get(code="yibao.expense"), [data], by=world.user("tez_yibao"), filename="a.csv"
    )
    client = client_of("tez_yibao")
    page = client.get(f"/verification/batches/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    ingest.process_batch(batch.pk)
    page = client.get(f"/verification/batches/{batch.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in page and "已入库 2 行" in page


def test_it_keeps_facts_append_only(world, catalog, upload, new_id):
    from jiuzhu.verification.models import AppendOnly

    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 1)), user="tez_yibao")
    fact = Fact.objects.get()
    fact.active = False
    with pytest.raises(AppendOnly):
        fact.save()
    with pytest.raises(AppendOnly):
        fact.delete()
    if connection.vendor == "postgresql":
        from django.db import DatabaseError, transaction

        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE verification_fact SET active = false")
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("DELETE FROM verification_fact_text")


def test_it_corrects_facts_with_a_newer_batch_of_the_same_record(world, catalog, upload, household_in):
    """Corrections are new batches: the newest batch wins per record key."""
    from jiuzhu.verification.effects import fetch_current

    h = household_in("张山子镇")
    person = plain_ids(h)[0]
    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(person, 1)), user="tez_yibao")
    fixed = expense_rows(person, 1)
    fixed[0][6] = "100.00"
    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), fixed), user="tez_yibao", kind="increment")
    facts = fetch_current([blind_index("id_number", person)])
    assert [f.amount_fen for f in facts] == [10000]
    assert Fact.objects.count() == 2  # nothing overwritten


def test_a_large_file_loads_into_a_partition_of_its_own(world, catalog, upload, household_in, monkeypatch):
    """VER-12 (PostgreSQL): a large file is written to a table of its own, indexed once and
    attached in the same transaction; a refused one leaves no table; still append-only."""
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    from django.db import DatabaseError, transaction

    from jiuzhu.verification import catalog as catalog_module
    from jiuzhu.verification.effects import fetch_current

    monkeypatch.setattr(catalog_module, "OWN_PARTITION_BYTES", 0)
    ids = plain_ids(household_in("张山子镇"))
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(ids[0])), user="tez_yibao")
    assert batch.status == "loaded"
    table = f"verification_fact_b{batch.pk}"
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = %s", [table])
        assert cur.fetchone()[0] == f"FOR VALUES IN ('-{batch.pk}')"
        cur.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
        assert any("(person)" in r[0] for r in cur.fetchall())
    assert len(fetch_current([blind_index("id_number", ids[0])])) == 3
    assert Fact.objects.filter(batch=batch, slot=-batch.pk).count() == 3
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE verification_fact SET active = false WHERE batch_id = %s", [batch.pk])

    rows = expense_rows(ids[1], 2)
    rows[1][5] = "2026-02-30"
    refused = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert refused.status == "rejected"
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [f"verification_fact_b{refused.pk}"])
        assert cur.fetchone()[0] is None


def test_texts_written_between_parts_of_the_copy_stay_with_their_facts(
    world, catalog, upload, household_in, monkeypatch
):
    """VER-12: a file with many distinct texts keeps each fact's own category and detail."""
    from jiuzhu.verification.effects import fetch_current

    monkeypatch.setattr(ingest.write, "TEXT_FLUSH_AT", 2)
    person = plain_ids(household_in("张山子镇"))[0]
    rows = expense_rows(person, 9)
    for i, r in enumerate(rows):
        r[3] = f"2026-0{i + 1}-15"
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "loaded" and FactText.objects.filter(batch=batch).count() == 9
    facts = fetch_current([blind_index("id_number", person)])
    assert sorted((f.period_start.month, f.detail.split("；")[0]) for f in facts) == [
        (i + 1, f"就诊机构：台儿庄区人民医院{i}") for i in range(9)
    ]


@pytest.mark.parametrize("spill_at", [3, 1_000_000], ids=["spilled", "in-memory"])
def test_duplicates_are_found_in_bounded_memory(world, catalog, upload, new_id, monkeypatch, spill_at):
    """VER-12: the duplicate check keeps at most SPILL_AT rows in memory; spilled to disk it
    finds the same duplicates, and leaves no file behind."""
    monkeypatch.setattr(ingest.DuplicateCheck, "SPILL_AT", spill_at)
    person = new_id(age=50)
    rows = expense_rows(person, 12)
    rows.append(list(rows[1]))
    rows.append(list(rows[10]))
    rows.insert(4, list(rows[1]))
    batch = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    assert batch.status == "rejected"
    assert [(e["row"], e["message"]) for e in batch.errors] == [
        (6, "与第3行重复（同一人、同一记录和期间）"),
        (15, "与第3行重复（同一人、同一记录和期间）"),
        (16, "与第13行重复（同一人、同一记录和期间）"),
    ]
    assert not list(ingest.spool_dir().glob("duplicates-*"))


def test_it_refuses_a_zip_bomb_and_a_csv_with_endless_columns(world, catalog, upload, new_id):
    """Issue 19 item 4: bounded reading of department files (VER-1, GOV-14)."""
    from jiuzhu.core.tests.test_bounded import padded, rewrite_sheet, workbook_bytes

    headers = headers_of("yibao.expense")
    bomb = rewrite_sheet(workbook_bytes([headers]), padded)
    batch = upload("yibao.expense", bomb, user="tez_yibao", filename="expense.xlsx")
    assert (batch.status, "压缩比异常" in batch.message) == ("rejected", True)
    wide = csv_bytes(headers, [expense_rows(new_id(age=50), 1)[0] + ["x"] * 100])
    batch = upload("yibao.expense", wide, user="tez_yibao", filename="wide.csv")
    assert batch.status == "rejected"
    assert "第2行超过64列的上限" in batch.message
    assert not Fact.objects.exists()


def test_a_loaded_or_rejected_file_leaves_no_plain_ids_on_disk(world, catalog, upload, new_id, settings):
    """Issue 19 item 5: department files are deleted once their batch is finished."""
    ok = upload(
        "yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 2)), user="tez_yibao"
    )
    bad = upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), [["x"]]), user="tez_yibao")
    assert (ok.status, bad.status) == ("loaded", "rejected")
    assert not ingest.spool_path(ok).exists() and not ingest.spool_path(bad).exists()

    settings.SPOOL_RETENTION_DAYS = 7  # kept a week, then swept
    kept = upload(
        "yibao.expense", csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=51), 2)), user="tez_yibao"
    )
    assert ingest.spool_path(kept).exists()
    assert ingest.sweep_spool() == 0
    Batch.objects.filter(pk=kept.pk).update(finished_at=kept.finished_at - dt.timedelta(days=8))
    assert ingest.sweep_spool() == 1
    assert not ingest.spool_path(kept).exists()


def test_a_full_spool_refuses_new_files_and_keeps_nothing(world, catalog, api_of, new_id, settings):
    settings.SPOOL_MAX_BYTES = 10
    before = set(ingest.spool_dir().iterdir())
    data = csv_bytes(headers_of("yibao.expense"), expense_rows(new_id(age=50), 3))
    r = api_of("tez_yibao").post("/api/v1/sources/yibao.expense/batches", data, content_type="text/csv")
    assert r.status_code == 422
    assert r.json()["code"] == "spool_full" and "暂存区已满" in r.json()["message"]
    assert not Batch.objects.exists()
    assert set(ingest.spool_dir().iterdir()) == before


@pytest.mark.django_db(transaction=True)
def test_first_batches_of_a_county_loading_at_once_create_its_partitions_once(catalog):
    """Issue 20 item 2 (PostgreSQL): four first loads of a new county at the same moment, two
    data types: each finds or makes its county's and its data type's partitions, none fails."""
    if connection.vendor != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from jiuzhu.verification.catalog import _partition_for, ensure_partition
    from jiuzhu.verification.models import Source

    sources = list(Source.objects.order_by("id")[:2])
    start = threading.Barrier(4)

    def first_load(source):
        start.wait()
        try:
            ensure_partition(source, "370481")
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(first_load, sources * 2))
    assert all(_partition_for(s.pk, "370481") for s in sources)
