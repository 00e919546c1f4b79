"""What a county still lacks before it can take its first application and pay it (the checklist)."""

from __future__ import annotations

import datetime as dt

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.roles import ROLES
from jiuzhu.applications.config import DOCUMENT_TEXTS
from jiuzhu.areas.models import Area, full_code
from jiuzhu.payments.models import BankLayout
from jiuzhu.programs.engine import parameter_store
from jiuzhu.programs.models import AssistanceProgram, CountyProgram
from jiuzhu.programs.settings import missing_settings
from jiuzhu.rules import RulesInputError

from .spec import (
    REQUIRED_ROLES,
    STANDARDS,
    ChecklistItem,
)


def _url(name: str, query: str = "") -> str:
    try:
        return reverse(name) + query
    except NoReverseMatch:  # pragma: no cover - every name below is wired
        return ""


def checklist(county_code: str, on: dt.date | None = None) -> list[ChecklistItem]:
    """What the county still lacks before it can take its first application and pay it."""
    day = on or timezone.localdate()
    code = county_code
    full = full_code(code)
    items: list[ChecklistItem] = []

    def add(key: str, label: str, ok: bool, detail: str, link: str, link_label: str) -> None:
        items.append(ChecklistItem(key, label, ok, detail, link, link_label))

    county = Area.objects.filter(code=full, level="county").first()
    areas = Area.objects.under(code)
    towns, villages = areas.filter(level="town").count(), areas.filter(level="village").count()
    add(
        "areas",
        "行政区划已导入（县、镇（街道）、村（社区））",
        county is not None and towns > 0 and villages > 0,
        f"{county.name if county else f'县级区划{code}不存在'}：{towns}个镇（街道），{villages}个村（社区）",
        _url("areas:tree"),
        "查看区划",
    )
    store = parameter_store()
    lacking = [store.definition(k).description for k, _ in missing_settings(code, day, prefix="documents.")]
    shown = []
    if not lacking:
        shown = [str(store.lookup(DOCUMENT_TEXTS[k], code, day).value) for k in ("notice_prefix", "issuer_name")]
    add(
        "procedure_config",
        "文书字号、出具单位和救济途径",
        not lacking,
        f"缺少：{'、'.join(lacking)}" if lacking else " · ".join(shown),
        _url("onboarding", f"?county={code}#upload"),
        "上传开通材料",
    )
    missing = missing_settings(code, day)
    try:  # the county's own decision (its document), not only the national default
        own_preset = store.lookup("procedure.preset", code, day).area == code
    except RulesInputError:
        own_preset = False
    add(
        "procedure_settings",
        "办理流程设置（时限、公示天数、审批层级、复核周期）均已生效",
        not missing and own_preset,
        "；".join(f"{k}：{m}" for k, m in missing)
        if missing
        else ("已生效" if own_preset else "尚未录入本县的办理流程模式（全国默认之外须有本县文件）"),
        _url("programs:parameters"),
        "救助标准与设置",
    )
    standards = []
    for key, label in STANDARDS.values():
        try:
            value = store.lookup(key, code, day)
        except RulesInputError:
            standards.append((label, False, "未录入"))
            continue
        own = value.area == code
        standards.append(
            (label, own, f"{value.display()}（自{value.valid_from}）" if own else "沿用上级标准，未录入本县标准")
        )
    add(
        "dibao_standards",
        "本县城乡低保标准已生效",
        all(ok for _, ok, _ in standards),
        "；".join(f"{label}：{text}" for label, _, text in standards),
        _url("programs:parameters"),
        "救助标准与设置",
    )
    departments = Department.objects.filter(area_id=full).count()
    add(
        "departments",
        "部门已建立",
        departments > 0,
        f"{departments}个部门",
        _url("admin:accounts_department_changelist"),
        "部门管理",
    )
    present = set(
        User.objects.filter(is_active=True, area__code__startswith=code, role__in=REQUIRED_ROLES).values_list(
            "role", flat=True
        )
    )
    absent = [ROLES[r].name for r in REQUIRED_ROLES if r not in present]
    add(
        "roles",
        "办理所需岗位均有账号（镇窗口经办、镇审批、村协理员、县核对员、县民政业务、系统管理员）",
        not absent,
        f"缺少岗位：{'、'.join(absent)}" if absent else "各岗位均已有账号",
        _url("admin:accounts_user_changelist"),
        "用户管理",
    )
    chosen = list(
        AssistanceProgram.objects.filter(
            pk__in=CountyProgram.objects.filter(county_code=code).values("program_id")
        ).values_list("name", flat=True)
    )
    add(
        "programs",
        "已从救助项目库选定本县开展的项目",
        bool(chosen),
        f"{len(chosen)}项：{'、'.join(chosen[:8])}{'等' if len(chosen) > 8 else ''}" if chosen else "尚未选定",
        _url("programs:catalog"),
        "救助项目库",
    )
    no_phone = list(
        CountyProgram.objects.filter(county_code=code, is_active=True, contact_phone="")
        .order_by("program__name")
        .values_list("program__name", flat=True)
    )
    add(
        "program_contacts",
        "本县开展的救助项目均有联系电话（群众咨询、办事指南）",
        not no_phone,
        f"缺少联系电话：{'、'.join(no_phone)}" if no_phone else "各项目均已填写联系电话",
        _url("programs:county"),
        "本县救助项目",
    )
    layouts = list(BankLayout.objects.filter(county_code=code).values_list("name", flat=True))
    add(
        "bank_layouts",
        "银行文件格式已设置（代发文件和回盘文件）",
        bool(layouts),
        f"{len(layouts)}种：{'、'.join(layouts)}" if layouts else "尚未设置，不能导出银行文件",
        _url("payments:layouts"),
        "银行文件格式",
    )
    return items


def missing_items(county_code: str, on: dt.date | None = None) -> list[ChecklistItem]:
    return [i for i in checklist(county_code, on) if not i.ok]
