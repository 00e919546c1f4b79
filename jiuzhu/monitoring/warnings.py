"""政策找人 (issue 17 item 1): monitoring rules (预警规则) and their set-based evaluation.

A rule's condition is data, in a small vocabulary county staff pick from a page (no code):

- a measure compared with a value: ``{"measure": "medical_expense_12m", "op": ">=", "value": 20000}``
  (元), or ``{"measure": "income_per_capita", "op": "<", "value": 1.2}`` (× the county's 低保标准);
- a department status: ``{"status": "unemployed"}``, optionally only facts that began within
  ``new_days`` days and whose detail names one of ``detail_any`` (``["一级", "二级"]`` for a
  severe disability).

Evaluation reads every living person of the county's registry — recipients or not — against
the current department facts (the same cut-off as ``verification.effects``: a later full batch
replaces older facts, the newest record per key wins), one SQL statement per rule. Hits are
deduplicated (REG-6) against current recipients of the rule's program, open cases of the
household and unclosed warnings of the household for the same program; one warning per
household and program, unique per (rule, person, month), so re-running adds nothing. Each new
warning becomes a 核查任务 for the village of the household's address in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.errors import InvalidInput
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.payments.models import Benefit
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import RulesInputError
from jiuzhu.verification.effects import WINDOW_DAYS, Catalog, full_batch_cutoffs, person_key_sql, rules_of

from .conditions import MEASURES, MONTHLY_PROGRAMS, STATUSES
from .models import GridTask, MonitoringRule, Warning

# ---- evaluation ------------------------------------------------------------------------------


@dataclass
class Hit:
    person_id: int
    household_id: int
    area_code: str
    facts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Evaluation:
    county_code: str
    on: dt.date
    rules: int = 0
    hits: int = 0
    created: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: {"recipient": 0, "open_case": 0, "open_warning": 0})
    by_rule: dict[str, int] = field(default_factory=dict)


def _cutoffs_cte(cutoffs: dict[tuple[int, str], int]) -> tuple[str, list[Any]]:
    rows = list(cutoffs.items()) or [((0, ""), 0)]
    params: list[Any] = []
    for (source_id, county), batch_id in rows:
        params += [source_id, county, batch_id]
    return f"cutoffs(source_id, county_code, min_batch) AS (VALUES {', '.join(['(%s, %s, %s)'] * len(rows))})", params


def _source_clauses(catalog: Catalog, kind: str, measure: str) -> list[tuple[str, list[Any], str]]:
    """(SQL on facts f / texts t, params, basis) per data-type rule counting as kind/measure."""
    out = []
    for source_id, source in catalog.sources.items():
        for rule in rules_of(source.effect):
            if rule.kind != kind or (measure and rule.measure != measure):
                continue
            sql = "f.source_id = %s"
            params: list[Any] = [source_id]
            if rule.categories is not None:
                sql += f" AND t.category IN ({', '.join(['%s'] * len(rule.categories))})"
                params += sorted(rule.categories)
            if rule.exclude:
                sql += f" AND t.category NOT IN ({', '.join(['%s'] * len(rule.exclude))})"
                params += sorted(rule.exclude)
            out.append((f"({sql})", params, rule.basis))
    return out


def _current_facts_sql(
    county: str, cutoffs: dict[tuple[int, str], int], clauses: list[tuple[str, list[Any], str]]
) -> tuple[str, list[Any]]:
    """The current, active facts (newest per record key, not replaced by a later full batch)
    about the living members of the county's households that any of ``clauses`` (from
    ``_source_clauses``) counts; the SQL's head (``WITH … cur``) and all its parameters."""
    where = " OR ".join(c[0] for c in clauses)
    cte, params = _cutoffs_cte(cutoffs)
    sql = f"""
        WITH {cte},
        pers AS (
            SELECT p.id AS person_id, p.household_id, h.area_id AS area_code,
                   {person_key_sql("p.id_number_index")} AS person
            FROM registry_person p JOIN registry_household h ON h.id = p.household_id
            WHERE h.county_code = %s AND p.death_date IS NULL
        ),
        cur AS (
            SELECT pers.person_id, pers.household_id, pers.area_code, f.source_id, f.batch_id, t.category,
                   t.detail, f.active, f.amount_fen, f.period_start, f.period_end,
                   ROW_NUMBER() OVER (
                       PARTITION BY f.source_id, f.person, t.record_key ORDER BY f.batch_id DESC, f.row_number DESC
                   ) AS rn
            FROM pers
            JOIN verification_fact f ON f.person = pers.person AND f.county_code = %s
            JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number
            LEFT JOIN cutoffs c ON c.source_id = f.source_id AND c.county_code = f.county_code
            WHERE f.batch_id >= COALESCE(c.min_batch, 0) AND ({where})
        )
    """
    return sql, [*params, county, county, *(p for c in clauses for p in c[1])]


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def _status_hits(rule: MonitoringRule, catalog: Catalog, cutoffs: dict[tuple[int, str], int], on: dt.date) -> list[Hit]:
    cond = rule.condition
    clauses = _source_clauses(catalog, "status", cond["status"])
    if not clauses:
        return []
    head, head_params = _current_facts_sql(rule.county_code, cutoffs, clauses)
    extra, extra_params = "", list[Any]()
    if cond.get("new_days"):
        extra += " AND period_start >= %s"
        extra_params.append(on - dt.timedelta(days=int(cond["new_days"])))
    if cond.get("detail_any"):
        extra += " AND (" + " OR ".join(["detail LIKE %s"] * len(cond["detail_any"])) + ")"
        extra_params += [f"%{w}%" for w in cond["detail_any"]]
    rows = _fetch(
        f"{head} SELECT person_id, household_id, area_code, source_id, batch_id, category, detail, period_start "
        f"FROM cur WHERE rn = 1 AND active{extra} ORDER BY person_id, source_id, batch_id",
        [*head_params, *extra_params],
    )
    hits: dict[int, Hit] = {}
    for person_id, household_id, area_code, source_id, batch_id, category, detail, start in rows:
        hit = hits.setdefault(person_id, Hit(person_id, household_id, area_code))
        source = catalog.sources[source_id]
        hit.facts.append(
            {
                "source": source.code,
                "source_name": str(source),
                "label": STATUSES[cond["status"]],
                "value": " ".join(x for x in (category, detail) if x),
                "since": str(start)[:10] if start else "",
                "batch": batch_id,
            }
        )
    return list(hits.values())


