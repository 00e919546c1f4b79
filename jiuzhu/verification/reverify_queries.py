"""The read side of 批量复核: which cases a run covers, the households a batch touched, and the
set-based SQL over the run's households (facts aggregated per person, members, households and
their previous snapshots). ``reverify`` evaluates and compares what these return."""

from __future__ import annotations

import datetime as dt
from collections.abc import Generator
from typing import Any

from django.db import connection

from jiuzhu.applications.models import Application
from jiuzhu.areas.models import code_range, prefix_of

from .effects import WINDOW_DAYS, batch_filter, person_key_sql
from .models import Batch, ReverificationRun

CONTINUING = ("tekun", "dibao", "dibao_edge", "rigid_expense")  # 临时救助 is one-off, nothing to re-verify
COMPARED = ("vehicles", "houses", "businesses", "employed", "deceased", "moved_out", "assistance")


def active_cases(run: ReverificationRun) -> list[tuple[int, int, str]]:
    """(household, application, program) of the run's cases after ``last_household_id``:
    households with an approved application of a continuing program, one program per
    household (特困 before 低保 before 边缘 before 刚性支出)."""
    low, high = code_range(prefix_of(run.area_code))
    qs = Application.objects.filter(state="approved", program__in=CONTINUING, area_code__gte=low, area_code__lte=high)
    qs = qs.filter(household_id__gt=run.last_household_id)
    if run.batch_id:
        touched = touched_households(run.batch_id)
        qs = qs.filter(household_id__in=touched) if touched else qs.none()
    rank = {p: i for i, p in enumerate(CONTINUING)}
    best: dict[int, tuple[int, str]] = {}
    for household_id, app_id, program in qs.order_by("household_id", "id").values_list("household_id", "id", "program"):
        seen = best.get(household_id)
        if seen is None or rank[program] < rank[seen[1]]:
            best[household_id] = (app_id, program)
    return [(h, a, p) for h, (a, p) in sorted(best.items())]


def run_county(run: ReverificationRun) -> str | None:
    """The one county a run covers (its area is a county or lies in one), or None for a
    city's or a province's run."""
    from jiuzhu.areas.models import Area

    level = Area.objects.filter(code=run.area_code).values_list("level", flat=True).first()
    return run.county_code if level in ("county", "town", "village") else None


def touched_households(batch_id: int) -> list[int]:
    """Households with a member named in the batch (through the blind index)."""
    where, params = batch_filter(Batch.objects.get(pk=batch_id))
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT p.household_id FROM verification_fact f "
            f"JOIN registry_person p ON {person_key_sql('p.id_number_index')} = f.person "
            f"WHERE {where} AND p.household_id IS NOT NULL",
            params,
        )
        return sorted(r[0] for r in cur.fetchall())


def _cutoff_cte(cutoffs: dict[tuple[int, str], int]) -> tuple[str, list[Any]]:
    rows = list(cutoffs.items()) or [((0, ""), 0)]
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for (source_id, county), batch_id in rows:
        params += [source_id, county, batch_id]
    return f"cutoffs(source_id, county_code, min_batch) AS (VALUES {values})", params


RUN_TABLE = "verification_rv_household"


def _fill_run_table(household_ids: list[int]) -> None:
    """The run's households in a temporary table, for one set-based aggregate."""
    with connection.cursor() as cur:
        cur.execute(f"CREATE TEMP TABLE IF NOT EXISTS {RUN_TABLE} (household_id bigint PRIMARY KEY)")
        cur.execute(f"DELETE FROM {RUN_TABLE}")
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {RUN_TABLE} (household_id) FROM STDIN") as copy:
                for h in household_ids:
                    copy.write_row((h,))
            cur.execute(f"ANALYZE {RUN_TABLE}")
        else:
            cur.executemany(f"INSERT INTO {RUN_TABLE} (household_id) VALUES (%s)", [(h,) for h in household_ids])


