"""Evaluate programs: vectorized over a batch, or for one household with a full trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from . import programs as _programs  # noqa: F401  (registers the programs)
from .core import PROGRAMS, Households, Params, Program, Tracer, outcome
from .errors import RulesInputError
from .facts import FactsBatch, HouseholdFacts, household_to_dict
from .parameters import ParameterStore

RULES_VERSION = "2026.11.0"


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Results for a batch, one row per household. Bit *i* of ``reasons_bitmask`` is set
    when the program's test *i* (``PROGRAMS[program].tests[i]``) is not met; eligible
    households have a zero mask. ``monthly_amount_fen`` is 0 where not eligible (for
    临时救助 it is the one-off amount)."""

    program: str
    eligible: npt.NDArray[np.bool_]
    reasons_bitmask: npt.NDArray[np.uint64]
    monthly_amount_fen: npt.NDArray[np.int64]

    def failed_tests(self, i: int) -> list[str]:
        """Codes of the tests household ``i`` does not meet."""
        mask = int(self.reasons_bitmask[i])
        return [t.code for t in PROGRAMS[self.program].tests if mask >> t.bit & 1]


@dataclass(frozen=True, slots=True)
class Reason:
    """One test of one household: its code, whether it is met, and a Chinese message."""

    code: str
    message: str
    passed: bool
    applicable: bool = True


@dataclass(frozen=True)
class Result:
    """The decision for one household, with the trace that reproduces it."""

    program: str
    eligible: bool
    reasons: list[Reason]
    monthly_amount_fen: int
    trace: dict[str, Any]

    @property
    def failed(self) -> list[Reason]:
        return [r for r in self.reasons if not r.passed]


def _program(code: object) -> Program:
    program = PROGRAMS.get(code) if isinstance(code, str) else None
    if program is None:
        known = "、".join(f"{p.code}（{p.name}）" for p in PROGRAMS.values())
        raise RulesInputError("unknown_program", "program", f"未知的救助项目“{code}”，可选：{known}")
    return program


def _check_date(on: object) -> date:
    if isinstance(on, datetime) or not isinstance(on, date):
        raise RulesInputError("invalid_type", "date", "评估日期应为日期（如2026-01-31）")
    return on


def _check_requires(program: Program, batch: FactsBatch) -> None:
    if "temporary" in program.requires:
        missing = batch.hh["temporary_kind"] == 0
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise RulesInputError(
                "missing_field",
                batch.household_path(i, "temporary"),
                f"申请“{program.name}”须说明临时救助类型（支出型重特大疾病、教育或急难型）",
            )


def _run(program: Program, h: Households) -> BatchResult:
    n = h.n
    mask = np.zeros(n, dtype=np.uint64)
    for t in program.tests:
        ok = outcome(t, h, h.p)
        if not ok.all():
            np.bitwise_or(mask, np.uint64(1 << t.bit), out=mask, where=~ok)
    eligible = mask == 0
    amount = np.zeros(n, dtype=np.int64)
    if program.amount_formula is not None and eligible.any():
        if h.tracer is not None:
            h.tracer.enter()
        raw = np.asarray(program.amount_formula(h, h.p), dtype=np.int64)
        if h.tracer is not None:
            h.tracer.amount_reads = h.tracer.leave()
        np.copyto(amount, raw, where=eligible)
    return BatchResult(program.code, eligible, mask, amount)


def evaluate(
    program: str,
    batch: FactsBatch,
    on: date,
    params: ParameterStore,
    *,
    chunk_size: int | None = None,
) -> BatchResult:
    """Evaluate ``program`` for every household of ``batch`` on date ``on`` with the
    parameters of ``params`` (a ``ParameterStore``). Vectorized: no Python loop over
    households; parameters are looked up once per distinct area. ``chunk_size`` bounds
    memory for very large batches (a province) by evaluating that many households at a
    time; results are identical."""
    return evaluate_all([program], batch, on, params, chunk_size=chunk_size)[program]


