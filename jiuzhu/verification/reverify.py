"""批量复核 (dynamic re-verification, VER-17, DYN-7): every active case of an area, or the
cases touched by a newly loaded batch, compared again with department data.

Set-based and chunked: per chunk of households one SQL query aggregates the current facts
of all members (cut-off by the latest full batch, newest record per key), the rules
engine evaluates the chunk vectorized, and the result is compared with each household's
previous snapshot (from the last report or run). Changes become findings for the case
workers (新增车辆、新增就业、死亡、迁出 …). Each chunk commits with its snapshots, findings,
progress and one audit row, so a run can be resumed where it stopped.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.system import SystemActor
from jiuzhu.audit.log import record
from jiuzhu.core import bulk, jobs
from jiuzhu.core.gcpause import collector_paused
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import DISABILITY_TYPES, LABOUR_CAPACITY, PROGRAMS, RELATIONS, SCHOOL, FactsBatch, evaluate

from .effects import Accumulator, Catalog, full_batch_cutoffs
from .models import Finding, ReverificationRun, Snapshot
from .report import FINDING_OF_TEST, NOT_ECONOMIC
from .reverify_queries import (
    COMPARED,
    CONTINUING,
    RUN_TABLE,
    _cutoff_cte,
    _fill_run_table,
    _households,
    _members,
    _previous,
    active_cases,
    aggregate_sql,
    run_county,
    stream_aggregates,
    touched_households,
)
from .signals import findings_recorded

# The read side lives in ``reverify_queries``; its names stay importable from here.
__all__ = [
    "CHUNK_HOUSEHOLDS",
    "CONTINUING",
    "RUN_TABLE",
    "ChunkResult",
    "_cutoff_cte",
    "_fill_run_table",
    "active_cases",
    "aggregate_sql",
    "changes",
    "run_reverification",
    "stream_aggregates",
    "touched_households",
    "verify_chunk",
]
CHUNK_HOUSEHOLDS = 5000
SNAPSHOT_COLUMNS = (
    "household_id",
    "county_code",
    "run_id",
    "report_id",
    "program",
    "created_at",
    "income_fen",
    "deposits_fen",
    "securities_fen",
    "vehicles",
    "houses",
    "businesses",
    "employed",
    "deceased",
    "moved_out",
    "assistance",
    "failed_tests",
)


class FindingRow(NamedTuple):  # one 核对预警, in the column order it is copied in (FINDING_COLUMNS)
    household_id: int
    application_id: int | None
    run_id: int
    kind: str
    message: str
    area_code: str
    county_code: str
    created_at: dt.datetime
    status: str = "open"
    handling_note: str = ""


FINDING_COLUMNS = FindingRow._fields
EMPLOYMENT = ("employed", "payroll", "employee_insured", "fund_deposit")
_RELATION = {code: i for i, code in enumerate(RELATIONS)}
_LABOUR = {code: i for i, code in enumerate(LABOUR_CAPACITY)}
_DISABILITY = {code: i for i, code in enumerate(DISABILITY_TYPES)}
_DISABILITY["vision"] = _DISABILITY["visual"]
_SCHOOL = {code: i for i, code in enumerate(SCHOOL)}
_SCHOOL.update({"college": _SCHOOL["higher"], "university": _SCHOOL["higher"], "dropout": 0})


def _birth_int(value: Any) -> int:
    day: dt.date = dt.date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.year * 10000 + day.month * 100 + day.day


class ChunkResult:
    def __init__(self) -> None:
        self.snapshots: list[tuple[Any, ...]] = []
        self.findings: list[FindingRow] = []
        self.facts_groups = 0


def verify_chunk(
    cases: list[tuple[int, int, str]], on: dt.date, catalog: Catalog, groups: list[tuple[Any, ...]], run: Any
) -> ChunkResult:
    """Evaluate and compare one chunk of households given its aggregate rows
    (person, source, category, count, amount, amount within 12 months); no writes."""
    out = ChunkResult()
    first, last = cases[0][0], cases[-1][0]
    homes = _households(first, last)
    members = _members(first, last)
    out.facts_groups = len(groups)
    previous = _previous(first, last)

    person_household = {m[0]: m[1] for m in members}
    person_name = {m[0]: m[8] for m in members}
    # sums per (person, rule kind, measure, basis), as effects.Accumulator does per person
    sums: dict[tuple[int, str, str, str], list[int]] = {}
    for person_id, source_id, category, count, amount, window in groups:
        for rule in catalog.matching(source_id, category):
            if rule.kind == "info":
                continue
            key = (person_id, rule.kind, rule.measure, rule.basis)
            acc = sums.get(key)
            if acc is None:
                sums[key] = [int(count), int(amount), int(window)]
            else:
                acc[0] += int(count)
                acc[1] += int(amount)
                acc[2] += int(window)
    accs: dict[int, Accumulator] = defaultdict(Accumulator)
    for (person_id, kind, measure, basis), values in sums.items():
        accs[person_id].sums[(kind, measure, basis)] = values
    # per household: income by type, assets, expenses, status counts and names
    hh_income: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hh_assets: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hh_expense: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    hh_status: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    wage: dict[int, int] = {}
    for person_id, accumulator in accs.items():
        h = person_household[person_id]
        incomes, assets, expenses, statuses = accumulator.result()
        for k, v in incomes.items():
            if k == "wage":
                wage[person_id] = v
            else:
                hh_income[h][k] += v
        for k, v in assets.items():
            hh_assets[h][k] += v
        for k, v in expenses.items():
            hh_expense[h][k] += v
        for k, v in statuses.items():
            if v:
                group = "employed" if k in EMPLOYMENT else k
                if person_name[person_id] not in hh_status[h][group]:
                    hh_status[h][group].append(person_name[person_id])
        if wage.get(person_id):
            hh_income[h]["wage"] += wage[person_id]

    by_household: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for m in members:
        by_household[m[1]].append(m)
    params = parameter_store()
    by_program: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for h, app, program in cases:
        if by_household.get(h) and h in homes:
            by_program[program].append((h, app))
    now = timezone.now()
    for program, items in by_program.items():
        failed = _evaluate(program, items, homes, by_household, wage, hh_income, hh_assets, hh_expense, on, params)
        for (h, app), failed_tests in zip(items, failed, strict=True):
            area, _, county = homes[h]
            assets = hh_assets.get(h, {})
            status = hh_status.get(h, {})
            current = {
                "vehicles": assets.get("vehicles", 0),
                "houses": assets.get("houses", 0),
                "businesses": assets.get("businesses", 0),
                "employed": len(status.get("employed", [])),
                "deceased": len(status.get("death", [])),
                "moved_out": len(status.get("moved_out", [])),
                "assistance": len(status.get("assistance", [])),
            }
            income = sum(hh_income.get(h, {}).values())
            out.snapshots.append(
                (
                    h,
                    county,
                    run.pk,
                    None,
                    program,
                    now,
                    income,
                    assets.get("deposits", 0),
                    assets.get("securities", 0),
                    current["vehicles"],
                    current["houses"],
                    current["businesses"],
                    current["employed"],
                    current["deceased"],
                    current["moved_out"],
                    current["assistance"],
                    ",".join(failed_tests),
                )
            )
            prev = previous.get(h)
            for kind, message in changes(prev, current, failed_tests, status, income):
                out.findings.append(FindingRow(h, app, run.pk, kind, message[:300], area, county, now))
    return out


def _evaluate(
    program: str,
    items: list[tuple[int, int]],
    homes: dict[int, tuple[str, str, str]],
    by_household: dict[int, list[tuple[Any, ...]]],
    wage: dict[int, int],
    hh_income: dict[int, dict[str, int]],
    hh_assets: dict[int, dict[str, int]],
    hh_expense: dict[int, dict[str, int]],
    on: dt.date,
    params: Any,
) -> list[list[str]]:
    """The economic tests each household of ``items`` fails, evaluated vectorized."""
    n = len(items)
    hh: dict[str, Any] = {
        "area_code": [homes[h][0] for h, _ in items],
        "urban": np.array([homes[h][1] == "urban" for h, _ in items]),
        "size": np.array([len(by_household[h]) for h, _ in items], dtype=np.int64),
        "medical_oop_fen": np.array([hh_expense.get(h, {}).get("medical", 0) for h, _ in items], dtype=np.int64),
        "education_oop_fen": np.array([hh_expense.get(h, {}).get("education", 0) for h, _ in items], dtype=np.int64),
    }
    income_types = {k for h, _ in items for k in hh_income.get(h, {}) if k != "wage"}
    for k in income_types:
        hh[f"income_{k}"] = np.array([hh_income.get(h, {}).get(k, 0) for h, _ in items], dtype=np.int64)
    for k in ("deposits", "securities", "vehicles", "houses", "businesses"):
        hh[f"asset_{k}"] = np.array([hh_assets.get(h, {}).get(k, 0) for h, _ in items], dtype=np.int64)
    rows = [m for h, _ in items for m in by_household[h]]
    grades = [m[6] or 0 for m in rows]
    kinds = [_DISABILITY.get(m[5] or "", 0) if g else 0 for m, g in zip(rows, grades, strict=True)]
    members: dict[str, npt.NDArray[Any]] = {
        "age": np.full(len(rows), -1, dtype=np.int16),
        "birth": np.array([_birth_int(m[2]) for m in rows], dtype=np.int32),
        "relation": np.array([_RELATION.get(m[3] or "other", _RELATION["other"]) for m in rows], dtype=np.int8),
        "labour_capacity": np.array([_LABOUR.get(m[4] or "unassessed", 0) for m in rows], dtype=np.int8),
        "disability_type": np.array(kinds, dtype=np.int8),
        "disability_grade": np.array([g if k else 0 for g, k in zip(grades, kinds, strict=True)], dtype=np.int8),
        "school": np.array([_SCHOOL.get(m[7] or "none", 0) for m in rows], dtype=np.int8),
        "wage": np.array([wage.get(m[0], 0) for m in rows], dtype=np.int64),
    }
    batch = FactsBatch.from_columns(hh, members)
    result = evaluate(program, batch, on, params)
    tests = [t for t in PROGRAMS[program].tests if t.code not in NOT_ECONOMIC]
    masks = result.reasons_bitmask
    out: list[list[str]] = [[] for _ in range(n)]
    for t in tests:
        hit = np.flatnonzero((masks >> np.uint64(t.bit)) & np.uint64(1))
        for i in hit:
            out[int(i)].append(t.code)
    return out


def changes(
    prev: dict[str, Any] | None,
    current: dict[str, int],
    failed_tests: list[str],
    status: dict[str, list[str]],
    income: int,
) -> list[tuple[str, str]]:
    """Findings: what is new since the previous snapshot (none: since nothing)."""
    base: dict[str, Any] = prev or dict.fromkeys(COMPARED, 0) | {"failed_tests": ""}
    out = []
    names = {k: "、".join(v) for k, v in status.items()}
    if current["vehicles"] > base["vehicles"]:
        out.append(
            ("vehicle", f"新增车辆{current['vehicles'] - base['vehicles']}辆（现名下共{current['vehicles']}辆）")
        )
    if current["houses"] > base["houses"]:
        out.append(("house", f"新增住房{current['houses'] - base['houses']}套（现共{current['houses']}套）"))
    if current["businesses"] > base["businesses"]:
        out.append(("business", f"新增登记企业或个体工商户（现共{current['businesses']}个）"))
    if current["employed"] > base["employed"]:
        out.append(("employment", f"新增就业、工资或职工社保记录：{names.get('employed', '')}"))
    if current["deceased"] > base["deceased"]:
        out.append(("death", f"成员死亡：{names.get('death', '')}（公安注销或殡葬记录）"))
    if current["moved_out"] > base["moved_out"]:
        out.append(("moved_out", f"户籍迁出：{names.get('moved_out', '')}"))
    if current["assistance"] > base["assistance"]:
        out.append(("assistance", f"在外地享受社会救助：{names.get('assistance', '')}"))
    before = set(filter(None, (base.get("failed_tests") or "").split(",")))
    for code in failed_tests:
        if code in before or code not in FINDING_OF_TEST:
            continue
        kind, title = FINDING_OF_TEST[code]
        if kind in ("income", "deposits"):
            detail = f"（部门数据月收入合计{income / 100:.2f}元）" if kind == "income" else ""
            out.append((kind, f"{title}{detail}"))
    return out


@collector_paused()
def run_reverification(run_id: int, *, chunk_size: int = CHUNK_HOUSEHOLDS) -> ReverificationRun:
    """The job: process the run's households chunk by chunk (resumable)."""
    run = ReverificationRun.objects.get(pk=run_id)
    if run.status == "done":
        return run
    cases = active_cases(run)
    started = time.monotonic()
    jobs.claim(ReverificationRun, run.pk, started_at=run.started_at or timezone.now(), total=run.done + len(cases))
    run.refresh_from_db()
    actor = run.started_by or SystemActor("系统（批量复核）")
    catalog = Catalog()
    cutoffs = full_batch_cutoffs()
    on = timezone.localdate()
    kinds: dict[str, int] = defaultdict(int, run.summary.get("by_kind", {}))
    stream = stream_aggregates([h for h, _, _ in cases], on, cutoffs, run_county(run))
    pending = next(stream, None)
    with jobs.heartbeat(ReverificationRun, run.pk):
        try:
            for start in range(0, len(cases), chunk_size):
                chunk = cases[start : start + chunk_size]
                last = chunk[-1][0]
                groups = []
                while pending is not None and pending[0] <= last:
                    groups.append(pending[1:])
                    pending = next(stream, None)
                result = verify_chunk(chunk, on, catalog, groups, run)
                with transaction.atomic():
                    if result.snapshots:
                        bulk.insert_rows(Snapshot, SNAPSHOT_COLUMNS, result.snapshots)
                    bulk.insert_rows(Finding, FINDING_COLUMNS, result.findings)
                    for f in result.findings:
                        kinds[f.kind] += 1
                    _review_findings(run, result.findings, on, by=actor)
                    run.done += len(chunk)
                    run.findings += len(result.findings)
                    run.last_household_id = chunk[-1][0]
                    run.summary = {"by_kind": dict(kinds)}
                    run.save(update_fields=["done", "findings", "last_household_id", "summary"])
                    record(
                        actor,
                        "verification.reverify.chunk",
                        run,
                        area_code=run.area_code,
                        changes={
                            "run": run.pk,
                            "households": len(chunk),
                            "first_household": chunk[0][0],
                            "last_household": chunk[-1][0],
                            "fact_groups_read": result.facts_groups,
                            "findings": len(result.findings),
                        },
                    )
        except Exception as exc:
            ReverificationRun.objects.filter(pk=run.pk).update(
                status="failed", message=f"出错：{exc.__class__.__name__}"
            )
            raise
        finally:
            stream.close()
    seconds = time.monotonic() - started
    run.status = "done"
    run.finished_at = timezone.now()
    run.summary = {
        "by_kind": dict(kinds),
        "seconds": round(seconds, 2),
        "households_per_second": round(len(cases) / seconds, 1) if seconds > 0 else None,
    }
    run.save(update_fields=["status", "finished_at", "summary"])
    return run


def _review_findings(run: ReverificationRun, findings: list[FindingRow], on: dt.date, *, by: Any) -> int:
    """A finding on a case in payment opens its review of kind 部门数据预警 (DYN-1, issue 15
    item 4), in the transaction that records the finding; one open review per case."""
    cases = sorted({f.application_id for f in findings if f.application_id is not None})
    if not cases:
        return 0
    answers = findings_recorded.send(sender=ReverificationRun, by=by, run=run, application_ids=cases, on=on)
    return sum(int(opened or 0) for _, opened in answers)
