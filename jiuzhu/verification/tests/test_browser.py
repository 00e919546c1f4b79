"""The issue's "done when" in a real browser: a 医保局 user uploads a messy spreadsheet and
gets a precise error report, then a clean one loads; a 核对员 runs 一键核对 from the queue
and downloads the PDF report (VER-4, VER-12, REG-9)."""

import pytest
from playwright.sync_api import Page, expect

from jiuzhu.verification.actions import request_verification
from jiuzhu.verification.models import Batch, Report

from .conftest import IMMEDIATE, csv_bytes, headers_of, plain_ids, row_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "jiuzhu-demo-2026"


def login(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("current-user")).to_be_visible()


def expense(id_number, hospital, own="400.00", day="2026-09-15"):
    return row_for(
        "yibao.expense", name="患者", id_number=id_number, hospital=hospital, settled_on=day, total="1000", own=own
    )


def test_a_department_user_uploads_a_messy_file_then_a_clean_one(
    page: Page, live_server, world, catalog, settings, new_id, tmp_path
):
    settings.TASKS = IMMEDIATE
    person = new_id(age=50)
    messy = csv_bytes(
        headers_of("yibao.expense"),
        [
            expense(person, "医院甲"),
            expense(person[:17] + ("1" if person[17] != "1" else "2"), "医院乙"),
            expense(person, "医院丙", own="约三千元"),
        ],
        "gbk",
    )
    (tmp_path / "医保报销-有错.csv").write_bytes(messy)
    clean = csv_bytes(
        headers_of("yibao.expense"), [expense(person, "医院甲"), expense(person, "医院丙", own="0.3万元")], "gbk"
    )
    (tmp_path / "医保报销.csv").write_bytes(clean)

    login(page, live_server.url, "tez_yibao")
    page.get_by_role("link", name="核对中心").click()
    page.get_by_test_id("my-sources").get_by_role("row").filter(has_text="医保报销").get_by_role(
        "link", name="上报数据"
    ).click()
    page.get_by_label("数据文件").set_input_files(str(tmp_path / "医保报销-有错.csv"))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("校验未通过")
    errors = page.get_by_test_id("batch-errors")
    expect(errors).to_contain_text("共 2 处错误，整批未入库")
    expect(errors.get_by_role("row").filter(has_text="身份证号码校验位不正确")).to_contain_text("3")
    expect(errors.get_by_role("row").filter(has_text="约三千元")).to_contain_text("个人自付（元）")
    with page.expect_download() as download:
        errors.get_by_role("link", name="下载错误报告（Excel）").click()
    assert download.value.suggested_filename.endswith("-errors.xlsx")

    page.get_by_role("link", name="继续上报").click()
    page.get_by_label("数据文件").set_input_files(str(tmp_path / "医保报销.csv"))
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("已入库")
    expect(page.get_by_test_id("batch-loaded")).to_contain_text("已入库 2 行")
    assert Batch.objects.filter(status="loaded").get().encoding == "gb18030"


def test_a_verifier_runs_one_click_verification_and_downloads_the_pdf(
    page: Page, live_server, world, catalog, settings, authorized, upload, vehicle_file
):
    h = authorized("张山子镇", size=3)
    upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D12345")))
    deposits = [
        row_for(
            "renhang.deposit",
            id_number=plain_ids(h)[1],
            bank="农商银行",
            last4="0001",
            deposit_type="定期",
            balance="30万元",
            as_of="2026-10-31",
        )
    ]
    upload("renhang.deposit", csv_bytes(headers_of("renhang.deposit"), deposits))
    request_verification(by=world.user("tez_zhangshanzi"), household=h, program="dibao")

    login(page, live_server.url, "tez_hecha")
    page.get_by_role("link", name="核对中心").click()
    queue = page.get_by_test_id("pending-requests")
    row = queue.get_by_role("row").filter(has_text=h.head_name)
    expect(row).to_contain_text("最低生活保障")  # the 核对项目 by its name, never its code
    expect(row).not_to_contain_text("dibao")
    row.get_by_role("button", name="一键核对").click()
    expect(page.get_by_text("已出具核对报告")).to_be_visible()
    findings = page.get_by_test_id("report-findings")
    expect(findings).to_contain_text("名下车辆1辆（鲁D12345）")
    expect(findings).to_contain_text("存款超过标准")
    expect(page.get_by_test_id("report-comparisons")).to_contain_text("不符合")
    report = Report.objects.get()
    expect(page.get_by_test_id("report-number")).to_have_text(report.number)
    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    path = download.value.path()
    with open(path, "rb") as fh:
        assert fh.read(5) == b"%PDF-"
    assert download.value.suggested_filename == f"{report.number}.pdf"


def test_a_file_larger_than_one_request_is_uploaded_in_parts_with_progress(
    page: Page, live_server, world, catalog, settings, new_id, tmp_path, monkeypatch
):
    """VER-6: the browser sends a file above the request limit in parts (here the part size is
    lowered to 2 KB so a small file needs several), shows the progress and lands on the batch;
    a refused completion is shown on the page and nothing is loaded."""
    from jiuzhu.verification import actions
    from jiuzhu.verification.models import Upload

    settings.TASKS = IMMEDIATE
    monkeypatch.setattr(actions, "MAX_PART_BYTES", 2048)
    rows = [expense(new_id(age=40 + i % 30), f"医院{i}") for i in range(120)]
    data = csv_bytes(headers_of("yibao.expense"), rows)
    assert len(data) > 3 * 2048
    (tmp_path / "医保报销-大文件.csv").write_bytes(data)

    login(page, live_server.url, "tez_yibao")
    page.goto(f"{live_server.url}/verification/sources/yibao.expense/upload/")
    page.get_by_label("数据文件").set_input_files(str(tmp_path / "医保报销-大文件.csv"))
    page.get_by_label("数据期间起").fill("2026-09-30")
    page.get_by_label("数据期间止").fill("2026-09-01")
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("upload-status")).to_contain_text("数据期间")
    expect(page.get_by_test_id("upload-progress")).to_have_attribute("value", "100")
    assert not Batch.objects.exists()

    page.get_by_label("数据期间起").fill("2026-09-01")
    page.get_by_label("数据期间止").fill("2026-09-30")
    page.get_by_role("button", name="上传").click()
    expect(page.get_by_test_id("batch-state")).to_have_text("已入库")
    expect(page.get_by_test_id("batch-loaded")).to_contain_text("已入库 120 行")
    batch = Batch.objects.get()
    assert batch.channel == "ui" and batch.original_name == "医保报销-大文件.csv"
    assert Upload.objects.get(completed_batch=batch).parts == -(-len(data) // 2048)
