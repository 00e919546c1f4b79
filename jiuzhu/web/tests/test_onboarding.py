"""开通县区 from files alone (issue 16 item 5): GOV-3 (区划与岗位), GOV-5 (办理流程配置),
GOV-17 (两人规则与留痕), STD-1 (本县低保标准). The example county 薛城区 (370403) is not in the
demo; it is onboarded from docs/onboarding/example, checked, refused on bad input with nothing
written, onboarded twice with nothing changed the second time."""

from __future__ import annotations

import io
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.config import config_for
from jiuzhu.areas.models import Area
from jiuzhu.audit.models import AuditEntry
from jiuzhu.programs.models import CountyProgram, ParameterChange
from jiuzhu.web import onboarding

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "onboarding" / "example"
COUNTY = "370403"


@pytest.fixture
def example(tmp_path: Path) -> Path:
    target = tmp_path / "xuecheng"
    shutil.copytree(EXAMPLE, target)
    return target


def files(directory: Path) -> dict[str, bytes]:
    return {name: (directory / name).read_bytes() for name in onboarding.FILES}


def counts() -> tuple[int, ...]:
    return (
        Area.objects.count(),
        User.objects.count(),
        Department.objects.count(),
        ParameterChange.objects.count(),
        CountyProgram.objects.count(),
        AuditEntry.objects.count(),
    )


