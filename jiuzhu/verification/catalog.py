"""The 核对数据目录: departments, data types and their versioned schemas (VER-8, VER-9, VER-19).

``data/sources.yaml`` holds the catalog of seed 000 (Appendix A). ``sync_catalog()`` loads it
idempotently: a data type whose declared schema changed gets a new schema version, earlier
versions stay (batches name the version they were checked against). Administrators edit the
catalog in the Django admin afterwards; new data types need the county government's
approval (``Source.approval``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.db import connection, transaction

from jiuzhu.rules import ASSET_TYPES, INCOME_TYPES

from .models import FIELD_TYPE_CHOICES, Provider, Source, SourceSchema

CATALOG_FILE = Path(__file__).resolve().parent / "data" / "sources.yaml"

FIELD_TYPES = dict(FIELD_TYPE_CHOICES)
EFFECT_KINDS = {
    "income": "收入",
    "asset": "财产",
    "expense": "支出",
    "status": "状况",
    "info": "其他信息",
    "suspected": "疑似困难人员名单",  # a department's list of people who may need help (DIS-3)
}
# What a 疑似困难人员名单 rule states (DIS-4): the program its warnings point to, how often the
# department pushes it and which people it lists; the source page shows them.
SUSPECTED_KEYS = {"program": "指向救助项目", "frequency": "推送频次", "criteria": "名单标准"}
INCOME_BASES = {
    "monthly_records": "按月记录，取近12个月月均",
    "monthly_rate": "当前月标准",
    "annual": "按次或按年，取近12个月合计÷12",
}
EXPENSE_MEASURES = {"medical": "近12个月个人自付医疗费用", "education": "近12个月个人自付教育费用"}
STATUS_MEASURES = {
    "death": "死亡",
    "moved_out": "户籍迁出",
    "employed": "就业登记",
    "unemployed": "失业登记",
    "payroll": "财政统发工资",
    "employee_insured": "职工社会保险参保缴费",
    "fund_deposit": "住房公积金缴存",
    "assistance": "享受社会救助",
    "disability": "持有残疾人证",
    "student": "在校就读",
    "marriage": "婚姻登记",
    "housing_security": "享受住房保障",
    "transport_qualification": "道路运输等从业资格",
    "poverty_monitoring": "脱贫或防返贫监测对象",
    "farm_machinery": "农机挂牌",
    "taxpayer": "个人纳税记录",
    "business_tax": "经营纳税记录",
    "disaster": "受灾",
}
SCHEMA_KEYS = (
    "fields",
    "id_field",
    "period",
    "record_key",
    "category_field",
    "amount_field",
    "state_field",
    "inactive_states",
    "detail_fields",
)


class CatalogError(ValueError):
    """The catalog file or an admin-entered schema is inconsistent (an operator error)."""


def measure_label(rule: dict[str, Any]) -> str:
    kind: str = rule.get("kind", "")
    measure: str = rule.get("measure", "")
    if kind == "income":
        return INCOME_TYPES.get(measure, measure)
    if kind == "asset":
        return ASSET_TYPES[measure][0] if measure in ASSET_TYPES else measure
    if kind == "expense":
        return EXPENSE_MEASURES.get(measure, measure)
    if kind == "status":
        return STATUS_MEASURES.get(measure, measure)
    if kind == "suspected":
        return EFFECT_KINDS["suspected"]
    return "其他信息"


def check_schema(code: str, schema: dict[str, Any]) -> None:
    """Raise ``CatalogError`` unless every reference of the schema names a declared field."""
    fields = schema.get("fields") or []
    keys = [f.get("key") for f in fields]
    if len(set(keys)) != len(keys):
        raise CatalogError(f"{code}: 字段代码重复")
    headers = [f.get("header") for f in fields]
    if len(set(headers)) != len(headers) or not all(headers):
        raise CatalogError(f"{code}: 表头为空或重复")
    for f in fields:
        if f.get("type") not in FIELD_TYPES:
            raise CatalogError(f"{code}: 字段{f.get('key')}的类型“{f.get('type')}”无效")
    by_key = {f["key"]: f for f in fields}
    id_field = schema.get("id_field", "id_number")
    if id_field not in by_key or by_key[id_field]["type"] != "id_number":
        raise CatalogError(f"{code}: 缺少身份证号码字段")
    if not schema.get("record_key"):
        raise CatalogError(f"{code}: 须声明记录标识字段（record_key）")
    refs = list(schema.get("record_key") or []) + list(schema.get("detail_fields") or [])
    refs += [schema.get(k) for k in ("category_field", "amount_field", "state_field") if schema.get(k)]
    period = schema.get("period") or {}
    refs += [v for k, v in period.items() if k in ("field", "start", "end")]
    for ref in refs:
        if ref not in by_key:
            raise CatalogError(f"{code}: 引用了未声明的字段“{ref}”")
    if schema.get("amount_field") and by_key[schema["amount_field"]]["type"] != "money":
        raise CatalogError(f"{code}: 金额字段须为金额类型")
    for key in [v for k, v in period.items() if k in ("field", "start", "end")]:
        if by_key[key]["type"] not in ("date", "month"):
            raise CatalogError(f"{code}: 期间字段“{key}”须为日期或年月")


def check_effect(code: str, effect: list[dict[str, Any]], has_amount: bool) -> None:
    for rule in effect:
        kind: Any = rule.get("kind")
        measure: Any = rule.get("measure")
        if kind not in EFFECT_KINDS:
            raise CatalogError(f"{code}: 核对口径类型“{kind}”无效")
        if kind == "income":
            if measure not in INCOME_TYPES or rule.get("basis") not in INCOME_BASES:
                raise CatalogError(f"{code}: 收入口径须给出收入类型和计算方式")
        elif kind == "asset" and measure not in ASSET_TYPES:
            raise CatalogError(f"{code}: 财产类型“{measure}”无效")
        elif kind == "expense" and measure not in EXPENSE_MEASURES:
            raise CatalogError(f"{code}: 支出类型“{measure}”无效")
        elif kind == "status" and measure not in STATUS_MEASURES:
            raise CatalogError(f"{code}: 状况类型“{measure}”无效")
        elif kind == "suspected":
            for key, label in SUSPECTED_KEYS.items():
                if not str(rule.get(key) or "").strip():
                    raise CatalogError(f"{code}: 疑似困难人员名单须写明{label}（{key}）")
        needs_amount = kind in ("income", "expense") or (kind == "asset" and ASSET_TYPES[measure][1] == "fen")
        if needs_amount and not has_amount:
            raise CatalogError(f"{code}: 该口径需要金额字段")


def load_catalog(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    providers: list[dict[str, Any]] = data["providers"]
    seen: set[str] = set()
    for p in providers:
        for s in p.get("sources") or []:
            if s["code"] in seen:
                raise CatalogError(f"数据类型代码重复：{s['code']}")
            seen.add(s["code"])
            check_schema(s["code"], s)
            check_effect(s["code"], s.get("effect") or [], bool(s.get("amount_field")))
    return providers


def schema_payload(spec: dict[str, Any]) -> dict[str, Any]:
    fields = []
    for f in spec["fields"]:
        out = {"key": f["key"], "header": f["header"], "type": f["type"], "required": bool(f.get("required"))}
        if f.get("aliases"):
            out["aliases"] = list(f["aliases"])
        fields.append(out)
    return {
        "fields": fields,
        "id_field": spec.get("id_field", "id_number"),
        "period": dict(spec.get("period") or {}),
        "record_key": list(spec["record_key"]),
        "category_field": spec.get("category_field", ""),
        "amount_field": spec.get("amount_field", ""),
        "state_field": spec.get("state_field", ""),
        "inactive_states": list(spec.get("inactive_states") or []),
        "detail_fields": list(spec.get("detail_fields") or []),
    }


def _county(county_code: str) -> str:
    """A county code checked before it names a table or a partition bound."""
    if not (len(county_code) == 6 and county_code.isdigit()):
        raise ValueError(f"not a county code: {county_code!r}")
    return county_code


def county_partition(county_code: str) -> str:
    """PostgreSQL: the facts partition of one county (itself partitioned by slot)."""
    return f"verification_fact_c{_county(county_code)}"


def _partition_for(source_id: int, county_code: str) -> str | None:
    """The county partition's sub-partition whose bound is this source id (whatever its name)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) AND pg_get_expr(c.relpartbound, c.oid) = %s",
            [county_partition(county_code), f"FOR VALUES IN ('{int(source_id)}')"],
        )
        row = cur.fetchone()
    return row[0] if row else None


