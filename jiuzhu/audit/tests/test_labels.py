"""Every audit action has a Chinese name (issue 14 item 9): the trail on a case, a household, a
referral, the home page and the audit log shows what happened, never ``applications.intake``."""

import ast
import re
from pathlib import Path

import pytest

from jiuzhu.audit.labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]


def recorded_actions() -> tuple[set[str], set[str]]:
    """(literal actions, f-string patterns) passed to ``record(by, action, …)`` in the code."""
    literals, patterns = set(), set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or len(node.args) < 2:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in ("record", "audit"):
                continue
            arg = node.args[1]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                literals.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):
                patterns.add(ast.unparse(arg))
    return literals, patterns


def test_every_literal_action_has_a_chinese_name():
    literals, _ = recorded_actions()
    assert len(literals) > 60
    missing = sorted(a for a in literals if a not in ACTION_LABELS)
    assert missing == []


def test_every_generated_action_has_a_chinese_name():
    from jiuzhu.applications.workflow import TRANSITIONS
    from jiuzhu.monitoring.models import LIFE_EVENT_KINDS, REVIEW_KINDS

    _, patterns = recorded_actions()
    assert any("applications." in p for p in patterns)
    generated = (
        [f"applications.{t.name}" for t in TRANSITIONS]
        + [f"referrals.{a}" for a in ("accept", "decide", "return", "cancel")]
        + [f"payments.roster.{d}" for d in ("hold", "pay")]
        + [f"verification.report.{h}" for h in ("view", "download")]
        + [f"payments.review.open_{k}" for k, _ in REVIEW_KINDS]
        + [f"programs.parameter.{d}" for d in ("confirm", "reject")]
        + [f"verification.batch.{d}" for d in ("reject", "fail")]
        + ["payments.job.dead", "verification.job.dead"]
        + [f"monitoring.life_event.{k}" for k, _ in LIFE_EVENT_KINDS]
    )
    unnamed = [a for a in generated if action_label(a) == "其他操作" or re.search(r"[A-Za-z]", action_label(a))]
    assert unnamed == []


@pytest.mark.django_db
def test_the_trail_on_the_pages_shows_names_not_codes(client_of, household_in):
    h = household_in("张山子镇")
    page = client_of("tez_zhangshanzi").get(f"/households/{h.id}/").content.decode()
    assert "登记家庭" in page and "registry.household.create" not in page
    audit = client_of("tez_viewer").get("/audit/").content.decode()
    assert "registry.household.create" not in audit and "登记家庭" in audit


def test_changes_read_as_words():
    from jiuzhu.web.templatetags.audit_format import changes_text

    text = changes_text({"amount_fen": 80000, "granted": True, "found": False})
    assert "800.00元" in text and "是" in text and "否" in text and "True" not in text


def test_a_life_event_from_department_data_reads_as_words():
    """The trail of a move out found in 公安's 户籍 file: its kind and its data type by name."""
    from jiuzhu.audit.changes import changes_text

    text = changes_text({"kind": "moved_out", "source": "gongan.hukou", "category": "迁出", "batch": 2})
    assert "户籍迁出本县" in text and "户籍登记、迁移和注销" in text
    assert not re.search(r"[A-Za-z]", text)
    assert "成员死亡" in changes_text({"kind": "death", "source": "minzheng.funeral"})


def test_a_referral_and_an_emergency_read_as_words():
    """A 派单's program from the 救助项目库 and an 应急期's kind by name; 低保 keeps its own name."""
    from jiuzhu.audit.changes import changes_text

    referral = changes_text({"program": "medical_major_illness", "status": "sent"})
    assert "重特大疾病医疗救助" in referral and not re.search(r"[A-Za-z]", referral)
    assert changes_text({"kind": "flood"}) == "类型：洪涝"
    assert changes_text({"program": "dibao"}) == "救助项目：最低生活保障"


def test_a_referral_s_channel_is_its_own_not_an_application_s():
    """ "online" on a 派单 is 系统派单; on an application it is 网上申请（掌上办）. The trail of the
    派单 (its page) names its own, the case's trail the case's."""
    from jiuzhu.audit.changes import changes_text

    assert changes_text({"channel": "online"}, "referrals.referral") == "渠道：系统派单"
    assert changes_text({"channel": "paper"}, "referrals.referral") == "渠道：线下转办（纸质）"
    assert changes_text({"channel": "online"}, "applications.intake") == "渠道：网上申请（掌上办）"


