"""Bank layouts as data (issue 16 item 4; FND-2, INT-16): a county adds its bank's layout on a
page or through the API, checks it on a sample file, and bad layouts are refused naming the
field; every save is audited."""

import csv
import io

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import InvalidInput, NotFound
from jiuzhu.payments.actions.layouts import preview_layout, save_layout
from jiuzhu.payments.models import BankLayout

pytestmark = pytest.mark.django_db

ICBC = {
    "county_code": "370405",
    "code": "icbc_csv",
    "name": "工商银行代发（CSV）",
    "file_format": "csv",
    "encoding": "gb18030",
    "columns": [
        {"header": "账号", "field": "account"},
        {"header": "户名", "field": "name"},
        {"header": "金额", "field": "amount_yuan"},
        {"header": "用途", "field": "remark"},
    ],
    "result_columns": {"account": "账号", "amount": "金额", "status": "状态", "message": "备注"},
    "success_values": ["成功"],
}


def test_a_county_adds_its_banks_layout_and_gets_a_sample_file_in_it(world):
    layout = save_layout(by=world.user("tez_county"), **ICBC)
    content, name = preview_layout(layout)
    rows = list(csv.reader(io.StringIO(content.decode("gb18030"))))
    assert rows[0] == ["账号", "户名", "金额", "用途"] and rows[1][2] == "640.00" and name.endswith(".csv")
    entry = AuditEntry.objects.filter(action="payments.layout.save").get()
    assert entry.changes["code"] == "icbc_csv"
    # saving the same code again changes it, and a new default takes the mark from the others
    save_layout(by=world.user("tez_county"), **{**ICBC, "name": "工商银行代发", "is_default": True})
    assert BankLayout.objects.get(county_code="370405", code="icbc_csv").name == "工商银行代发"
    assert list(BankLayout.objects.filter(county_code="370405", is_default=True).values_list("code", flat=True)) == [
        "icbc_csv"
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "工行"}, "code"),
        ({"columns": []}, "columns"),
        ({"columns": [{"header": "账号", "field": "password"}]}, "columns[0]"),
        ({"columns": [{"header": "账号", "field": "account"}, {"header": "账号", "field": "name"}]}, "columns"),
        ({"result_columns": {"account": "账号"}}, "result_columns"),
        ({"success_values": []}, "success_values"),
        ({"encoding": "big5"}, "encoding"),
    ],
)
def test_a_bad_layout_is_refused_naming_the_field_and_nothing_is_saved(world, change, field):
    before = BankLayout.objects.count()
    with pytest.raises(InvalidInput) as exc:
        save_layout(by=world.user("tez_county"), **{**ICBC, **change})
    assert exc.value.field == field
    assert BankLayout.objects.filter(code="icbc_csv").count() == 0 and BankLayout.objects.count() <= before + 2


def test_a_town_clerk_may_not_and_another_county_is_out_of_reach(world):
    from jiuzhu.core.errors import Forbidden

    with pytest.raises(Forbidden):
        save_layout(by=world.user("tez_zhangshanzi"), **ICBC)
    with pytest.raises(NotFound):
        save_layout(by=world.user("tez_county"), **{**ICBC, "county_code": "370404"})


def test_the_page_lists_edits_and_serves_the_sample(world, client_of):
    client = client_of("tez_county")
    page = client.get("/payments/layouts/").content.decode()
    assert "通用格式（CSV）" in page and "惠农一卡通（Excel）" in page and "下载样例文件" in page
    form = {
        "code": "icbc_csv",
        "name": "工商银行代发（CSV）",
        "file_format": "csv",
        "encoding": "gb18030",
        "columns": "账号｜银行账号\n户名｜姓名\n金额｜金额（元）",
        "account": "账号",
        "amount": "金额",
        "status": "状态",
        "success_values": "成功、0000",
        "amount_unit": "yuan",
    }
    bad = client.post("/payments/layouts/", {**form, "columns": "账号｜密码"}).content.decode()
    assert "导出列第1行应写“表头｜内容”" in bad and not BankLayout.objects.filter(code="icbc_csv").exists()
    assert client.post("/payments/layouts/", form).status_code == 302
    layout = BankLayout.objects.get(code="icbc_csv")
    assert layout.columns[0] == {"header": "账号", "field": "account"} and layout.success_values == ["成功", "0000"]
    sample = client.get(f"/payments/layouts/{layout.pk}/sample/")
    assert sample.status_code == 200 and sample.content.decode("gb18030").startswith("账号,户名,金额")


def test_the_api_saves_a_layout(world, api_of):
    api = api_of("tez_county")
    r = api.post("/api/v1/payments/layouts", ICBC, content_type="application/json")
    assert r.status_code == 200 and r.json()["code"] == "icbc_csv"
    bad = api.post("/api/v1/payments/layouts", {**ICBC, "success_values": []}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "success_values"
    listed = api.get("/api/v1/payments/layouts").json()
    assert "icbc_csv" in {x["code"] for x in listed}
