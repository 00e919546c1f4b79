"""What department facts mean for a verification (核对口径), shared by 一键核对 and batch
re-verification so both count the same way.

A data type's ``effect`` rules say how its facts count: monthly income by type, financial
assets, vehicles/houses/businesses, 12-month medical and education costs, or a status
(death, moved out, employed …). Only the *current* facts count: facts of a batch older
than the latest full batch of the same data type and county are replaced by it, and of
several facts with the same record key the newest batch wins (corrections are batches).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Max

from jiuzhu.rules import ASSET_TYPES

from .catalog import measure_label
from .models import Batch, Source, person_key

WINDOW_DAYS = 365  # "近12个月"


@dataclass(frozen=True)
class Rule:
    kind: str
    measure: str
    basis: str
    categories: frozenset[str] | None
    exclude: frozenset[str]

    def matches(self, category: str) -> bool:
        if self.categories is not None and category not in self.categories:
            return False
        return category not in self.exclude

    @property
    def label(self) -> str:
        return measure_label({"kind": self.kind, "measure": self.measure})

    @property
    def counts(self) -> bool:
        """Asset counts (vehicles, houses, businesses) count records, not amounts."""
        return self.kind == "asset" and ASSET_TYPES[self.measure][1] == "count"


def rules_of(effect: list[dict[str, Any]]) -> list[Rule]:
    out = []
    for r in effect or []:
        cats = r.get("categories")
        kind = r.get("kind", "info")
        out.append(
            Rule(
                # a 疑似困难人员名单 names people; it is no fact about a family's means
                kind="info" if kind == "suspected" else kind,
                measure=r.get("measure", ""),
                basis=r.get("basis", ""),
                categories=frozenset(cats) if cats else None,
                exclude=frozenset(r.get("exclude") or []),
            )
        )
    return out


class Catalog:
    """Sources with their rules, loaded once per verification or job."""

    def __init__(self) -> None:
        self.sources = {s.pk: s for s in Source.objects.select_related("provider").order_by("order", "code")}
        self.rules = {pk: rules_of(s.effect) for pk, s in self.sources.items()}
        self._match: dict[tuple[int, str], list[Rule]] = {}

    def matching(self, source_id: int, category: str) -> list[Rule]:
        key = (source_id, category)
        hit = self._match.get(key)
        if hit is None:
            hit = [r for r in self.rules.get(source_id, []) if r.matches(category)]
            self._match[key] = hit
        return hit


@dataclass
class FactRow:
    source_id: int
    batch_id: int
    county_code: str
    person: str  # person key: the blind index's first 128 bits, hex
    row_number: int
    period_start: dt.date | None
    period_end: dt.date | None
    amount_fen: int | None
    category: str
    record_key: str
    active: bool
    detail: str


FACT_SELECT = (
    "SELECT f.source_id, f.batch_id, f.county_code, f.person, f.row_number, f.period_start, f.period_end, "
    "f.amount_fen, t.category, t.record_key, f.active, t.detail FROM verification_fact f "
    "JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number"
)


def person_key_sql(column: str) -> str:
    """SQL for the facts' person key of a blind-index column (``models.person_key``)."""
    if connection.vendor == "postgresql":
        return f"CAST(LEFT({column}, 32) AS uuid)"
    return f"substr({column}, 1, 32)"