def _expense_hits(
    rule: MonitoringRule, catalog: Catalog, cutoffs: dict[tuple[int, str], int], on: dt.date
) -> list[Hit]:
    cond = rule.condition
    measure = MEASURES[cond["measure"]]
    clauses = _source_clauses(catalog, "expense", measure.effect_measure)
    if not clauses:
        return []
    head, head_params = _current_facts_sql(rule.county_code, cutoffs, clauses)
    since = on - dt.timedelta(days=WINDOW_DAYS)
    in_window = (
        "CASE WHEN (period_end IS NULL OR period_end >= %s) AND (period_start IS NULL OR period_start <= %s) "
        "THEN amount_fen ELSE 0 END"
    )
    threshold = int(Decimal(str(cond["value"])) * 100)
    rows = _fetch(
        f"{head} SELECT person_id, household_id, area_code, SUM({in_window}), COUNT(*), MAX(batch_id), "
        f"MIN(source_id) FROM cur WHERE rn = 1 AND active GROUP BY person_id, household_id, area_code "
        f"HAVING SUM({in_window}) {cond['op']} %s ORDER BY person_id",
        [*head_params, since, on, since, on, threshold],
    )
    out = []
    for person_id, household_id, area_code, total, count, batch_id, source_id in rows:
        source = catalog.sources[source_id]
        out.append(
            Hit(
                person_id,
                household_id,
                area_code,
                [
                    {
                        "source": source.code,
                        "source_name": str(source),
                        "label": measure.label,
                        "value": f"{Decimal(int(total)) / 100:.2f}元（{count}条记录）",
                        "batch": batch_id,
                    }
                ],
            )
        )
    return out


def _standards(county: str, on: dt.date) -> tuple[int, int]:
    store = parameter_store()
    try:
        return (
            int(store.lookup("dibao.standard.urban", county, on).value),
            int(store.lookup("dibao.standard.rural", county, on).value),
        )
    except RulesInputError as exc:
        raise InvalidInput("parameter_missing", f"{exc.message}，无法按低保标准评估人均收入") from None


