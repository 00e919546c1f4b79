"""The demo generator writes realistic department files for registered families and for
people not in the registry; clean files load, the 错误示例 files are refused precisely."""

import pytest

from jiuzhu.verification.demo import load_demo_sources, write_department_files
from jiuzhu.verification.models import Authorization, Batch, VerificationRequest

pytestmark = pytest.mark.django_db


def test_it_writes_clean_and_defective_files_that_the_ingest_handles(world, catalog, household_in, upload, tmp_path):
    for town in ("张山子镇", "张山子镇", "涧头集镇"):
        household_in(town, size=3)
    files = write_department_files(tmp_path, outsiders=200)
    clean = {f.source: f for f in files if not f.defective}
    bad = {f.source: f for f in files if f.defective}
    assert {"gongan.vehicle", "renhang.deposit", "renhang.account", "yibao.insurance"} <= set(clean)
    assert clean["renhang.deposit"].path.suffix == ".xlsx" and clean["gongan.vehicle"].path.read_bytes().decode("gbk")
    insured = upload("yibao.insurance", clean["yibao.insurance"].path.read_bytes(), filename="yibao.insurance.csv")
    assert insured.status == "loaded" and insured.persons == 9 + 200 and insured.matched_persons == 9
    refused = upload("yibao.insurance", bad["yibao.insurance"].path.read_bytes(), filename="bad.csv")
    messages = " ".join(e["message"] for e in refused.errors)
    assert refused.status == "rejected"
    for expected in ("身份证号码校验位不正确", "不存在", "身份证号码不能为空", "重复", "多于表头"):
        assert expected in messages


def test_it_loads_the_demo_once(world, catalog, household_in, tmp_path):
    household_in("张山子镇", size=3)
    first = load_demo_sources(tmp_path, households_to_authorize=1)
    assert first["batches"] >= 5
    assert Authorization.objects.count() == 3 and VerificationRequest.objects.count() == 1
    count = Batch.objects.count()
    load_demo_sources(tmp_path, households_to_authorize=1)
    assert Batch.objects.count() == count and Authorization.objects.count() == 3