def evaluate_all(
    programs: Sequence[str],
    batch: FactsBatch,
    on: date,
    params: ParameterStore,
    *,
    chunk_size: int | None = None,
) -> dict[str, BatchResult]:
    """Evaluate several programs on one batch, sharing every common variable
    (income, assets, standards) between them."""
    if chunk_size is not None and chunk_size < 1:
        raise RulesInputError("invalid_value", "chunk_size", "分块大小应为正整数")
    if chunk_size is not None and batch.n > chunk_size:
        parts = [
            evaluate_all(programs, batch.slice(a, a + chunk_size), on, params) for a in range(0, batch.n, chunk_size)
        ]
        return {
            code: BatchResult(
                code,
                np.concatenate([p[code].eligible for p in parts]),
                np.concatenate([p[code].reasons_bitmask for p in parts]),
                np.concatenate([p[code].monthly_amount_fen for p in parts]),
            )
            for code in parts[0]
        }
    progs = [_program(code) for code in programs]
    on = _check_date(on)
    for prog in progs:
        _check_requires(prog, batch)
    if batch.n == 0:
        empty = BatchResult("", np.zeros(0, bool), np.zeros(0, np.uint64), np.zeros(0, np.int64))
        return {
            p.code: BatchResult(p.code, empty.eligible, empty.reasons_bitmask, empty.monthly_amount_fen) for p in progs
        }
    p = Params(params, on, batch, None)
    h = Households(batch, on, p, None)
    return {prog.code: _run(prog, h) for prog in progs}


def evaluate_one(
    program: str,
    household: HouseholdFacts,
    area_code: str | None,
    on: date,
    params: ParameterStore,
) -> Result:
    """Evaluate ``program`` for one household with a full trace: every parameter used
    (name, value, area it came from, valid_from, source), every intermediate variable,
    every test with its code, result and message, the facts, the date, the area, the
    rules version and the parameter-set digest. ``area_code`` (2–12 digits) overrides
    ``household.area_code``."""
    prog = _program(program)
    on = _check_date(on)
    batch = FactsBatch.one(household, area_code)
    _check_requires(prog, batch)
    tracer = Tracer()
    p = Params(params, on, batch, tracer)
    h = Households(batch, on, p, tracer)
    result = _run(prog, h)
    reasons = []
    tests = []
    for t in prog.tests:
        applies = True
        if t.applies is not None:
            applies = bool(np.asarray(t.applies(h, p)).reshape(-1)[0])
        passed = not (int(result.reasons_bitmask[0]) >> t.bit & 1)
        if not applies:
            message = f"不适用：{t.passed}"
        else:
            message = t.passed if passed else t.failed
            if t.detail:
                message = f"{message}（{h.render(t.detail)}）"
        reasons.append(Reason(t.code, message, passed, applies))
        tests.append({"code": t.code, "passed": passed, "applicable": applies, "message": message})
    for name in prog.reports:
        h.get("household", name)
    eligible = bool(result.eligible[0])
    amount = int(result.monthly_amount_fen[0])
    area = area_code if area_code is not None else household.area_code
    trace: dict[str, Any] = {
        "rules_version": RULES_VERSION,
        "parameters_digest": params.digest,
        "program": prog.code,
        "program_name": prog.name,
        "date": on.isoformat(),
        "area_code": area,
        "effective_area": p.keys[0],
        "facts": household_to_dict(household),
        "parameters": list(tracer.parameters.values()),
        "variables": tracer.variables,
        "tests": tests,
        "eligible": eligible,
        "amount_kind": prog.amount_kind,
        "monthly_amount_fen": amount,
    }
    if tracer.amount_reads is not None:
        # what the amount itself rests on (the notices' 计算依据), apart from what only a test read
        trace["amount_basis"] = tracer.basis(tracer.amount_reads)
    return Result(prog.code, eligible, reasons, amount, trace)


OLD_TRACE_PARAMETERS = 8  # a trace from before ``amount_basis``: its first parameters, as notices gave them