def _income_hits(rule: MonitoringRule, catalog: Catalog, cutoffs: dict[tuple[int, str], int], on: dt.date) -> list[Hit]:
    """Households whose monthly income per head from department facts (as verification counts
    it: a monthly rate as is, records and annual amounts as 12-month sums ÷ 12) compares with
    k × 低保标准 (urban or rural by the household). Only households with at least one current
    income fact are measured: no data is not a low income."""
    cond = rule.condition
    clauses = _source_clauses(catalog, "income", "")
    if not clauses:
        return []
    head, head_params = _current_facts_sql(rule.county_code, cutoffs, clauses)
    since = on - dt.timedelta(days=WINDOW_DAYS)
    window = (
        "CASE WHEN (period_end IS NULL OR period_end >= %s) AND (period_start IS NULL OR period_start <= %s) "
        "THEN COALESCE(amount_fen, 0) ELSE 0 END"
    )
    cases, case_params = [], []
    for sql, p, basis in clauses:
        body = "COALESCE(amount_fen, 0) * 12" if basis == "monthly_rate" else window
        cases.append(f"WHEN {sql.replace('f.', '').replace('t.', '')} THEN {body}")
        case_params += p + ([] if basis == "monthly_rate" else [since, on])
    urban, rural = _standards(rule.county_code, on)
    factor = Decimal(str(cond["value"]))
    # yearly income (×12 fen) compared with factor × standard × members × 12, all in integers
    rows = _fetch(
        f"""{head},
        inc AS (
            SELECT household_id, SUM(CASE {" ".join(cases)} ELSE 0 END) AS yearly
            FROM cur WHERE rn = 1 AND active GROUP BY household_id
        ),
        hh AS (
            SELECT h.id, h.area_id, h.urban_rural, inc.yearly,
                   (SELECT COUNT(*) FROM registry_person m
                    WHERE m.household_id = h.id AND m.death_date IS NULL) AS size,
                   COALESCE(
                       (SELECT MIN(m.id) FROM registry_person m
                        WHERE m.household_id = h.id AND m.death_date IS NULL AND m.relation = 'self'),
                       (SELECT MIN(m.id) FROM registry_person m WHERE m.household_id = h.id AND m.death_date IS NULL)
                   ) AS person_id
            FROM inc JOIN registry_household h ON h.id = inc.household_id
        )
        SELECT person_id, id, area_id, yearly, size FROM hh
        WHERE size > 0 AND person_id IS NOT NULL
          AND yearly * 1000 {cond["op"]} %s * (CASE WHEN urban_rural = 'urban' THEN %s ELSE %s END) * size * 12
        ORDER BY id""",
        [*head_params, *case_params, int(factor * 1000), urban, rural],
    )
    out = []
    for person_id, household_id, area_code, yearly, size in rows:
        monthly = Decimal(int(yearly)) / 12 / 100 / int(size)
        out.append(
            Hit(
                person_id,
                household_id,
                area_code,
                [
                    {
                        "source": "income",
                        "source_name": "部门收入数据",
                        "label": MEASURES["income_per_capita"].label,
                        "value": f"{monthly:.2f}元/人/月（{size}人）",
                        "batch": None,
                    }
                ],
            )
        )
    return out


def hits_of(rule: MonitoringRule, on: dt.date, catalog: Catalog | None = None) -> list[Hit]:
    """Everyone the rule finds on ``on``, before deduplication (one SQL statement)."""
    catalog = catalog or Catalog()
    cutoffs = full_batch_cutoffs()
    cond = rule.condition
    if "status" in cond:
        return _status_hits(rule, catalog, cutoffs, on)
    if cond.get("measure") == "income_per_capita":
        return _income_hits(rule, catalog, cutoffs, on)
    return _expense_hits(rule, catalog, cutoffs, on)


def _recipients(county: str, on: dt.date) -> set[tuple[int, str]]:
    """(household, program) receiving now: a monthly benefit not stopped, an approved case
    whose benefit is not (yet) written or not stopped, or a one-off aid decided within 12 months."""
    paying = set(
        Benefit.objects.filter(county_code=county, status__in=("active", "gradual", "suspended")).values_list(
            "household_id", "program"
        )
    )
    approved = (
        Application.objects.filter(county_code=county, state="approved")
        .exclude(benefit__status="stopped")
        .filter(Q(program__in=MONTHLY_PROGRAMS) | Q(decided_at__date__gte=on - dt.timedelta(days=WINDOW_DAYS)))
    )
    return paying | set(approved.values_list("household_id", "program"))


@dataclass
class Dedup:
    """REG-6: whom a new warning for a program would duplicate — a household receiving that
    program now, a household with an open case, or one with an unclosed warning for that
    program. Loaded once per run (three queries); ``claim`` records each new warning so a
    run does not warn a household twice either."""

    recipients: set[tuple[int, str]]
    open_cases: set[int]
    unclosed: set[tuple[int, str]]

    @classmethod
    def load(cls, county_code: str, on: dt.date) -> Dedup:
        return cls(
            recipients=_recipients(county_code, on),
            open_cases=set(
                Application.objects.filter(county_code=county_code).open().values_list("household_id", flat=True)
            ),
            unclosed=set(
                Warning.objects.filter(county_code=county_code).unclosed().values_list("household_id", "program")
            ),
        )

    def claim(self, household_id: int, program: str) -> str:
        """Why a warning would duplicate (``recipient``, ``open_case``, ``open_warning``), or
        ``""``: then the household counts as warned for the program from now on."""
        if (household_id, program) in self.recipients:
            return "recipient"
        if household_id in self.open_cases:
            return "open_case"
        if (household_id, program) in self.unclosed:
            return "open_warning"
        self.unclosed.add((household_id, program))
        return ""


