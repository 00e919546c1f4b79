"""疑似困难人员名单 (issue 17 item 2; DIS-3, DIS-4, REG-6, DIS-11).

医保, 妇联, 残联, 人社 and 乡村振兴 push their lists of people who may need help through the
same catalog and upload API as department data: each list is a data type of the catalog
whose effect is ``{kind: suspected, program, frequency, criteria}`` (``verification/data/
sources.yaml``; the upload page and ``GET /api/v1/sources/{code}`` show the frequency and the
criteria, DIS-4). When a list's batch has loaded (``verification.signals.batch_loaded``),
``process_list``:

1. matches its rows to the 一户一档 by the blind index in one SQL statement (no query per
   person): unknown IDs (kept masked for the report), people of another county (counted, no
   warning, whatever the uploader sent), deceased people, the county's living people;
2. scores each of the county's people: the sum of the weights (dated settings
   ``monitoring.suspected.weight.<department>``) of the department lists naming them now — a
   person on the 医保 and the 残联 list scores both — and the score sets the level
   (``monitoring.suspected.red_score`` / ``orange_score``);
3. deduplicates with the monitoring rules' ``Dedup`` (REG-6: current recipients of the
   list's program, open cases, unclosed warnings) and creates a ``Warning`` → ``GridTask``
   for the village of each remaining household, with ``create_with_tasks``;
4. keeps the per-batch report (``SuspectedList``) and an audit entry, in one transaction.

Idempotent: a re-sent signal finds the batch's report and does nothing; a list uploaded
again (another file with the same people) meets their unclosed warnings and creates none.
Unknown IDs become a line of the report, not field tasks: without a registry record there
is no address, hence no village to send them to (docs/decisions.md). A list whose processing
fails is isolated, recorded and retried like every step after a load (``after_load``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import RulesInputError
from jiuzhu.verification.effects import batch_filter, full_batch_cutoffs, person_key_sql
from jiuzhu.verification.models import Batch, Source

from .models import MonitoringRule, SuspectedList, Warning
from .warnings import Dedup, create_with_tasks, task_days

RULE_PREFIX = "suspected."  # the county's rule behind one department's list: suspected.<department>
UNKNOWN_SHOWN = 500  # unknown rows kept for the report (the count is exact)
SKIP_FIELDS = {"recipient": "recipients", "open_case": "open_cases", "open_warning": "open_warnings"}


def list_spec(source: Source) -> dict[str, Any] | None:
    """The data type's 疑似困难人员名单 rule (program, frequency, criteria), if it is a list."""
    return next((r for r in source.effect or [] if r.get("kind") == "suspected"), None)


def list_sources() -> list[Source]:
    """The catalog's suspected-hardship lists, in catalog order."""
    sources = Source.objects.select_related("provider").order_by("order", "code")
    return [s for s in sources if list_spec(s) is not None]


def _setting(key: str, county: str, on: dt.date, what: str) -> int:
    try:
        return int(parameter_store().lookup(key, county, on).value)
    except RulesInputError as exc:
        raise InvalidInput("parameter_missing", f"{exc.message}（{what}）") from None


def thresholds(county: str, on: dt.date) -> tuple[int, int]:
    """DIS-11: the county's (red, orange) score thresholds on ``on``."""
    return (
        _setting("monitoring.suspected.red_score", county, on, "疑似困难人员红色预警分值"),
        _setting("monitoring.suspected.orange_score", county, on, "疑似困难人员橙色预警分值"),
    )


def level_of(score: int, limits: tuple[int, int]) -> str:
    """The warning level of a score by the (red, orange) thresholds."""
    return "red" if score >= limits[0] else "orange" if score >= limits[1] else "yellow"