def batch_filter(batch: Batch) -> tuple[str, list[Any]]:
    """SQL (on facts ``f``) for the facts of one batch: its county and slot name the
    partitions to read (the county's, in it the source's or the batch's own), the batch id
    the rows."""
    return (
        "f.county_code = %s AND f.batch_id = %s AND f.slot IN (%s, %s)",
        [batch.county_code, batch.pk, batch.source_id, -batch.pk],
    )


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _key(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else str(value)


# A fact counts only if no later full batch of its data type and county replaced it.
_NOT_REPLACED = (
    " AND f.batch_id >= COALESCE((SELECT MAX(b.id) FROM verification_batch b"
    " WHERE b.source_id = f.source_id AND b.county_code = f.county_code"
    " AND b.status = 'loaded' AND b.kind = 'full'), 0)"
)


def fetch_current(indexes: Iterable[str], county_code: str | None = None) -> list[FactRow]:
    """The current facts about the persons of the given blind indexes, as loaded for
    ``county_code`` (its partitions only; every county's when None): one indexed query (the
    full-batch cut-off checked in SQL per fact), then the newest record per key."""
    keys = sorted({person_key(i) for i in indexes})
    if not keys:
        return []
    marks = ", ".join(["%s"] * len(keys))
    county = " AND f.county_code = %s" if county_code is not None else ""
    with connection.cursor() as cur:
        cur.execute(
            f"{FACT_SELECT} WHERE f.person IN ({marks}){county}{_NOT_REPLACED}",
            [*keys, *([county_code] if county_code is not None else [])],
        )
        rows = cur.fetchall()
    facts = [
        FactRow(r[0], r[1], r[2], _key(r[3]), r[4], _date(r[5]), _date(r[6]), r[7], r[8], r[9], bool(r[10]), r[11])
        for r in rows
    ]
    return current(facts, {})


def full_batch_cutoffs() -> dict[tuple[int, str], int]:
    """(source, county) → id of its latest loaded full batch: older facts are replaced."""
    rows = (
        Batch.objects.filter(status="loaded", kind="full")
        .values("source_id", "county_code")
        .annotate(last=Max("id"))
        .order_by()
    )
    return {(r["source_id"], r["county_code"]): r["last"] for r in rows}


def current(facts: list[FactRow], cutoffs: dict[tuple[int, str], int]) -> list[FactRow]:
    """Drop facts replaced by a later full batch or by a newer record with the same key."""
    best: dict[tuple[int, str, str], FactRow] = {}
    for f in facts:
        if f.batch_id < cutoffs.get((f.source_id, f.county_code), 0):
            continue
        key = (f.source_id, f.person, f.record_key)
        seen = best.get(key)
        if seen is None or (f.batch_id, f.row_number) > (seen.batch_id, seen.row_number):
            best[key] = f
    return sorted(best.values(), key=lambda f: (f.source_id, f.period_start or dt.date.min, f.batch_id, f.row_number))


@dataclass
class Measures:
    """What the current facts say about one person: monthly incomes by type, assets,
    12-month expenses, and the facts behind each status."""

    incomes: dict[str, int] = field(default_factory=dict)
    assets: dict[str, int] = field(default_factory=dict)
    expenses: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, list[FactRow]] = field(default_factory=dict)
    assets_facts: dict[str, list[FactRow]] = field(default_factory=dict)


class Accumulator:
    """Sums (count, amount, amount within 12 months) per rule; turns them into measures.
    Used per person by 一键核对 and per aggregated SQL group by re-verification."""

    def __init__(self) -> None:
        self.sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0])

    def add(self, rule: Rule, count: int, amount: int, amount_window: int) -> None:
        s = self.sums[(rule.kind, rule.measure, rule.basis)]
        s[0] += count
        s[1] += amount
        s[2] += amount_window

    def result(self) -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
        incomes: dict[str, int] = defaultdict(int)
        assets: dict[str, int] = defaultdict(int)
        expenses: dict[str, int] = defaultdict(int)
        statuses: dict[str, int] = defaultdict(int)
        for (kind, measure, basis), (count, amount, window) in self.sums.items():
            if kind == "income":
                incomes[measure] += amount if basis == "monthly_rate" else window // 12
            elif kind == "asset":
                assets[measure] += count if ASSET_TYPES[measure][1] == "count" else amount
            elif kind == "expense":
                expenses[measure] += window
            elif kind == "status":
                statuses[measure] += count
        return dict(incomes), dict(assets), dict(expenses), dict(statuses)


def measure_person(facts: list[FactRow], catalog: Catalog, on: dt.date) -> Measures:
    since = on - dt.timedelta(days=WINDOW_DAYS)
    acc = Accumulator()
    m = Measures()
    for f in facts:
        if not f.active:
            continue
        in_window = (f.period_end is None or f.period_end >= since) and (f.period_start is None or f.period_start <= on)
        amount = f.amount_fen or 0
        for rule in catalog.matching(f.source_id, f.category):
            if rule.kind == "info":
                continue
            acc.add(rule, 1, amount, amount if in_window else 0)
            if rule.kind == "status":
                m.statuses.setdefault(rule.measure, []).append(f)
            elif rule.kind == "asset":
                m.assets_facts.setdefault(rule.measure, []).append(f)
    m.incomes, m.assets, m.expenses, _ = acc.result()
    return m