def aggregate_sql(cutoffs: dict[tuple[int, str], int], county_code: str | None) -> tuple[str, list[Any]]:
    """Per (household, person, source, category): count, amount and amount within 12
    months of the current, active facts of the living members of the run's households,
    ordered by household. One statement for the whole run. Each household counts the facts
    loaded for its own county: a run within one county (``county_code``) reads that county's
    partitions only, whatever other counties hold; a wider run matches each person's county."""
    county = "%s" if county_code is not None else "pers.county_code"
    cte, params = _cutoff_cte(cutoffs)
    sql = f"""
        WITH {cte},
        pers AS (
            SELECT p.id AS person_id, p.household_id, p.county_code,
                   {person_key_sql("p.id_number_index")} AS person
            FROM registry_person p
            JOIN {RUN_TABLE} r ON r.household_id = p.household_id
            WHERE p.death_date IS NULL
        ),
        cur AS (
            SELECT pers.household_id, pers.person_id, f.source_id, t.category, f.active, f.amount_fen,
                   f.period_start, f.period_end,
                   ROW_NUMBER() OVER (
                       PARTITION BY f.source_id, f.person, t.record_key ORDER BY f.batch_id DESC, f.row_number DESC
                   ) AS rn
            FROM pers
            JOIN verification_fact f ON f.person = pers.person AND f.county_code = {county}
            JOIN verification_fact_text t ON t.batch_id = f.batch_id AND t.number = f.text_number
            LEFT JOIN cutoffs c ON c.source_id = f.source_id AND c.county_code = f.county_code
            WHERE f.batch_id >= COALESCE(c.min_batch, 0)
        )
        SELECT household_id, person_id, source_id, category, COUNT(*), COALESCE(SUM(amount_fen), 0),
               COALESCE(SUM(CASE WHEN (period_end IS NULL OR period_end >= %s)
                                  AND (period_start IS NULL OR period_start <= %s) THEN amount_fen ELSE 0 END), 0)
        FROM cur WHERE rn = 1 AND active
        GROUP BY household_id, person_id, source_id, category
        ORDER BY household_id
    """
    return sql, [*params, *([county_code] if county_code is not None else [])]


def stream_aggregates(
    household_ids: list[int], on: dt.date, cutoffs: dict[tuple[int, str], int], county_code: str | None
) -> Generator[tuple[Any, ...], None, None]:
    """The aggregate rows of the households, in household order, with bounded memory
    (a server-side cursor on PostgreSQL)."""
    if not household_ids:
        return
    _fill_run_table(household_ids)
    sql, params = aggregate_sql(cutoffs, county_code)
    since = on - dt.timedelta(days=WINDOW_DAYS)
    if connection.vendor == "postgresql":
        with connection.chunked_cursor() as cur:
            cur.execute(sql, [*params, since, on])
            while rows := cur.fetchmany(10_000):
                yield from rows
    else:
        with connection.cursor() as cur:
            cur.execute(sql, [*params, since, on])
            rows = cur.fetchall()
        yield from rows


def _members(first: int, last: int) -> list[tuple[Any, ...]]:
    """Living members of the run's households ``first``..``last`` (the run table)."""
    sql = (
        "SELECT p.id, p.household_id, p.birth_date, p.relation, p.labour_capacity, p.disability_category, "
        f"p.disability_grade, p.school_status, p.name FROM registry_person p JOIN {RUN_TABLE} r "
        "ON r.household_id = p.household_id WHERE p.household_id >= %s AND p.household_id <= %s "
        "AND p.death_date IS NULL ORDER BY p.household_id, p.relation_order, p.birth_date, p.id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [first, last])
        rows: list[tuple[Any, ...]] = cur.fetchall()
        return rows


def _households(first: int, last: int) -> dict[int, tuple[str, str, str]]:
    sql = (
        f"SELECT h.id, h.area_id, h.urban_rural, h.county_code FROM registry_household h JOIN {RUN_TABLE} r "
        "ON r.household_id = h.id WHERE h.id >= %s AND h.id <= %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [first, last])
        return {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}


def _previous(first: int, last: int) -> dict[int, dict[str, Any]]:
    """The latest snapshot (from a report or a run) of each household."""
    cols = ", ".join(f"s.{c}" for c in ("household_id", *COMPARED, "failed_tests"))
    sql = (
        f"SELECT {cols} FROM verification_snapshot s JOIN ("
        f"SELECT v.household_id, MAX(v.id) AS id FROM verification_snapshot v JOIN {RUN_TABLE} r "
        "ON r.household_id = v.household_id WHERE v.household_id >= %s AND v.household_id <= %s "
        "GROUP BY v.household_id) m ON s.id = m.id"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [first, last])
        names = ("household_id", *COMPARED, "failed_tests")
        return {r[0]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}
