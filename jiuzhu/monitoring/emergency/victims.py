"""应急受灾人员名单 (LNK-9): the 应急 list handed over, matched to registry households by ID."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import mask_id_number, parse_id_number
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import blind_indexes
from jiuzhu.web.files import ImportRejected, RowError, column_keys, header_of, read_table

from ..models import Emergency, EmergencyHousehold
from ._common import LIST_COLUMNS, _active, _visible


@dataclass
class ImportResult:
    rows: int
    loaded: int
    already: int
    unknown: list[dict[str, Any]]  # {"row", "id_number"} with the ID masked


def import_victims(emergency: Emergency, name: str, data: bytes, *, by: User) -> ImportResult:
    """应急受灾人员名单 (LNK-9): an .xlsx/.csv with 身份证号码 (and 姓名, 受灾情况). Each ID is
    matched by blind index; people of one household make one 受灾户. A malformed file, a bad or
    repeated ID, or a person outside the period's area or the uploader's jurisdiction refuses
    the whole file with every row named; IDs unknown to the registry are reported, not loaded."""
    require(by, "registry.edit")
    _visible(emergency, by)
    _active(emergency)
    rows = read_table(name, data, limits="registry")
    keys = column_keys(header_of(rows), LIST_COLUMNS, required=["身份证号码"], hint="请按应急受灾人员名单模板填写")
    errors: list[RowError] = []
    parsed: list[tuple[int, str, str]] = []  # (row, id, loss)
    seen: dict[str, int] = {}
    for number, cells in rows:
        row = dict(zip(keys, cells, strict=False))
        if not any(str(c or "").strip() for c in cells):
            continue
        try:
            value = parse_id_number(str(row.get("id_number") or "")).value
        except InvalidInput as exc:
            errors.append(RowError(number, "身份证号码", exc.message))
            continue
        if value in seen:
            errors.append(RowError(number, "身份证号码", f"与第{seen[value]}行重复"))
            continue
        seen[value] = number
        parsed.append((number, value, str(row.get("loss") or "").strip()[:200]))
    if not parsed and not errors:
        raise ImportRejected("名单中没有受灾人员", [RowError(0, "", "名单中没有受灾人员")], code="empty_file")
    indexes = blind_indexes("id_number", [v for _, v, _ in parsed])
    people = {
        p.id_number_index: p for p in Person.objects.filter(id_number_index__in=indexes).select_related("household")
    }
    prefix = emergency.area_code[:9] if emergency.area_code[6:9] != "000" else emergency.area_code[:6]
    unknown: list[dict[str, Any]] = []
    found: dict[int, tuple[Household, int, str]] = {}
    for (number, value, loss), index in zip(parsed, indexes, strict=True):
        person = people.get(index)
        if person is None or person.household is None:
            unknown.append({"row": number, "id_number": mask_id_number(value)})
            continue
        household = person.household
        if not household.area_id.startswith(prefix):
            errors.append(RowError(number, "身份证号码", f"{mask_id_number(value)}的家庭不在本次应急范围内"))
            continue
        try:
            require_in_scope(by=by, area_code=household.area_id)
        except DomainError:
            errors.append(RowError(number, "身份证号码", f"{mask_id_number(value)}的家庭不在您的管辖范围内"))
            continue
        h, count, first_loss = found.get(household.pk, (household, 0, loss))
        found[household.pk] = (h, count + 1, first_loss or loss)
    if errors:
        raise ImportRejected(f"受灾人员名单有{len(errors)}处错误，整份名单未导入，请改正后重新上传", errors)
    with transaction.atomic():
        listed = set(
            EmergencyHousehold.objects.filter(emergency=emergency, household_id__in=found).values_list(
                "household_id", flat=True
            )
        )
        new = [
            EmergencyHousehold(
                emergency=emergency,
                household=h,
                area_code=h.area_id,
                persons=count,
                loss=loss,
                listed_by=user_or_none(by),
            )
            for pk, (h, count, loss) in found.items()
            if pk not in listed
        ]
        EmergencyHousehold.objects.bulk_create(new)
        result = ImportResult(rows=len(parsed), loaded=len(new), already=len(listed), unknown=unknown)
        locked = Emergency.objects.select_for_update().get(pk=emergency.pk)
        locked.imports = [
            *locked.imports,
            {
                "at": timezone.now().isoformat(timespec="seconds"),
                "by": by.username,
                "file": name[:100],
                "rows": result.rows,
                "loaded": result.loaded,
                "already": result.already,
                "unknown": unknown,
            },
        ]
        locked.save(update_fields=["imports"])
        emergency.imports = locked.imports
        record(
            by,
            "monitoring.emergency.import",
            emergency,
            area_code=emergency.area_code,
            changes={"rows": result.rows, "loaded": result.loaded, "already": result.already, "unknown": len(unknown)},
        )
    return result
