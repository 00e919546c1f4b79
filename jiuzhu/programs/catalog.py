"""Loads the 救助项目库 from ``data/catalog.yaml`` (idempotent: unchanged rows stay untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from .models import AssistanceProgram

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.yaml"
DEPARTMENT_NAMES = {
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
FIELDS = [
    "name",
    "layer",
    "engine_program",
    "target_group",
    "conditions",
    "benefits",
    "documents",
    "legal_basis",
    "procedure",
    "time_limit_working_days",
    "approval_level",
    "referral",
    "benefit_unit",
    "requirements",
    "seeds",
]


def load_entries(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        e["engine_program"] = e.get("engine_program") or ""
        e["benefit_unit"] = e.get("unit") or "person"
        e["department_code"] = e["department"]
        e["department_name"] = DEPARTMENT_NAMES.get(e["department"], e["department"])
    return entries


def sync_catalog() -> int:
    """Create or update every catalog entry; returns how many rows changed."""
    changed = 0
    existing = {p.code: p for p in AssistanceProgram.objects.all()}
    with transaction.atomic():
        for e in load_entries():
            values = {k: e[k] for k in [*FIELDS, "department_code", "department_name"]}
            program = existing.get(e["code"])
            if program is None:
                AssistanceProgram.objects.create(code=e["code"], **values)
                changed += 1
            elif any(getattr(program, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(program, k, v)
                program.save()
                changed += 1
    return changed
