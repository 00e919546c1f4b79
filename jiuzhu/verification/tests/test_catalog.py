"""核对数据目录 (VER-8, VER-9, VER-19, Appendix A): every department of seed 000 with its data
types and versioned schemas; a read-only page of sources with freshness (REG-10)."""

import pytest
import yaml

from jiuzhu.verification import catalog as cat
from jiuzhu.verification.models import Provider, Source, SourceSchema

from .conftest import csv_bytes, headers_of, row_for

pytestmark = pytest.mark.django_db

SEED_000 = {
    "jiaoti": "000（1）",
    "gongan": "000（2）",
    "minzheng": "000（3）",
    "sifa": "000（4）",
    "caizheng": "000（5）",
    "renshe": "000（6）",
    "ziran": "000（7）",
    "zhujian": "000（8）",
    "jiaotong": "000（9）",
    "shichang": "000（10）",
    "canlian": "000（11）",
    "fupin": "000（12）",
    "gongjijin": "000（13）",
    "nongye": "000（14）",
    "renhang": "000（15）",
    "shuiwu": "000（16）",
    "yibao": "000（17）",
    "shenpi": "000（18）",
}


def test_it_lists_every_department_of_seed_000_with_data_types(catalog):
    """VER-8: the 18 providers of seed 000's numbered list, each with at least one data type."""
    providers = {p.code: p for p in Provider.objects.all()}
    for code, item in SEED_000.items():
        assert providers[code].seed_item == item
        assert Source.objects.filter(provider__code=code).exists(), code
    assert (
        Source.objects.filter(
            code__in=["renhang.deposit", "zhengjian.securities", "gongjijin.fund", "shuiwu.tax"]
        ).count()
        == 4
    )  # VER-10


def test_it_keeps_a_department_without_data_types(catalog):
    """VER-19: 卫生健康 is named as a provider without any data type."""
    weijian = Provider.objects.get(code="weijian")
    assert not weijian.sources.exists() and "VER-19" in weijian.duties


def test_it_declares_a_schema_for_every_data_type(catalog):
    for source in Source.objects.all():
        schema = source.current_schema
        assert schema.version == 1 and schema.field(schema.id_field)["type"] == "id_number"
        assert schema.record_key


def test_it_adds_a_schema_version_when_the_catalog_changes(catalog, tmp_path):
    """VER-9: a changed schema becomes version 2; version 1 stays for its batches."""
    data = yaml.safe_load(cat.CATALOG_FILE.read_text(encoding="utf-8"))
    vehicle = next(s for p in data["providers"] for s in p["sources"] or [] if s["code"] == "gongan.vehicle")
    vehicle["fields"].append({"key": "brand", "header": "品牌型号", "type": "str"})
    changed = tmp_path / "sources.yaml"
    changed.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert cat.sync_catalog(changed) == {"providers": 0, "sources": 0, "schemas": 1}
    versions = SourceSchema.objects.filter(source__code="gongan.vehicle").order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].headers[-1] == "品牌型号"
    assert cat.sync_catalog(changed)["schemas"] == 0


def test_it_refuses_a_schema_that_names_an_undeclared_field():
    with pytest.raises(cat.CatalogError, match="引用了未声明的字段"):
        cat.check_schema(
            "x.y",
            {"fields": [{"key": "id_number", "header": "身份证号码", "type": "id_number"}], "record_key": ["plate"]},
        )


def test_it_shows_every_source_with_its_latest_batch_and_freshness(world, catalog, client_of, upload, new_id):
    data = csv_bytes(
        headers_of("gongan.vehicle"),
        [row_for("gongan.vehicle", id_number=new_id(), plate="鲁D1", vehicle_type="小型轿车", state="正常")],
    )
    batch = upload("gongan.vehicle", data)
    page = client_of("tez_hecha").get("/verification/sources/").content.decode()
    assert "机动车辆登记" in page and f"#{batch.pk}" in page and "正常（35天内）" in page
    assert "卫生健康部门" in page and "未规定具体数据类型" in page


def test_it_lists_sources_through_the_api(world, catalog, api_of):
    rows = api_of("tez_yibao").get("/api/v1/sources").json()
    by_code = {r["code"]: r for r in rows}
    assert by_code["yibao.expense"]["may_upload"] is True and by_code["gongan.vehicle"]["may_upload"] is False
    assert by_code["yibao.expense"]["fresh"] is None
    detail = api_of("tez_yibao").get("/api/v1/sources/yibao.expense").json()
    assert detail["current_schema"]["version"] == 1 and "个人自付（元）" in detail["headers"]


def test_it_lets_the_administrator_edit_the_catalog_in_the_admin(world, catalog, client_of):
    admin = client_of("tez_admin")
    assert admin.get("/admin/verification/source/").status_code == 200
    source = Source.objects.get(code="gongan.vehicle")
    page = admin.get(f"/admin/verification/source/{source.pk}/change/")
    assert page.status_code == 200 and "机动车辆登记" in page.content.decode()
    assert client_of("tez_hecha").get("/admin/verification/source/").status_code == 302  # not staff


def test_it_shows_the_verification_centre_in_the_navigation(world, catalog, client_of):
    assert "核对中心" in client_of("tez_hecha").get("/").content.decode()
    assert "核对中心" in client_of("tez_yibao").get("/").content.decode()
    page = client_of("tez_yibao").get("/verification/").content.decode()
    assert "上报数据" in page and "待核对申请" not in page


def test_it_gives_the_administrator_the_catalog_and_every_batch(world, catalog, client_of, upload, new_id):
    data = csv_bytes(
        headers_of("gongan.vehicle"),
        [row_for("gongan.vehicle", id_number=new_id(), plate="鲁D2", vehicle_type="小型轿车", state="正常")],
    )
    batch = upload("gongan.vehicle", data)
    admin = client_of("tez_admin")
    assert f"#{batch.pk}" in admin.get("/verification/").content.decode()
    assert "维护目录" in admin.get("/verification/sources/").content.decode()
    assert admin.get(f"/admin/verification/batch/{batch.pk}/change/").status_code == 200