def _rule(county: str, source: Source, spec: dict[str, Any], by: Any) -> MonitoringRule:
    """The county's (disabled) rule a department's list warns under; per-rule yield counts it."""
    rule, _ = MonitoringRule.objects.get_or_create(
        county_code=county,
        code=f"{RULE_PREFIX}{source.provider.code}"[:32],
        defaults={
            "name": source.name[:64],
            "level": "yellow",
            "reason": str(spec.get("criteria", ""))[:200] or source.name,
            "program": spec["program"],
            "condition": {
                "status": "suspected",
                "source": source.code,
                "temporary_kind": str(spec.get("temporary_kind", "")),
            },
            "valid_from": dt.date(2000, 1, 1),
            "source_document": f"{source.provider.name}推送疑似困难人员名单（DIS-3）"[:200],
            "enabled": False,
            "created_by": user_or_none(by),
        },
    )
    return rule


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def _person_join() -> str:
    """The join of facts ``f`` to registry persons ``p`` by the blind index."""
    if connection.vendor == "postgresql":
        return f"{person_key_sql('p.id_number_index')} = f.person"  # a hash join
    # SQLite joins by nested loops: a range on the (unique, indexed) blind index whose first
    # 32 hex characters are the fact's person key uses the index instead of a full scan
    return "p.id_number_index >= f.person AND p.id_number_index < f.person || 'g'"


def _masked_id(detail: str, header: str) -> str:
    """The masked ID number the loader kept in the row's detail (``身份证号码：370405****1234``)."""
    for part in (detail or "").split("；"):
        if part.startswith(f"{header}："):
            return part[len(header) + 1 :]
    return ""


def _listing_departments(batch: Batch, county: str) -> dict[str, set[str]]:
    """person key → departments whose current list (not replaced by a later full list) names
    the person, for the people of this batch (one SQL statement)."""
    sources = {s.pk: s for s in list_sources()}
    if not sources:
        return {}
    cutoffs = full_batch_cutoffs()
    ids = sorted(sources)
    rows = _fetch(
        f"SELECT f.person, f.source_id, MAX(f.batch_id) FROM verification_fact f "
        f"JOIN verification_batch b ON b.id = f.batch_id "
        f"WHERE f.source_id IN ({', '.join(['%s'] * len(ids))}) AND f.county_code = %s AND b.status = 'loaded' "
        f"AND f.person IN (SELECT g.person FROM verification_fact g "
        f"WHERE g.county_code = %s AND g.batch_id = %s AND g.slot IN (%s, %s)) "
        f"GROUP BY f.person, f.source_id",
        [*ids, county, batch.county_code, batch.pk, batch.source_id, -batch.pk],
    )
    out: dict[str, set[str]] = {}
    for person, source_id, last in rows:
        if last >= cutoffs.get((source_id, county), 0):
            out.setdefault(str(person), set()).add(sources[source_id].provider.code)
    return out