def test_a_code_is_named_as_its_object_s_field_names_it():
    """The same code on other objects: a 派单 accepted is 办理中 (an application accepted is 已受理);
    a department batch rejected is 校验未通过 (not 不予批准), failed 处理出错 (not 发放失败); a
    核对预警 open is 待处理 (not 待复核); a 核对申请 pending is 待核对 (not 待发放); a review's kind
    "change" is 变更报告 and its outcome "change" 调整金额."""
    from jiuzhu.audit.changes import changes_text

    assert changes_text({"status": "accepted"}, "referrals.referral") == "状态：办理中"
    assert changes_text({"status": "accepted"}, "applications.application") == "状态：已受理"
    assert changes_text({"status": ["processing", "rejected"]}, "verification.batch").endswith("→ 校验未通过")
    assert changes_text({"status": "failed"}, "verification.batch") == "状态：处理出错"
    assert changes_text({"status": "open"}, "verification.finding") == "状态：待处理"
    assert changes_text({"status": "pending"}, "verification.verificationrequest") == "状态：待核对"
    assert (
        changes_text({"kind": "change", "outcome": "change"}, "monitoring.review") == "类型：变更报告；结论：调整金额"
    )


def test_the_dossier_s_trail_names_its_actions(client_of, signed_intake):
    """The 案卷 (a PDF for the archive) lists the case's trail by name, not ``applications.intake``."""
    import io
    import subprocess
    import zipfile

    app = signed_intake().applications.get()
    data = client_of("tez_zhangshanzi").get(f"/applications/{app.id}/dossier.zip").content
    archive = zipfile.ZipFile(io.BytesIO(data))
    cover = archive.read(archive.namelist()[0])
    text = subprocess.run(["pdftotext", "-", "-"], input=cover, capture_output=True, check=True).stdout.decode()
    assert "办理记录" in text or "受理" in text
    assert not re.search(r"applications\.[a-z_]+", text), text