def run(directory: Path, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("onboard_county", str(directory), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_onboards_the_example_county_from_files_alone(world: Any, example: Path) -> None:
    """GOV-3, GOV-5, STD-1: after the files, --check finds nothing missing."""
    with pytest.raises(SystemExit) as exit_:
        run(example, "--check")
    assert exit_.value.code == 1
    out, _ = run(example)
    assert "已写入" in out and "初始密码已写入" in out
    out, _ = run(example, "--check")
    assert "✗" not in out and "各项均已就绪" in out
    assert User.objects.get(username="xc_shagou").area_id == "370403104000"
    assert config_for(COUNTY).issuer_name == "薛城区民政局"


def test_it_writes_the_one_time_passwords_to_a_file_only_its_owner_reads(world: Any, example: Path) -> None:
    """GOV-17: passwords are not in the files; each new account gets its own, handed out once."""
    out, _ = run(example)
    [target] = example.glob("initial-passwords-370403-*.csv")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    lines = target.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "用户名,姓名,岗位,初始密码" and len(lines) == 10
    username, _, _, password = lines[1].split(",")
    assert User.objects.get(username=username).check_password(password)
    assert password not in out


def test_it_runs_twice_and_changes_nothing_the_second_time(world: Any, example: Path) -> None:
    """Idempotent (GOV-3): the second run writes no row, no audit entry, no password file."""
    run(example)
    before = counts()
    out, _ = run(example)
    assert counts() == before
    assert "本次没有需要写入的内容" in out and "已写入" not in out
    assert len(list(example.glob("initial-passwords-*.csv"))) == 1


def test_it_audits_each_step_and_enters_the_standards_by_two_people(world: Any, example: Path) -> None:
    """GOV-17, STD-1: the standards are the county's own, entered and confirmed by two staff."""
    run(example)
    urban = ParameterChange.objects.get(name="dibao.standard.urban", area_code=COUNTY)
    assert (urban.value, urban.status) == (96000, "confirmed")
    assert (urban.proposed_by.username, urban.decided_by.username) == ("xc_county", "xc_admin")
    preset = ParameterChange.objects.get(name="procedure.preset", area_code=COUNTY)
    assert preset.value == "national" and preset.proposed_by_id != preset.decided_by_id
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "areas.import",
        "accounts.user.create",
        "accounts.department.save",
        "programs.parameter.documents",
    } <= actions
    assert {"programs.county.choose", "programs.parameter.confirm", "programs.parameter.preset"} <= actions


def test_a_dry_run_shows_what_will_be_created_and_writes_nothing(world: Any, example: Path) -> None:
    before = counts()
    report = onboarding.onboard(onboarding.read_directory(example), by=SystemActor(), dry_run=True)
    assert counts() == before
    assert any("xc_shagou" in line for line in report.done) and report.dry_run


# ---- bad input: a precise message, nothing written --------------------------------------


def refused(directory: Path) -> str:
    before = counts()
    with pytest.raises(CommandError) as exc:
        run(directory)
    assert "未写入任何数据" in str(exc.value)
    assert counts() == before
    with pytest.raises(onboarding.OnboardingInvalid) as invalid:
        onboarding.read_directory(directory)
    return "；".join(invalid.value.problems)


def rewrite_staff(directory: Path, change: Any) -> None:
    from openpyxl import load_workbook

    book = load_workbook(directory / "staff.xlsx")
    change(book.worksheets[0])
    book.save(directory / "staff.xlsx")


def test_it_refuses_an_area_file_in_an_unknown_encoding(world: Any, example: Path) -> None:
    (example / "areas.csv").write_bytes(b"code,name,parent,urban_rural\n370403000000,\xff\xfe\xff,370400000000,\n")
    assert "areas.csv：无法识别文件编码" in refused(example)


def test_it_refuses_an_unknown_role_naming_row_and_column(world: Any, example: Path) -> None:
    rewrite_staff(example, lambda ws: ws.cell(row=5, column=3, value="镇长"))
    assert "staff.xlsx 第5行“岗位”列：未知岗位“镇长”" in refused(example)


def test_it_refuses_a_duplicate_username(world: Any, example: Path) -> None:
    rewrite_staff(example, lambda ws: ws.cell(row=7, column=1, value="xc_shagou"))
    assert "staff.xlsx 第7行“用户名”列：用户名“xc_shagou”与第5行重复" in refused(example)


def test_it_refuses_a_username_taken_by_another_county(world: Any, example: Path) -> None:
    rewrite_staff(example, lambda ws: ws.cell(row=5, column=1, value="tez_zhangshanzi"))
    assert "staff.xlsx 第5行“用户名”列：账号“tez_zhangshanzi”已存在" in refused(example)


def test_it_refuses_a_user_area_outside_the_county(world: Any, example: Path) -> None:
    rewrite_staff(example, lambda ws: ws.cell(row=5, column=4, value="370405101000"))
    assert "staff.xlsx 第5行“所属区划代码”列：370405101000不在本县（370403）范围内" in refused(example)


def test_it_refuses_a_role_at_the_wrong_level(world: Any, example: Path) -> None:
    rewrite_staff(example, lambda ws: ws.cell(row=9, column=4, value="370403104000"))
    assert "staff.xlsx 第9行“所属区划代码”列：岗位“村协理员/网格员”应属于村（社区）级区划" in refused(example)


def test_it_refuses_the_same_person_entering_and_confirming(world: Any, example: Path) -> None:
    """GOV-17: the two-person rule holds when a county is onboarded too."""
    text = (example / "county.yaml").read_text(encoding="utf-8")
    (example / "county.yaml").write_text(text.replace("confirmed_by: xc_admin", "confirmed_by: xc_county"), "utf-8")
    assert "county.yaml“confirmed_by”：录入人和确认人不能是同一人" in refused(example)


def test_it_refuses_a_standard_without_its_source(world: Any, example: Path) -> None:
    """STD-1: no standard without its document."""
    text = (example / "county.yaml").read_text(encoding="utf-8")
    head, _, tail = text.partition("  rural:")
    tail = tail.replace("    source: 示例", "    source: ''\n    # 示例", 1)
    (example / "county.yaml").write_text(head + "  rural:" + tail, "utf-8")
    assert "county.yaml“dibao_standards.rural.source”：缺少农村低保标准的文件依据" in refused(example)


def test_it_refuses_a_preset_without_its_source_and_an_unknown_program(world: Any, example: Path) -> None:
    text = (example / "county.yaml").read_text(encoding="utf-8")
    text = text.replace("  source: 民发〔2021〕57号《最低生活保障审核确认办法》", "  source:")
    text = text.replace("  - code: education_assistance", "  - code: flying_carpets")
    (example / "county.yaml").write_text(text, "utf-8")
    problems = refused(example)
    assert "county.yaml“preset.source”：缺少文件依据" in problems
    assert "county.yaml“programs[8]”：救助项目库中没有项目代码“flying_carpets”" in problems


def test_it_refuses_an_area_of_another_county_in_the_area_file(world: Any, example: Path) -> None:
    with (example / "areas.csv").open("a", encoding="utf-8") as fh:
        fh.write("370405101299,某村,370405101000,220\n")
    assert "areas.csv 第13行“code”列：区划代码370405101299不属于本县（370403）" in refused(example)


def test_it_names_a_missing_file(world: Any, example: Path) -> None:
    (example / "staff.xlsx").unlink()
    assert "缺少文件staff.xlsx" in refused(example)


def test_it_onboards_a_bare_deployment_without_the_demo(db: None, example: Path) -> None:
    """GOV-3: a new deployment (catalog loaded, no demo areas or users) needs nothing but the files."""
    from jiuzhu.programs.catalog import sync_catalog

    sync_catalog()
    assert not Area.objects.exists()
    run(example)
    assert Area.objects.get(code="370400000000").name == "枣庄市"
    assert onboarding.missing_items(COUNTY) == []


def test_it_asks_for_the_catalog_when_it_is_empty(db: None, example: Path) -> None:
    assert "救助项目库为空" in refused(example)


def test_it_counts_a_lapsed_county_document_as_missing(world: Any) -> None:
    """GOV-5: 峄城区's seed 004 lapsed on 2025-09-04; the national default alone is not the
    county's own procedure decision, so the checklist asks for its current document."""
    import datetime as dt

    def item(county: str) -> onboarding.ChecklistItem:
        return next(i for i in onboarding.checklist(county, dt.date(2026, 12, 1)) if i.key == "procedure_settings")

    assert not item("370404").ok and "尚未录入本县的办理流程模式" in item("370404").detail
    assert item("370405").ok


def test_it_enters_the_documents_as_dated_settings_with_their_source(world: Any, example: Path) -> None:
    """GOV-8, GOV-5: 文书字号、出具单位和救济途径 are the county's dated settings, each with the
    document named in county.yaml, entered and confirmed by two of its staff."""
    import datetime as dt

    run(example)
    issuer = ParameterChange.objects.get(name="documents.issuer_name", area_code=COUNTY)
    assert (issuer.value, issuer.status, issuer.valid_from) == ("薛城区民政局", "confirmed", dt.date(2026, 1, 1))
    assert "薛民字〔2025〕X号" in issuer.source
    assert issuer.decided_by is not None
    assert (issuer.proposed_by.username, issuer.decided_by.username) == ("xc_county", "xc_admin")
    config = config_for(COUNTY, dt.date(2026, 12, 1))
    assert (config.notice_prefix, config.remedy_review_body, config.remedy_court) == (
        "薛民救",
        "薛城区人民政府",
        "薛城区人民法院",
    )
    assert (config.remedy_review_days, config.remedy_litigation_months) == (60, 6)


def test_it_refuses_documents_without_an_issuer(world: Any, example: Path) -> None:
    """GOV-8: a county's notices need an issuer; the file names the missing key."""
    text = (example / "county.yaml").read_text(encoding="utf-8")
    (example / "county.yaml").write_text(text.replace("  issuer_name: 薛城区民政局\n", ""), "utf-8")
    assert "county.yaml“documents.issuer_name”：缺少出具单位" in refused(example)


def test_it_lists_a_county_without_its_issuer_or_remedy_bodies_as_missing(world: Any, example: Path) -> None:
    """GOV-8, GOV-19: a county onboarded without its document settings cannot take an
    application; the checklist names each missing one."""
    import datetime as dt

    run(example)
    ParameterChange.objects.filter(
        area_code=COUNTY, name__in=["documents.issuer_name", "documents.remedy_review_body", "documents.remedy_court"]
    ).delete()
    [item] = [i for i in onboarding.checklist(COUNTY, dt.date(2026, 12, 1)) if i.key == "procedure_config"]
    assert not item.ok
    assert item.detail == "缺少：出具单位（文书落款）、行政诉讼管辖法院（救济途径）、行政复议机关（救济途径）"


# ---- each program's county details (承办部门、联系人、联系电话、材料、取消的证明事项) ----------------


def edit_county_file(directory: Path, old: str, new: str) -> None:
    text = (directory / "county.yaml").read_text(encoding="utf-8")
    assert old in text
    (directory / "county.yaml").write_text(text.replace(old, new, 1), "utf-8")


def test_it_takes_each_programs_department_contact_and_abolished_proofs(world: Any, example: Path) -> None:
    """PRG-2, INT-16, INT-18: the county file gives each program its 承办部门, contact and
    取消的证明事项 with the document; they are entered through the county-program action (audited)."""
    run(example)
    rural = CountyProgram.objects.get(county_code=COUNTY, program__code="dibao_rural")
    assert rural.department is not None and rural.department.code == "minzheng"
    assert (rural.department_name, rural.contact_person, rural.contact_phone) == (
        "薛城区民政局",
        "社会救助股（示例）",
        "0632-4412345",
    )
    assert rural.abolished_proofs == [
        {"name": "村（居）委会出具的家庭收入证明", "document": "示例：薛政办字〔2020〕X号"}
    ]
    medical = CountyProgram.objects.get(county_code=COUNTY, program__code="medical_major_illness")
    assert (medical.department_name, medical.contact_phone) == ("薛城区医疗保障局", "0632-4412346")
    entry = AuditEntry.objects.filter(action="programs.county.choose", changes__program="dibao_rural").get()
    assert entry.changes["contact_phone"] == "0632-4412345"


def test_it_updates_a_changed_contact_on_the_next_run(world: Any, example: Path) -> None:
    """PRG-2, GOV-17: a new phone in the file changes only that program, audited as an edit."""
    run(example)
    edit_county_file(
        example,
        "    contact_person: 医疗救助科（示例）\n    contact_phone: 0632-4412346",
        "    contact_person: 医疗救助科（示例）\n    contact_phone: 13806321234",
    )
    out, _ = run(example)
    assert "医疗救助 更新承办部门、联系人和材料" in out or "更新承办部门、联系人和材料" in out
    assert (
        CountyProgram.objects.get(county_code=COUNTY, program__code="medical_major_illness").contact_phone
        == "13806321234"
    )
    assert AuditEntry.objects.filter(action="programs.county.edit").count() == 1


def test_it_refuses_a_bad_contact_phone_naming_file_program_and_field(world: Any, example: Path) -> None:
    """INT-16: the message names county.yaml, the program and the field; nothing is written."""
    edit_county_file(example, "contact_phone: 0632-4412346", "contact_phone: 12345")
    problems = refused(example)
    assert "county.yaml“programs[7]（" in problems and ".contact_phone”：联系电话格式不正确" in problems


def test_it_refuses_a_proof_without_its_document_and_an_unknown_department(world: Any, example: Path) -> None:
    """INT-18: an abolished proof needs the document that abolished it; the 承办部门 must be one
    of the county's departments in the same file."""
    edit_county_file(example, "document: 示例：薛政办字〔2020〕X号}", "document: ''}")
    edit_county_file(example, "{code: tekun, department: minzheng", "{code: tekun, department: caizheng")
    problems = refused(example)
    assert ".abolished_proofs”：取消的证明事项“村（居）委会出具的家庭收入证明”：请填写取消依据文号" in problems
    assert (
        "“programs[3]（" in problems
        and ".department”：承办部门“caizheng”不在本文件 departments 所列部门代码中" in problems
    )


def test_check_lists_programs_without_a_contact_phone(world: Any, example: Path) -> None:
    """PRG-2: --check names each program the public cannot call about."""
    run(example)
    CountyProgram.objects.filter(county_code=COUNTY, program__code="tekun").update(contact_phone="")
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("onboard_county", str(example), "--check", stdout=out)
    assert exit_.value.code == 1
    assert "缺少联系电话：特困人员救助供养" in out.getvalue() or "缺少联系电话：特困" in out.getvalue()
    [item] = onboarding.missing_items(COUNTY)
    assert item.key == "program_contacts" and item.detail.startswith("缺少联系电话：") and "特困" in item.detail