def process_list(batch: Batch, *, by: User) -> SuspectedList | None:
    """Match, score, deduplicate and warn for one loaded list (see the module's docstring)."""
    source = batch.source
    spec = list_spec(source)
    if spec is None or batch.status != "loaded":
        return None
    county, on = batch.county_code, timezone.localdate()
    period = f"{on:%Y-%m}"
    id_header = next((f["header"] for f in batch.schema.fields if f["key"] == batch.schema.id_field), "")
    with transaction.atomic():
        Batch.objects.select_for_update().filter(pk=batch.pk).first()  # a retried job waits, then finds the report
        done = SuspectedList.objects.filter(batch=batch).first()
        if done is not None:
            return done
        rule = _rule(county, source, spec, by)
        where, params = batch_filter(batch)
        rows = _fetch(
            f"""SELECT f.row_number, f.person, t.category, t.detail, f.amount_fen, f.period_start,
                       p.id, p.household_id, h.area_id, h.county_code, p.death_date
                FROM verification_fact f
                JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number
                LEFT JOIN registry_person p ON {_person_join()}
                LEFT JOIN registry_household h ON h.id = p.household_id
                WHERE {where}
                ORDER BY f.row_number, CASE WHEN h.county_code = %s THEN 0 ELSE 1 END""",
            [*params, county],
        )
        report = SuspectedList(
            batch=batch, rule=rule, source_code=source.code, source_name=source.name, county_code=county
        )
        seen_rows: set[int] = set()
        first_of: dict[str, tuple[Any, ...]] = {}  # person key → first row naming them
        reasons: dict[str, list[str]] = {}
        for row in rows:
            if row[0] in seen_rows:  # the same ID in two registries: the county's one first
                continue
            seen_rows.add(row[0])
            key = str(row[1])
            report.rows += 1
            reasons.setdefault(key, [])
            if row[2] and row[2] not in reasons[key]:
                reasons[key].append(row[2])
            if key in first_of:
                report.duplicates += 1
                continue
            first_of[key] = row
        report.persons = len(first_of)
        candidates = []
        for key, row in first_of.items():
            person_id, person_county, death_date = row[6], row[9], row[10]
            if person_id is None:
                report.unknown += 1
                if len(report.unknown_rows) < UNKNOWN_SHOWN:
                    report.unknown_rows.append(
                        {"row": row[0], "id_number": _masked_id(row[3], id_header), "reason": row[2] or ""}
                    )
            elif person_county != county:
                report.outside += 1  # another county's person: counted, never warned (jurisdiction)
            elif death_date is not None:
                report.deceased += 1
            else:
                candidates.append((key, row))
        report.matched = len(candidates)
        departments = _listing_departments(batch, county) if candidates else {}
        weights: dict[str, int] = {}
        limits = thresholds(county, on)
        dedup = Dedup.load(county, on)
        warned = set(Warning.objects.filter(rule=rule, period=period).values_list("person_id", flat=True))
        program = rule.program
        new: list[Warning] = []
        for key, row in candidates:
            amount, listed_on, person_id, household_id, area_code = row[4:9]
            if person_id in warned:
                report.open_warnings += 1
                continue
            skip = dedup.claim(household_id, program)
            if skip:
                setattr(report, SKIP_FIELDS[skip], getattr(report, SKIP_FIELDS[skip]) + 1)
                continue
            codes = sorted(departments.get(key) or {source.provider.code})
            for code in codes:
                if code not in weights:
                    weights[code] = _setting(
                        f"monitoring.suspected.weight.{code}", county, on, "疑似困难人员名单评分权重"
                    )
            score = sum(weights[c] for c in codes)
            value = "、".join(reasons[key])
            if amount:
                value += f"（相关金额{Decimal(int(amount)) / 100:.2f}元）"
            warned.add(person_id)
            new.append(
                Warning(
                    rule=rule,
                    person_id=person_id,
                    household_id=household_id,
                    area_code=area_code,
                    county_code=county,
                    level=level_of(score, limits),
                    program=program,
                    reason=f"{source.name}：{value}"[:300],
                    facts=[
                        {
                            "source": source.code,
                            "source_name": source.name,
                            "label": "纳入原因",
                            "value": value,
                            "since": str(listed_on)[:10] if listed_on else "",
                            "batch": batch.pk,
                            "score": score,
                            "departments": len(codes),
                        }
                    ],
                    period=period,
                    status="tasked",
                )
            )
        due_on = current_calendar().add_working_days(on, task_days(county, on))
        report.created = len(create_with_tasks(new, due_on))
        report.save()
        record(
            by,
            "monitoring.suspected.process",
            report,
            area_code=county.ljust(12, "0"),
            changes={
                "batch": batch.pk,
                "source": source.code,
                "rows": report.rows,
                "matched": report.matched,
                "unknown": report.unknown,
                "outside": report.outside,
                "skipped": {
                    "recipient": report.recipients,
                    "open_case": report.open_cases,
                    "open_warning": report.open_warnings,
                },
                "created": report.created,
            },
        )
    return report
