"""Codes in words, in one place (ARCHITECTURE.md rule 12, issue 14 item 9).

Pages (through the ``labels`` template filters), PDFs and Excel exports turn codes into
Chinese here: a department code (``yibao``) into its name, a 12-digit area code into the
names of its town and village, a parameter name (``dibao.standard.rural``) into its
description and a parameter value into words (``900.00元``, never 分).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEPARTMENT_NAMES: dict[str, str] = {
    "minzheng": "民政局",
    "yibao": "医疗保障局",
    "jiaoti": "教育和体育局",
    "zhujian": "住房和城乡建设局",
    "renshe": "人力资源和社会保障局",
    "weijian": "卫生健康局",
    "canlian": "残疾人联合会",
    "yingji": "应急管理局",
    "gongan": "公安局",
    "shuiwu": "税务局",
    "shichang": "市场监督管理局",
    "nongye": "农业农村局",
    "ziran": "自然资源局",
    "gongjijin": "住房公积金中心",
    "tuiyi": "退役军人事务局",
    "fupin": "乡村振兴局（扶贫办）",
    "caizheng": "财政局",
    "sifa": "司法局",
    "zonggonghui": "总工会",
    "fulian": "妇女联合会",
    "tuanwei": "共青团委员会",
    "hongshizihui": "红十字会",
    "cishan": "慈善总会",
    "fayuan": "人民法院",
    "jianchayuan": "人民检察院",
}

NATIONAL_LABEL = "全国默认"


def department_label(code: str | None) -> str:
    """``yibao`` → ``医疗保障局``. A code added locally is named by its 部门 row; one that
    names nothing is shown as “其他部门”, never as itself."""
    if not code:
        return ""
    if code in DEPARTMENT_NAMES:
        return DEPARTMENT_NAMES[code]
    from jiuzhu.accounts.models import Department

    name = Department.objects.filter(code=code).values_list("name", flat=True).first()
    return name or "其他部门"


def program_label(code: str | None) -> str:
    """``tekun`` → ``特困人员救助供养``: an engine program (a 核对申请's 核对项目) by its name."""
    from jiuzhu.rules import PROGRAMS

    program = PROGRAMS.get(code or "")
    return program.name if program is not None else ""


def _twelve(code: str) -> str:
    return code.ljust(12, "0") if code.isdigit() and len(code) < 12 else code


def area_labels(codes: Iterable[str]) -> dict[str, str]:
    """Area codes (6 to 12 digits, or ``CN``) → names, in one query: a village or community
    with its town (``张山子镇北洛村``), a town, county or city by its own name. A code not
    in the area table keeps its digits (an old code is still better than nothing)."""
    from jiuzhu.areas.models import Area, level_of

    wanted = {c for c in codes if c}
    full = {c: _twelve(c) for c in wanted if c != "CN"}
    towns = {f[:9] + "000" for f in full.values() if len(f) == 12 and f.isdigit() and level_of(f) == "village"}
    names = dict(Area.objects.filter(code__in={*full.values(), *towns}).values_list("code", "name"))
    out: dict[str, str] = {}
    for code in wanted:
        if code == "CN":
            out[code] = NATIONAL_LABEL
            continue
        f = full[code]
        name = names.get(f)
        if name is None:
            out[code] = code
        elif len(f) == 12 and f.isdigit() and level_of(f) == "village":
            out[code] = names.get(f[:9] + "000", "") + name
        else:
            out[code] = name
    return out


def area_label(code: str | None) -> str:
    """One area code in words (see ``area_labels``)."""
    return area_labels([code]).get(code, "") if code else ""


def parameter_label(name: str) -> str:
    """``dibao.standard.rural`` → its description (``农村低保标准``)."""
    from jiuzhu.programs.engine import base_store

    try:
        return base_store().definition(name).description
    except ValueError:  # RulesInputError: a parameter no longer defined
        return "未知参数"


MONEY_UNITS = {"fen": "", "fen_per_year": "/年", "fen_once": "/次"}


def parameter_value_label(name: str, value: Any) -> str:
    """A parameter value held in its internal unit in words: money in 元 with two decimals
    (``900.00元``), never 分; ratios, ages and switches as ``display_value`` says."""
    from jiuzhu.core.money import format_yuan
    from jiuzhu.programs.engine import base_store
    from jiuzhu.rules.parameters import display_value

    try:
        unit = base_store().definition(name).unit
    except ValueError:
        return str(value)
    if unit in MONEY_UNITS and isinstance(value, int) and not isinstance(value, bool):
        return format_yuan(value) + MONEY_UNITS[unit]
    return display_value(value if isinstance(value, int | bool | str) else str(value), unit)


def trace_parameters(parameters: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A decision's traced parameters with ``value_label`` (``800元``, ``是``, never 分 or
    ``True``) and ``area_label`` (``台儿庄区``, ``全国默认``), the areas read in one query."""
    from jiuzhu.rules.parameters import display_value

    rows = list(parameters or [])
    areas = area_labels(str(p.get("area", "")) for p in rows)
    out = []
    for p in rows:
        value = p.get("value")
        shown = display_value(value if isinstance(value, int | bool | str) else str(value), str(p.get("unit", "")))
        out.append({**p, "value_label": shown, "area_label": areas.get(str(p.get("area", "")), "")})
    return out


def facts_lines(facts: dict[str, Any] | None) -> list[str]:
    """A family's facts as the engine reads them (``{"members": [{"incomes": {"wage": 30000}}]}``)
    in words, one line per member: ``本人（申请人）：1981年2月2日出生，有劳动能力；月收入：工资性收入
    300.00元``. Money in 元 with two decimals, never 分; codes by their Chinese names."""
    import datetime as dt

    from jiuzhu.core.dates import day_label
    from jiuzhu.core.money import format_yuan
    from jiuzhu.rules import facts as rf

    if not facts:
        return []
    lines = []
    if "urban" in facts:
        lines.append("适用标准：" + ("城市" if facts["urban"] else "农村"))
    for m in facts.get("members") or []:
        parts = []
        if m.get("birth_date"):
            parts.append(f"{day_label(dt.date.fromisoformat(str(m['birth_date'])[:10]))}出生")
        elif m.get("age") is not None:
            parts.append(f"{m['age']}周岁")
        capacity = m.get("labour_capacity") or "unassessed"
        parts.append(
            "劳动能力未评定" if capacity == "unassessed" else rf.LABOUR_CAPACITY.get(capacity, "劳动能力未评定")
        )
        if m.get("school") and m["school"] != "none":
            parts.append(rf.SCHOOL.get(m["school"], "在学"))
        if m.get("disability_type"):
            grade = f"{m['disability_grade']}级" if m.get("disability_grade") else ""
            parts.append(rf.DISABILITY_TYPES.get(m["disability_type"], "残疾") + grade)
        if m.get("serious_illness"):
            parts.append("重病患者")
        unable = [rf.SELF_CARE_ITEMS.get(item, item) for item in m.get("self_care_unable") or []]
        if unable:
            parts.append(f"不能自理的项目：{'、'.join(unable)}（{len(unable)}项）")
        incomes = (m.get("incomes") or {}).items()
        money = [f"{rf.INCOME_TYPES.get(k, '其他收入')}{format_yuan(int(v))}" for k, v in incomes]
        assets = []
        for k, v in (m.get("assets") or {}).items():
            label, unit = rf.ASSET_TYPES.get(k, ("其他财产", "count"))
            assets.append(f"{label}{format_yuan(int(v)) if unit == 'fen' else v}")
        text = rf.RELATIONS.get(m.get("relation") or "other", "其他共同生活成员") + "：" + "，".join(parts)
        if money:
            text += "；月收入：" + "、".join(money)
        if assets:
            text += "；财产：" + "、".join(assets)
        for key, label in (("medical_oop_fen", "近12个月自付医疗费用"), ("education_oop_fen", "近12个月自付教育费用")):
            if m.get(key):
                text += f"；{label}{format_yuan(int(m[key]))}"
        lines.append(text)
    for s in facts.get("supporters") or []:
        lines.append(f"赡养（抚养、扶养）义务人：月收入{format_yuan(int(s.get('monthly_income_fen') or 0))}")
    return lines
