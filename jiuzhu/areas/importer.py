"""Import of an area file (CSV: code, name, parent, urban_rural[, demo]); all or nothing.

Read by the shared table reader (``web.files.read_csv``: UTF-8 or GBK, bounded); the change is
announced with ``signals.areas_imported`` (the audit app records it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from jiuzhu.core.errors import InvalidInput
from jiuzhu.web.files import read_csv

from .models import Area, full_code, level_of
from .signals import areas_imported

_URBAN_RURAL = {"urban": "urban", "城镇": "urban", "城市": "urban", "rural": "rural", "乡村": "rural", "农村": "rural"}


@dataclass(frozen=True)
class AreaImportResult:
    created: int
    updated: int
    unchanged: int


def _urban_rural(raw: str) -> tuple[str, str]:
    """(urban|rural|"", 3-digit 城乡分类代码 or "")."""
    value = raw.strip()
    if not value:
        return "", ""
    if value.isdigit() and len(value) == 3 and value[0] in "12":
        return ("urban" if value[0] == "1" else "rural"), value
    if value in _URBAN_RURAL:
        return _URBAN_RURAL[value], ""
    raise ValueError(f"城乡分类“{value}”无法识别，应为 urban/rural、城镇/乡村 或 111–220 的城乡分类代码")


def import_areas(data: bytes, *, by: AbstractBaseUser | None = None) -> AreaImportResult:
    """Load an area file, all or nothing. ``by`` is the acting user (none: the command line),
    typed by Django's base class: areas sit below accounts (``accounts.models.User``)."""
    table = list(read_csv(data, limits="areas"))
    header = [h.strip() for h in table[0][1]] if table else []
    required = {"code", "name", "parent", "urban_rural"}
    if not required <= set(header):
        raise InvalidInput("invalid_header", "表头应为：code,name,parent,urban_rural（可选 demo）", field="file")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, cells in table[1:]:
        if not any(c.strip() for c in cells):
            continue
        raw = {key: (cells[i].strip() if i < len(cells) else "") for i, key in enumerate(header)}
        code = raw["code"]
        if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
            errors.append(f"第{number}行：区划代码“{code}”应为2/4/6/9/12位数字")
            continue
        code = full_code(code)
        parent = full_code(raw["parent"]) if raw["parent"] else None
        level = level_of(code)
        if not raw["name"]:
            errors.append(f"第{number}行：缺少名称")
        if level != "province" and parent is None:
            errors.append(f"第{number}行：{code} 缺少上级区划")
        if parent and not code.startswith(parent[: {"city": 2, "county": 4, "town": 6, "village": 9}.get(level, 0)]):
            errors.append(f"第{number}行：{code} 与上级区划 {parent} 的代码不匹配")
        try:
            urban_rural, ur_code = _urban_rural(raw["urban_rural"])
        except ValueError as exc:
            errors.append(f"第{number}行：{exc}")
            continue
        if level == "village" and not urban_rural:
            errors.append(f"第{number}行：村（社区）须填写城乡分类")
        rows.append(
            {
                "code": code,
                "name": raw["name"],
                "parent_id": parent,
                "level": level,
                "urban_rural": urban_rural,
                "urban_rural_code": ur_code,
                "is_demo": raw.get("demo", "") in ("1", "true", "是", "demo"),
            }
        )
    known = {r["code"] for r in rows} | set(
        Area.objects.filter(code__in=[r["parent_id"] for r in rows if r["parent_id"]]).values_list("code", flat=True)
    )
    for r in rows:
        if r["parent_id"] and r["parent_id"] not in known:
            errors.append(f"区划 {r['code']} 的上级 {r['parent_id']} 既不在文件中也不在系统中")
    if errors:
        raise InvalidInput("import_invalid", "区划文件有错误，未导入：" + "；".join(errors[:20]), field="file")
    existing = {a.code: a for a in Area.objects.filter(code__in=[r["code"] for r in rows])}
    created = updated = unchanged = 0
    with transaction.atomic():
        for r in sorted(rows, key=lambda r: len(r["code"].rstrip("0"))):
            area = existing.get(r["code"])
            if area is None:
                Area.objects.create(**r)
                created += 1
            elif any(getattr(area, k) != v for k, v in r.items()):
                for k, v in r.items():
                    setattr(area, k, v)
                area.save()
                updated += 1
            else:
                unchanged += 1
        if created or updated:
            areas_imported.send(sender=Area, by=by, created=created, updated=updated)
    return AreaImportResult(created, updated, unchanged)
