"""Excel/CSV import of households: validate every row, all or nothing (REG-1, REG-5)."""

import io

import pytest
from openpyxl import Workbook, load_workbook

from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.importer import COLUMNS, ImportRejected, import_file, template_bytes
from jiuzhu.registry.models import Household, Person

pytestmark = pytest.mark.django_db
HEADERS = [h for _, h, _ in COLUMNS]


class Upload(io.BytesIO):
    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


def xlsx(rows, headers=HEADERS):
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_bytes(rows, encoding):
    lines = [",".join(HEADERS)] + [",".join(str(r.get(h, "")) for h in HEADERS) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def member_rows(new_id, ref="1", village="370405101201", n=3):
    rel = ["本人", "配偶", "子女", "子女"]
    return [
        {
            "家庭序号": ref,
            "村（社区）区划代码": village,
            "家庭住址": "北洛村3号",
            "姓名": ["赵大山", "钱小红", "赵一鸣", "赵二鸣"][i],
            "身份证号码": new_id(age=[50, 48, 20, 15][i], gender="MFMM"[i]),
            "与户主关系": rel[i],
            "劳动能力": "有劳动能力" if i < 2 else "",
            "残疾类别": "肢体残疾" if i == 2 else "",
            "残疾等级": "二级" if i == 2 else "",
        }
        for i in range(n)
    ]


def test_it_imports_a_spreadsheet_of_households(world, new_id):
    rows = member_rows(new_id, "1") + member_rows(new_id, "2", n=2)
    result = import_file(Upload(xlsx(rows), "households.xlsx"), by=world.user("tez_zhangshanzi"))
    assert (result.households, result.persons) == (2, 5)
    disabled = Person.objects.get(name="赵一鸣", household__member_count=3)
    assert (disabled.disability_category, disabled.disability_grade, disabled.health_status) == (
        "physical",
        2,
        "disabled",
    )
    assert AuditEntry.objects.filter(action="registry.household.import").count() == 1


def test_it_reads_a_gbk_encoded_csv(world, new_id):
    rows = member_rows(new_id)
    result = import_file(Upload(csv_bytes(rows, "gbk"), "gbk.csv"), by=world.user("tez_zhangshanzi"))
    assert result.persons == 3
    assert Household.objects.get().head_name == "赵大山"


def test_it_reads_a_utf8_csv_with_bom(world, new_id):
    result = import_file(Upload(csv_bytes(member_rows(new_id), "utf-8-sig"), "u.csv"), by=world.user("tez_zhangshanzi"))
    assert result.households == 1


def test_a_wrong_header_is_named_and_nothing_is_written(world, new_id):
    headers = [h if h != "身份证号码" else "身份证" for h in HEADERS]
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(xlsx([], headers), "bad.xlsx"), by=world.user("tez_zhangshanzi"))
    assert exc.value.code == "invalid_header"
    assert "缺少列：身份证号码" in exc.value.message and "无法识别的列：身份证" in exc.value.message
    assert Household.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.xlsx", "empty_file"),
        (b"   \n", "empty.csv", "empty_file"),
        (b"PK\x03\x04broken", "broken.xlsx", "unreadable_file"),
        (b"\x00\x01", "photo.jpg", "unsupported_file"),
        ("\ufeff".encode() + ",".join(HEADERS).encode() + b"\r\n", "header-only.csv", "empty_file"),
    ],
)
def test_bad_files_get_a_precise_message(world, data, name, code):
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(data, name), by=world.user("tez_zhangshanzi"))
    assert exc.value.code == code
    assert Household.objects.count() == 0


def test_every_bad_row_is_reported_with_row_and_column_and_nothing_is_written(world, new_id):
    rows = member_rows(new_id, "1") + member_rows(new_id, "2")
    rows[1]["身份证号码"] = rows[1]["身份证号码"][:17] + ("1" if rows[1]["身份证号码"][17] != "1" else "2")
    rows[4]["与户主关系"] = "表哥"
    rows[5]["村（社区）区划代码"] = "370405103201"
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(xlsx(rows), "rows.xlsx"), by=world.user("tez_zhangshanzi"))
    found = {(e.row, e.column) for e in exc.value.rows}
    assert (3, "身份证号码") in found
    assert (6, "与户主关系") in found
    assert (7, "村（社区）区划代码") in found
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_it_refuses_villages_outside_the_users_jurisdiction(world, new_id):
    with pytest.raises(ImportRejected) as exc:
        import_file(
            Upload(xlsx(member_rows(new_id, village="370405103201")), "x.xlsx"), by=world.user("tez_zhangshanzi")
        )
    assert "不在您的管辖范围内" in exc.value.rows[0].message


def test_the_same_file_twice_is_refused_the_second_time(world, new_id):
    data = xlsx(member_rows(new_id))
    import_file(Upload(data, "a.xlsx"), by=world.user("tez_zhangshanzi"))
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(data, "a.xlsx"), by=world.user("tez_zhangshanzi"))
    assert "已在系统中登记" in exc.value.rows[0].message
    assert Household.objects.count() == 1


def test_a_duplicate_id_inside_the_file_names_both_rows(world, new_id):
    rows = member_rows(new_id, "1") + member_rows(new_id, "2")
    rows[3]["身份证号码"] = rows[0]["身份证号码"]
    with pytest.raises(ImportRejected) as exc:
        import_file(Upload(xlsx(rows), "dup.xlsx"), by=world.user("tez_zhangshanzi"))
    assert any(e.row == 5 and "第2行" in e.message for e in exc.value.rows)


def test_a_viewer_may_not_import(world, new_id):
    from jiuzhu.core.errors import Forbidden

    with pytest.raises(Forbidden):
        import_file(Upload(xlsx(member_rows(new_id)), "x.xlsx"), by=world.user("tez_viewer"))


def test_the_template_has_the_headers_and_a_valid_example(world):
    wb = load_workbook(io.BytesIO(template_bytes()))
    ws = wb.worksheets[0]
    assert [c.value for c in ws[1]] == HEADERS
    assert "填写说明" in wb.sheetnames


def test_the_api_answers_import_errors_as_json(api_of, new_id):
    rows = member_rows(new_id)
    rows[0]["姓名"] = ""
    r = api_of("tez_zhangshanzi").post("/api/v1/households/import", {"file": Upload(xlsx(rows), "x.xlsx")})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "import_invalid"
    assert body["errors"][0] == {"row": 2, "column": "姓名", "message": "请填写姓名"}


def test_the_api_imports_a_file(api_of, new_id):
    r = api_of("tez_zhangshanzi").post(
        "/api/v1/households/import", {"file": Upload(xlsx(member_rows(new_id)), "x.xlsx")}
    )
    assert r.status_code == 200 and r.json() == {"households": 1, "persons": 3}


@pytest.mark.parametrize(
    ("model", "columns"),
    [("Household", "HOUSEHOLD_COLUMNS"), ("Person", "PERSON_COLUMNS"), ("Membership", "MEMBERSHIP_COLUMNS")],
)
def test_the_bulk_columns_cover_every_field(model, columns):
    """The COPY fast path must write every column, or a new field would silently be skipped."""
    from jiuzhu.registry import importer, models

    fields = {f.column for f in getattr(models, model)._meta.concrete_fields}
    assert set(getattr(importer, columns)) == fields
