"""Loads the 救助项目库 from ``data/catalog.yaml`` (idempotent: unchanged rows stay untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from jiuzhu.web.labels import DEPARTMENT_NAMES

from .models import AssistanceProgram

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "catalog.yaml"
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
    entries: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))
    for e in entries:
        e["engine_program"] = e.get("engine_program") or ""
        e["benefit_unit"] = e.get("unit") or "person"
        e["department_code"] = e["department"]
        e["department_name"] = DEPARTMENT_NAMES[e["department"]]
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