def create_with_tasks(warnings: list[Warning], due_on: dt.date) -> list[Warning]:
    """Insert new warnings and their 核查任务 for the village of each household (two bulk
    inserts, in the caller's transaction)."""
    created = Warning.objects.bulk_create(warnings, batch_size=2000)  # ids returned (PostgreSQL, SQLite)
    GridTask.objects.bulk_create(
        [
            GridTask(
                warning_id=w.pk,
                household_id=w.household_id,
                person_id=w.person_id,
                area_code=w.area_code,
                county_code=w.county_code,
                due_on=due_on,
            )
            for w in created
        ],
        batch_size=2000,
    )
    return created


def kept_rule(county: str, code: str, by: User, *, name: str, reason: str, status: str, source: str) -> MonitoringRule:
    """A rule the platform keeps itself behind the 核查任务 that a visit or a report opens (not
    a department list): created disabled on first use, so the nightly evaluation never runs it."""
    rule, _ = MonitoringRule.objects.get_or_create(
        county_code=county,
        code=code,
        defaults={
            "name": name,
            "level": "orange",
            "reason": reason,
            "program": "temporary",
            "condition": {"status": status},
            "valid_from": dt.date(2000, 1, 1),
            "source_document": source,
            "enabled": False,
            "created_by": user_or_none(by),
        },
    )
    return rule


def task_days(county: str, on: dt.date) -> int:
    try:
        return int(parameter_store().lookup("monitoring.task_days", county, on).value)
    except RulesInputError as exc:
        raise InvalidInput("parameter_missing", f"{exc.message}（核查任务办理时限）") from None


def evaluate_warnings(
    county_code: str, *, by: User, on: dt.date | None = None, rule_ids: Sequence[int] | None = None
) -> Evaluation:
    """Evaluate the county's rules in force (DIS-1, DIS-6, DIS-7), deduplicate (REG-6), and
    create the new warnings and their 核查任务 in one transaction; idempotent."""
    on = on or timezone.localdate()
    result = Evaluation(county_code, on)
    period = f"{on:%Y-%m}"
    catalog = Catalog()
    due_on = current_calendar().add_working_days(on, task_days(county_code, on))
    with transaction.atomic():
        # the county's rules locked: a nightly run and a batch hook do not race
        rules = list(
            MonitoringRule.objects.select_for_update().filter(county_code=county_code).in_force(on).order_by("code")
        )
        if rule_ids is not None:
            rules = [r for r in rules if r.pk in set(rule_ids)]
        result.rules = len(rules)
        if not rules:
            return result
        dedup = Dedup.load(county_code, on)
        existing = set(
            Warning.objects.filter(county_code=county_code, period=period).values_list("rule_id", "person_id")
        )
        new: list[Warning] = []
        for rule in rules:
            hits = hits_of(rule, on, catalog)
            result.hits += len(hits)
            made = 0
            for hit in hits:
                if (rule.pk, hit.person_id) in existing:
                    continue
                skip = dedup.claim(hit.household_id, rule.program)
                if skip:
                    result.skipped[skip] += 1
                    continue
                existing.add((rule.pk, hit.person_id))
                new.append(
                    Warning(
                        rule=rule,
                        person_id=hit.person_id,
                        household_id=hit.household_id,
                        area_code=hit.area_code,
                        county_code=county_code,
                        level=rule.level,
                        program=rule.program,
                        reason=f"{rule.name}：{rule.reason}"[:300],
                        facts=hit.facts,
                        period=period,
                        status="tasked",
                    )
                )
                made += 1
            result.by_rule[rule.code] = made
        created = create_with_tasks(new, due_on)
        result.created = len(created)
        if not created:
            return result  # nothing changed, nothing to audit (the nightly run stays quiet)
        record(
            by,
            "monitoring.warnings.evaluate",
            None,
            area_code=county_code.ljust(12, "0"),
            object_type="monitoring.rule",
            object_id=county_code,
            changes={
                "on": str(on),
                "rules": result.rules,
                "hits": result.hits,
                "created": result.created,
                "skipped": result.skipped,
                "by_rule": result.by_rule,
            },
        )
    return result