def ensure_partition(source: Source, county_code: str) -> None:
    """PostgreSQL: give the county its partition of the facts table and, in it, the data type
    its own (idempotent). One county's reads prune to its partition (issue 20 item 2)."""
    if connection.vendor != "postgresql" or _partition_for(source.pk, county_code) is not None:
        return
    county = county_partition(county_code)
    name = f"{county}_s{int(source.pk)}_" + "".join(c if c.isalnum() else "_" for c in source.code.lower())[:28]
    # two first batches of a county loading at once: one creates, the other waits and finds them
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext('verification_fact partitions'))")
        if _partition_for(source.pk, county_code) is not None:
            return
        cur.execute(
            f'CREATE TABLE IF NOT EXISTS "{county}" PARTITION OF verification_fact '
            f"FOR VALUES IN ('{county_code}') PARTITION BY LIST (slot)"
        )
        cur.execute(f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{county}" FOR VALUES IN ({int(source.pk)})')
        cur.execute(f'CREATE INDEX IF NOT EXISTS "{name[:56]}_batch" ON "{name}" USING brin (batch_id)')


def partition_of(source_id: int, county_code: str) -> str:
    """The table to COPY a county's facts of a source into (its partition on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return "verification_fact"
    return _partition_for(source_id, county_code) or "verification_fact"


# A file this large is loaded on PostgreSQL into a table of its own, indexed once after the
# load and attached as a partition: a sorted index build costs a fraction of keeping a
# B-tree of random person keys up to date row by row.
OWN_PARTITION_BYTES = 32 * 1024 * 1024


def batch_table(batch: Any) -> tuple[str, int]:
    """(table, slot) for a batch's facts, inside the loading transaction: the partition of its
    county and source, or for a large file on PostgreSQL a new table to attach afterwards."""
    if connection.vendor != "postgresql":
        return "verification_fact", batch.source_id
    if batch.size < OWN_PARTITION_BYTES:
        return partition_of(batch.source_id, batch.county_code), batch.source_id
    name, slot = f"verification_fact_b{int(batch.pk)}", -int(batch.pk)
    with connection.cursor() as cur:
        cur.execute(f'CREATE TABLE "{name}" (LIKE verification_fact)')
        cur.execute(
            f'ALTER TABLE "{name}" ADD CONSTRAINT "{name}_slot" '
            f"CHECK (slot = {slot} AND county_code = '{_county(batch.county_code)}')"
        )
    return name, slot


def attach_batch_table(table: str, slot: int, county_code: str) -> None:
    """Attach a batch's own table to its county's partition (its CHECK spares the scan; the
    indexes are built now)."""
    if slot < 0:
        with connection.cursor() as cur:
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")  # sort the index in memory
            cur.execute(
                f'ALTER TABLE "{county_partition(county_code)}" ATTACH PARTITION "{table}" FOR VALUES IN ({slot})'
            )


def sync_catalog(path: Path = CATALOG_FILE) -> dict[str, int]:
    """Create or update providers, data types and schema versions from the catalog file."""
    providers = load_catalog(path)
    counts = {"providers": 0, "sources": 0, "schemas": 0}
    with transaction.atomic():
        for p_order, p in enumerate(providers):
            provider, created = Provider.objects.get_or_create(
                code=p["code"],
                defaults={
                    "name": p["name"],
                    "seed_item": p.get("seed_item", ""),
                    "duties": p.get("duties", ""),
                    "order": p_order,
                },
            )
            counts["providers"] += int(created)
            for s_order, s in enumerate(p.get("sources") or []):
                source, created = Source.objects.get_or_create(
                    code=s["code"],
                    defaults={
                        "provider": provider,
                        "name": s["name"],
                        "description": s.get("description", ""),
                        "mode": s.get("mode", "snapshot"),
                        "effect": s.get("effect") or [],
                        "stale_after_days": s.get("stale_after_days", 35),
                        "bank_data": bool(s.get("bank_data")),
                        "approval": s.get("approval", "台政字〔2020〕21号（seed 000）"),
                        "order": p_order * 100 + s_order,
                    },
                )
                counts["sources"] += int(created)
                payload = schema_payload(s)
                latest = source.schemas.order_by("-version").first()
                if latest is None or any(getattr(latest, k) != payload[k] for k in SCHEMA_KEYS):
                    SourceSchema.objects.create(
                        source=source,
                        version=(latest.version + 1) if latest else 1,
                        note="数据目录同步" if latest else "初始版本",
                        **payload,
                    )
                    counts["schemas"] += 1
    return counts