def _counts(variable: dict[str, Any]) -> bool:
    return variable.get("unit") != "ratio" and bool(variable.get("value"))


def amount_basis(trace: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """What a notice tells the family its amount rests on (计算依据): ``parameters`` (the
    traced parameters the amount read, each with value, unit and source) and ``steps`` (the
    household figures the amount was computed through, in the order computed, e.g. 家庭月计算收入,
    低保标准, 差额, 分类施保加发, 月低保金; a 0 only where a formula shown names it). Parameters only a test read
    (the asset limits, the 单独申请 conditions) are left out. A trace without ``amount_basis`` gives its
    first parameters and no steps."""
    parameters = [p for p in trace.get("parameters", []) if isinstance(p, dict)]
    basis = trace.get("amount_basis")
    if not isinstance(basis, dict):
        return {"parameters": parameters[:OLD_TRACE_PARAMETERS], "steps": []}
    used = set(basis.get("parameters", []))
    variables = trace.get("variables", {})
    names = [n for n in basis.get("variables", []) if "." not in n and n in variables]  # household figures
    # a figure of 0 (no deduction, no extra) and a sum of ratios (its parameters are listed) add
    # nothing the family can check, unless a formula shown names it (差额 = 标准×人数−家庭月计算收入);
    # the amount itself is always there
    shown = {n for i, n in enumerate(names) if i == len(names) - 1 or _counts(variables[n])}
    formulas = "".join(str(variables[n]["label"]).partition("：")[2] for n in shown)
    steps = [
        {"name": name, **variables[name]}
        for name in names
        if name in shown
        or (variables[name].get("unit") != "ratio" and str(variables[name]["label"]).split("（")[0] in formulas)
    ]
    care = _self_care_step(variables, basis.get("variables", []))
    if care is not None:  # 特困: the care level the 照料护理费 rests on, before it
        at = next((i for i, s in enumerate(steps) if s["name"] == "tekun_care_allowance"), len(steps) - 1)
        steps.insert(max(at, 0), care)
    return {"parameters": [p for p in parameters if p.get("name") in used], "steps": steps}


def _self_care_step(variables: dict[str, Any], used: list[str]) -> dict[str, Any] | None:
    """生活自理能力评估 as the family reads it: "完全丧失生活自理能力1人" (members by level)."""
    from .variables import SELF_CARE_LEVEL_LABELS

    levels = variables.get("member.self_care_level", {}).get("value") if "member.self_care_level" in used else None
    if not isinstance(levels, list) or not levels:
        return None
    counts: dict[int, int] = {}
    for level in levels:
        counts[int(level)] = counts.get(int(level), 0) + 1
    text = "、".join(f"{SELF_CARE_LEVEL_LABELS.get(k, str(k))}{n}人" for k, n in sorted(counts.items(), reverse=True))
    return {"name": "self_care_level", "label": "生活自理能力评估", "unit": "text", "value": text}


def household_variable(
    name: str, household: HouseholdFacts, area_code: str | None, on: date, params: ParameterStore
) -> int:
    """The value of one household variable (e.g. ``work_income``) for one household on date
    ``on`` with the parameters in force there."""
    on = _check_date(on)
    batch = FactsBatch.one(household, area_code)
    h = Households(batch, on, Params(params, on, batch, None), None)
    return int(np.asarray(h.get("household", name)).reshape(-1)[0])


def screen(
    household: HouseholdFacts,
    area_code: str | None,
    on: date,
    params: ParameterStore,
) -> dict[str, Result]:
    """智能研判 (INT-4): evaluate every program the household's facts allow — 临时救助
    only when a ``temporary`` request is given — and return each traced result, so the
    window can tell the applicant which programs he or she can apply for and why."""
    codes = [c for c, p in PROGRAMS.items() if "temporary" not in p.requires or household.temporary]
    return {code: evaluate_one(code, household, area_code, on, params) for code in codes}