def recorded_change_keys() -> set[str]:
    """Literal keys of the ``changes`` dicts passed to ``record()``, the workflow's ``_finish`` and
    the referrals' ``_save``."""
    keys: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            dicts = [kw.value for kw in node.keywords if kw.arg == "changes"] if name in ("record", "audit") else []
            if name == "_finish":
                dicts += node.args[3:]
            if name == "_save":  # a referral's action (referrals.actions._common._save)
                dicts += node.args[2:]
            for d in dicts:
                if isinstance(d, ast.Dict):
                    keys |= {k.value for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


def test_every_recorded_change_has_a_chinese_name():
    from jiuzhu.audit.changes import KEY_LABELS

    keys = recorded_change_keys()
    assert len(keys) > 100
    assert sorted(k for k in keys if k not in KEY_LABELS) == []


def test_an_intake_reads_in_words_on_the_trail():
    from jiuzhu.audit.changes import changes_text

    text = changes_text(
        {
            "number": "SQ370405-2026-000001",
            "program": "dibao",
            "temporary_kind": "",
            "channel": "window",
            "missing": ["家庭经济状况核对授权书（陆宁）", "诚信承诺书（申请人）"],
            "staff_relative_of": None,
            "from": "accepted",
            "to": "investigating",
            "amount_fen": 120000,
            "facts_updated": True,
        }
    )
    assert "救助项目：最低生活保障" in text and "渠道：窗口受理" in text
    assert "待补材料：家庭经济状况核对授权书（陆宁）、诚信承诺书（申请人）" in text
    assert "金额：1,200.00元" in text and "更新家庭情况：是" in text
    assert not re.search(r"[A-Za-z_]{3,}", text.replace("SQ370405", "")), text


@pytest.mark.django_db
def test_audited_objects_are_named_in_words(client_of, signed_intake):
    from jiuzhu.audit.changes import object_label

    assert object_label("applications.application") == "救助申请"
    assert object_label("registry.household") == "家庭"
    assert not re.search(r"[A-Za-z]", object_label("no.such"))
    signed_intake()
    home = client_of("tez_zhangshanzi").get("/").content.decode()
    assert "applications.application#" not in home and "救助申请#" in home


def test_a_department_s_result_reads_in_words():
    """A 派单's result on its trail: whether granted, to whom, how much, from and to when."""
    from jiuzhu.audit.changes import changes_text

    text = changes_text(
        {
            "status": "granted",
            "granted": True,
            "amount_fen": 300000,
            "recipients": [{"person_id": 478, "amount_fen": 300000}],
            "granted_from": "2026-12-07",
            "granted_to": None,
        },
        "referrals.referral",
    )
    assert not re.search(r"[A-Za-z]", text), text
    assert "受助成员：成员编号478，金额3,000.00元" in text and "救助开始日期：2026-12-07" in text
    assert "变更前" not in text


def test_a_report_names_whose_data_it_read_not_a_count():
    """The trail of a 核对报告 lists the member numbers whose department data it read; "人数：478"
    read as a count of people."""
    from jiuzhu.audit.changes import changes_text

    text = changes_text({"facts_read": 8, "person_ids": [478, 479]}, "registry.household")
    assert text == "读取数据条数：8；被核对成员编号：478、479"


def test_a_stop_and_a_refusal_read_in_words():
    """A stop's trail: its reason by name, its months as months, what it did to the rosters named;
    a refusal's reasons as their messages, not {code, message}."""
    from jiuzhu.audit.changes import changes_text

    stop = changes_text(
        {
            "reason": "death",
            "last_month": "2026-12-01",
            "withdrawn_months": [],
            "exported_months": ["2027-01"],
            "reconfirm_rosters": [],
        },
        "applications.application",
    )
    assert stop.split("；") == [
        "理由：死亡",
        "最后发放月份：2026年12月",
        "撤出的月份：（无）",
        "已导出银行文件的月份：2027年1月",
        "须重新确认的花名册：（无）",
    ]
    refusal = changes_text(
        {"reasons": [{"code": "deposits_within_limit", "message": "家庭人均存款等金融资产超过规定限额"}]},
        "applications.application",
    )
    assert refusal == "理由：家庭人均存款等金融资产超过规定限额"
    assert (
        changes_text({"months": ["2026-11-01"], "reason": "fraud"})
        == "月份：2026年11月；理由：以虚报、隐瞒、伪造等手段骗取救助"
    )
    assert changes_text({"reason": "家庭困难特别严重"}) == "理由：家庭困难特别严重"


@pytest.mark.django_db
def test_the_trail_names_the_case_household_and_members_it_refers_to(world, client_of, signed_intake):
    """A trail read "家庭编号：172；申请：13；受助成员：成员编号478": the objects an entry refers
    to by id are named — the case by its number, the household and members masked as on every
    staff page — with one query per kind for the whole page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from jiuzhu.audit.changes import changes_text, name_references
    from jiuzhu.audit.models import AuditEntry

    intake = signed_intake()
    app = intake.applications.first()
    head = app.household.members.get(relation="self")
    entries = list(AuditEntry.objects.order_by("seq"))
    entries[0].changes = {"household": app.household_id, "application": app.pk, "person_ids": [head.pk, 999999]}
    entries[1].changes = {"recipients": [{"person_id": head.pk, "amount_fen": 38000}], "application": app.pk}
    with CaptureQueriesContext(connection) as queries:
        named = name_references(entries[:2])
    assert len(queries) == 3  # applications, persons, households
    masked = head.name[0] + "*" * (len(head.name) - 1)
    first = changes_text(named[0].changes, "", named[0].names)
    assert f"家庭：{app.household.head_name[0]}" in first and f"申请：{app.number}" in first
    assert f"被核对成员：{masked}、999999" in first  # an id no longer found stays a number
    assert changes_text(named[1].changes, "", named[1].names).startswith(f"受助成员：成员{masked}，金额380.00元")
    household = client_of("tez_zhangshanzi").get(f"/households/{app.household_id}/").content.decode()
    assert f"家庭编号：{app.household_id}；" not in household
    audit = client_of("tez_county").get("/audit/").content.decode()
    assert f"家庭：{app.household.head_name[0]}" in audit and f"家庭编号：{app.household_id}；" not in audit


@pytest.mark.django_db
def test_the_intake_s_entry_keeps_no_name_in_clear(client_of, signed_intake):
    """House rule (PII masked on screen, sealed at rest): an intake's entry stored "申请人：陆宁"
    in clear while its household was masked; it now stores the applicant's id, named masked when
    a trail is shown."""
    from jiuzhu.audit.models import AuditEntry

    app = signed_intake().applications.get()
    head = app.applicant
    entry = AuditEntry.objects.get(action="applications.intake", object_id=str(app.pk))
    assert entry.changes["applicant"] == head.pk and head.name not in str(entry.changes)
    page = client_of("tez_zhangshanzi").get(f"/applications/{app.pk}/").content.decode()
    trail = page.split('data-testid="history"', 1)[1] if 'data-testid="history"' in page else page
    masked = head.name[0] + "*" * (len(head.name) - 1)
    assert f"申请人：{masked}" in trail and f"申请人：{head.name}" not in page
