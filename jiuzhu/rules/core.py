"""The machinery formulas run on: variables, tests, programs, and the views they read.

A *variable* is a named formula over a batch (``counted_income``, 计算收入); a *test*
is a named condition of a program with a reason code and Chinese messages
(``income_below_standard``, 家庭月人均收入低于当地低保标准); a *program* is an ordered
list of tests plus an amount formula. Formulas receive ``h`` (the households, with
member and supporter views ``h.m`` and ``h.s``) and ``p`` (the parameters in force on
the evaluation date for each household's area) and return numpy arrays: one value per
household (or per member / supporter). Variables are computed once per evaluation and,
when a single household is traced, recorded with every parameter they read.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from .areas import normalize_area
from .errors import RulesInputError
from .facts import Array, FactsBatch
from .money import e4_to_str, yuan
from .parameters import ParameterStore, ParameterValue

Formula = Callable[["Households", "Params"], Array]

ENTITIES = ("household", "member", "supporter")
# Variables held in 分: a month's, twelve months', a year's or a one-off amount.
MONEY_VARIABLE_UNITS = frozenset({"fen", "fen_12m", "fen_year", "fen_once"})
# Units of variables, for messages and traces.
VARIABLE_UNITS = {
    "fen": "分/月",
    "fen_12m": "分（近12个月）",
    "fen_year": "分/年",
    "fen_once": "分/次",
    "persons": "人",
    "count": "个",
    "years": "周岁",
    "months": "个月",
    "ratio": "倍",
    "bool": "是/否",
    "code": "代码",
}


@dataclass(frozen=True, slots=True)
class Variable:
    name: str
    label: str  # Chinese name shown in traces
    unit: str
    entity: str
    formula: Formula
    # an addition or deduction (分类施保加发, 就业成本扣除, …): at 0 it moved nothing, so what it
    # read is no part of the amount's basis (the notices' 计算依据)
    basis_when_zero: bool = True
    # a figure that routes the case (an approval level's limit), not one the amount is made of:
    # never in a notice's 金额计算 or 计算依据
    on_notice: bool = True


VARIABLES: dict[tuple[str, str], Variable] = {}


def variable(
    name: str,
    label: str,
    unit: str = "fen",
    entity: str = "household",
    *,
    basis_when_zero: bool = True,
    on_notice: bool = True,
) -> Callable[[Formula], Formula]:
    """Register a formula as the variable ``name`` (``label`` is its Chinese name);
    ``basis_when_zero=False`` for an addition or deduction whose parameters matter only when
    it is not 0; ``on_notice=False`` for a figure that routes the case, not the amount."""
    if unit not in VARIABLE_UNITS or entity not in ENTITIES:
        raise ValueError(f"bad unit or entity for variable {name}")

    def register(formula: Formula) -> Formula:
        key = (entity, name)
        if key in VARIABLES:
            raise ValueError(f"variable {entity}.{name} defined twice")
        VARIABLES[key] = Variable(name, label, unit, entity, formula, basis_when_zero, on_notice)
        return formula

    return register


@dataclass(frozen=True, slots=True)
class Test:
    """One atomic condition of a program. ``formula`` returns True where it holds.
    Where ``applies`` returns False the test is not applicable and counts as met."""

    code: str
    bit: int
    passed: str  # message when met (Chinese)
    failed: str  # message when not met (Chinese)
    detail: str  # template with {variable} fields, appended to either message
    formula: Formula
    applies: Formula | None = None


@dataclass(eq=False)
class Program:
    """An assistance program (救助项目) as the rules see it."""

    code: str
    name: str  # Chinese name
    description: str
    amount_kind: str  # "monthly" (每月), "one_off" (一次性) or "none" (认定类，无现金)
    amount_label: str
    requires: tuple[str, ...] = ()
    reports: tuple[str, ...] = ()  # extra household variables to show in every trace
    tests: list[Test] = field(default_factory=list)
    amount_formula: Formula | None = None

    def test(
        self,
        code: str,
        *,
        passed: str,
        failed: str,
        detail: str = "",
        applies: Formula | None = None,
    ) -> Callable[[Formula], Formula]:
        """Register a test; its position is its bit in the reason bitmask."""

        def register(formula: Formula) -> Formula:
            if any(t.code == code for t in self.tests):
                raise ValueError(f"test {code} defined twice in {self.code}")
            if len(self.tests) >= 63:
                raise ValueError("at most 63 tests per program")
            self.tests.append(Test(code, len(self.tests), passed, failed, detail, formula, applies))
            return formula

        return register

    def amount(self, formula: Formula) -> Formula:
        """Register the benefit amount formula (fen; counted only where eligible)."""
        self.amount_formula = formula
        return formula

    def passes(self, h: Households, p: Params) -> Array:
        """True where every test is met (used by programs that depend on another)."""
        ok = np.ones(h.n, dtype=bool)
        for t in self.tests:
            ok &= outcome(t, h, p)
        return ok

    def describe(self) -> dict[str, Any]:
        """JSON-serializable description for the program catalogue and API."""
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "amount_kind": self.amount_kind,
            "amount_label": self.amount_label,
            "tests": [{"code": t.code, "bit": t.bit, "passed": t.passed, "failed": t.failed} for t in self.tests],
        }


PROGRAMS: dict[str, Program] = {}


def register_program(program: Program) -> Program:
    PROGRAMS[program.code] = program
    return program


def constant(values: Array) -> int | None:
    """The value of an array that holds one value by construction (0-d, or a read-only
    view of one value such as a column that was not given), else ``None``. Lets a
    formula skip work that cannot change its result (a deduction switched off)."""
    a = np.asarray(values)
    if a.ndim == 0 or (a.ndim == 1 and a.strides == (0,) and a.shape[0]):
        return int(a.reshape(-1)[0])
    return None


def outcome(t: Test, h: Households, p: Params) -> Array:
    if t.applies is None:
        return np.broadcast_to(np.asarray(t.formula(h, p), dtype=bool), (h.n,))
    applies = np.broadcast_to(np.asarray(t.applies(h, p), dtype=bool), (h.n,))
    if h.tracer is None and not applies.any():  # applies to nobody: met everywhere
        met: Array = np.broadcast_to(np.ones((), dtype=bool), (h.n,))
        return met
    ok = np.broadcast_to(np.asarray(t.formula(h, p), dtype=bool), (h.n,))
    return np.asarray(ok | ~applies)


# ---- tracing ---------------------------------------------------------------------------


class Tracer:
    """Records, for a batch of one, every parameter and variable a formula reads, and what
    each variable's formula read, so that the amount's own basis can be told apart from
    what only the tests used (``basis``)."""

    def __init__(self) -> None:
        self.parameters: dict[str, dict[str, Any]] = {}
        self.variables: dict[str, dict[str, Any]] = {}
        self.reads: dict[str, set[tuple[str, str]]] = {}  # variable → ("p"|"v", name) it read
        self._frames: list[set[tuple[str, str]]] = []
        self.amount_reads: set[tuple[str, str]] | None = None  # what the amount formula read
        self.idle: set[str] = set()  # additions and deductions that came to 0 (``basis_when_zero``)
        self.routing: set[str] = set()  # figures that route the case (``on_notice=False``)

    def parameter(self, value: ParameterValue) -> None:
        if value.name not in self.parameters:
            self.parameters[value.name] = value.to_trace()

    def read(self, kind: str, name: str) -> None:
        """A parameter ("p") or a variable ("v", by its trace name) was read."""
        if self._frames:
            self._frames[-1].add((kind, name))

    def enter(self) -> None:
        """A formula starts: what it reads from here on is its own."""
        self._frames.append(set())

    def leave(self) -> set[tuple[str, str]]:
        return self._frames.pop()

    def variable(self, var: Variable, value: Array) -> None:
        """A variable's formula finished (``enter`` was called before it)."""
        show = _ratio if var.unit == "ratio" else _py
        if var.entity == "household":
            shown: Any = show(np.asarray(value).reshape(-1)[0])
        else:
            shown = [show(x) for x in np.asarray(value).reshape(-1).tolist()]
        name = trace_name(var.entity, var.name)
        self.variables[name] = {"label": var.label, "unit": var.unit, "value": shown}
        if not var.on_notice or (not var.basis_when_zero and not np.asarray(value).any()):
            self.idle.add(name)
        if not var.on_notice:
            self.routing.add(name)
        self.reads[name] = self.leave()
        self.read("v", name)

    def basis(self, reads: set[tuple[str, str]]) -> dict[str, list[str]]:
        """Every parameter and variable these reads depend on, in the order they were first
        read (parameters) and computed (variables); an idle addition or deduction is listed
        without what it read."""
        seen: set[tuple[str, str]] = set()
        todo = list(reads)
        while todo:
            item = todo.pop()
            if item in seen:
                continue
            seen.add(item)
            if item[0] == "v" and item[1] not in self.idle:
                todo.extend(self.reads.get(item[1], ()))
        return {
            "parameters": [n for n in self.parameters if ("p", n) in seen],
            "variables": [n for n in self.variables if ("v", n) in seen and n not in self.routing],
        }


def trace_name(entity: str, name: str) -> str:
    return name if entity == "household" else f"{entity}.{name}"


def _ratio(x: Any) -> str:
    return e4_to_str(int(x))


def _py(x: Any) -> int | bool:
    if isinstance(x, bool | np.bool_):
        return bool(x)
    return int(x)


# ---- parameters as formulas see them ------------------------------------------------------


class Params:
    """``p("dibao.standard.urban")`` is that parameter's internal integer value for each
    household (fen, ratio in ten-thousandths, 0/1, code index) — a 0-d array when every
    household has the same value, else one value per household. Area lookup is done
    once per distinct *effective* area (the deepest level that has any parameter), never
    per household."""

    def __init__(self, store: ParameterStore, on: date, batch: FactsBatch, tracer: Tracer | None) -> None:
        self.store = store
        self.date = on
        self.batch = batch
        self.tracer = tracer
        self._cache: dict[str, Array] = {}
        self.keys, self.key_index = _effective_keys(store, *batch.areas)

    def __call__(self, name: str) -> Array:
        cached = self._cache.get(name)
        if cached is not None:
            if self.tracer is not None:
                self.tracer.read("p", name)
            # one value per effective area: spread to the households on each read, so
            # that the per-household copy lives only as long as the formula using it
            return cached if cached.ndim == 0 else cached[self.key_index]
        values = [self._lookup(name, k, i) for i, k in enumerate(self.keys)]
        ints = [v.internal for v in values]
        if self.tracer is not None and values:
            self.tracer.parameter(values[0])
        if len(set(ints)) <= 1:
            self._cache[name] = np.asarray(ints[0] if ints else 0, dtype=np.int64)
        else:
            self._cache[name] = np.asarray(ints, dtype=np.int64)
        return self(name)

    def by_urban(self, base: str) -> Array:
        """``base.urban`` for urban households, ``base.rural`` for rural ones (城乡分设)."""
        urban = self.batch.hh["urban"]
        if self.tracer is not None:  # a batch of one: read (and record) only the one used
            return self(f"{base}.urban" if bool(urban[0]) else f"{base}.rural")
        u, r = self(f"{base}.urban"), self(f"{base}.rural")
        if u.ndim == 0 and r.ndim == 0 and int(u) == int(r):
            return u
        if not urban.any():
            return r
        if urban.all():
            return u
        return np.where(urban, u, r)

    def _lookup(self, name: str, key: str, k: int) -> ParameterValue:
        try:
            return self.store.lookup(name, key, self.date)
        except RulesInputError as e:
            if e.field == "area_code":
                first = int(np.flatnonzero(self.key_index == k)[0])
                raise RulesInputError(e.code, self.batch.household_path(first, "area_code"), e.message) from None
            raise


# Area levels, deepest first: digits of the significant code, and the divisor that
# turns a 12-digit code into it.
_LEVELS = ((12, 1), (9, 10**3), (6, 10**6), (4, 10**8), (2, 10**10))


def _effective_keys(store: ParameterStore, uniq: Array, inv: Array) -> tuple[list[str], Array]:
    """Map each household's 12-digit area (``uniq[inv]``: the batch's distinct areas,
    sorted, and each household's index among them) to the deepest ancestor that has any
    parameter at all (parameters resolve identically from there), vectorized."""
    if inv.shape[0] == 0:
        return [], np.zeros(0, dtype=np.int64)
    if uniq.shape[0] == 1:  # one area (a traced evaluation): plain Python is quicker
        area = int(uniq[0])
        for length, divisor in _LEVELS:
            if area // divisor in store.known_prefix_sets[length]:
                return [f"{area // divisor:0{length}d}"], inv
        return [normalize_area(f"{area:012d}")], inv
    # each distinct area's effective key as (level, 12-digit code of the ancestor);
    # level 0 is "no parameter anywhere on the chain" (the area keeps its own code, so
    # that the error message names it) — formatted as text once per distinct key
    level = np.zeros(uniq.shape[0], dtype=np.int64)
    code = uniq.copy()
    for rank, (length, divisor) in enumerate(_LEVELS):
        known = store.known_prefixes[length]
        if not known.shape[0]:
            continue
        prefix = uniq // divisor
        hit = (level == 0) & np.isin(prefix, known)
        level[hit] = 5 - rank
        code[hit] = prefix[hit] * divisor
    pairs, key_of_uniq = np.unique(code * 8 + level, return_inverse=True)
    lengths = {5: 12, 4: 9, 3: 6, 2: 4, 1: 2}
    keys = [
        f"{c:012d}"[: lengths[lv]] if lv else normalize_area(f"{c:012d}")
        for c, lv in ((int(x) // 8, int(x) % 8) for x in pairs.tolist())
    ]
    key_of_uniq = key_of_uniq.reshape(-1)
    if len(keys) == uniq.shape[0] and np.array_equal(key_of_uniq, np.arange(len(keys))):
        return keys, inv  # one key per distinct area, in the same order
    return keys, key_of_uniq[inv]


# ---- households as formulas see them ------------------------------------------------------


class Households:
    """``h.<name>`` is a household variable or column (length H); ``h.m.<name>`` a member
    one (length M); ``h.s.<name>`` a supporter one (length S). Helpers aggregate members
    to households (``h.sum``, ``h.count``, ``h.all``, ``h.any``) and spread household
    values to members (``h.to_members``)."""

    def __init__(self, batch: FactsBatch, on: date, params: Params, tracer: Tracer | None) -> None:
        self.batch = batch
        self.date = on
        self.p = params
        self.tracer = tracer
        self.n = batch.n
        self.start: Array = batch.hh["start"]
        self._member_household: Array | None = None
        self._cache: dict[tuple[str, str], Array] = {}
        self.m = _EntityView(self, "member", batch.members)
        self.s = _EntityView(self, "supporter", batch.supporters)

    def __getattr__(self, name: str) -> Array:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get("household", name)

    def get(self, entity: str, name: str) -> Array:
        key = (entity, name)
        cached = self._cache.get(key)
        if cached is not None:
            if self.tracer is not None and key in VARIABLES:
                self.tracer.read("v", trace_name(entity, name))
            return cached
        var = VARIABLES.get(key)
        if var is not None:
            if self.tracer is not None:
                self.tracer.enter()
            value = np.asarray(var.formula(self, self.p))
            length = {
                "household": self.n,
                "member": int(self.batch.members["age"].shape[0]),
                "supporter": int(self.batch.supporters["age"].shape[0]),
            }[entity]
            if value.shape != (length,):
                value = np.broadcast_to(value, (length,))
            if self.tracer is not None:
                self.tracer.variable(var, value)
        else:
            columns = {
                "household": self.batch.hh,
                "member": self.batch.members,
                "supporter": self.batch.supporters,
            }[entity]
            if name not in columns:
                raise AttributeError(f"no {entity} variable or column named {name!r}")
            value = columns[name]
        self._cache[key] = value
        return value

    # ---- members <-> households ----

    @property
    def member_household(self) -> Array:
        """For each member, the index of its household."""
        if self._member_household is None:
            self._member_household = np.repeat(np.arange(self.n, dtype=np.int64), self.size)
        return self._member_household

    def sum(self, member_values: Array) -> Array:
        """Per-household sum of a member array (int64)."""
        v = np.asarray(member_values)
        if v.ndim == 0:
            return np.asarray(v, dtype=np.int64) * self.size
        return np.add.reduceat(v, self.start, dtype=np.int64)

    def count(self, member_mask: Array) -> Array:
        """Per-household number of members where ``member_mask`` holds."""
        return self.sum(np.asarray(member_mask, dtype=bool))

    def all(self, member_mask: Array) -> Array:
        return np.asarray(self.count(member_mask) == self.size)

    def any(self, member_mask: Array) -> Array:
        return np.asarray(self.count(member_mask) > 0)

    def to_members(self, household_values: Array) -> Array:
        """Spread a household value (or a 0-d parameter) to its members."""
        v = np.asarray(household_values)
        if v.ndim == 0:
            return v
        return np.repeat(v, self.size)

    def to_supporters(self, household_values: Array) -> Array:
        v = np.asarray(household_values)
        if v.ndim == 0:
            return v
        return v[self.batch.supporters["household"]]

    def supporter_count(self, supporter_mask: Array) -> Array:
        """Per-household number of supporters where ``supporter_mask`` holds."""
        owner = self.batch.supporters["household"]
        mask = np.broadcast_to(np.asarray(supporter_mask, dtype=bool), owner.shape)
        return np.bincount(owner[mask], minlength=self.n).astype(np.int64)

    def by_code(self, codes: Array, params: Mapping[int, str], to: str = "member") -> Array:
        """Per-row value of the parameter named for each row's code (0 where none):
        e.g. the disability grade limit for each member's disability type."""
        p = self.p
        if self.tracer is not None:  # a batch of one: read (and record) only the codes it has
            present = {int(c) for c in np.unique(codes)}
            params = {c: name for c, name in params.items() if c in present}
        values = {c: p(name) for c, name in params.items()}
        if all(v.ndim == 0 for v in values.values()):
            table = np.zeros(int(max(params)) + 1 if params else 1, dtype=np.int64)
            for c, v in values.items():
                table[c] = int(v)
            idx = np.clip(codes, 0, table.shape[0] - 1)
            return np.where(codes < table.shape[0], table[idx], 0)
        out = np.zeros(codes.shape[0], dtype=np.int64)
        spread = self.to_members if to == "member" else self.to_supporters
        for c, v in values.items():
            out = np.where(codes == c, spread(v), out)
        return out

    # ---- messages ----

    def render(self, template: str) -> str:
        """Fill ``{variable}`` fields of a message template for household 0."""
        out = []
        for literal, name, _, _ in string.Formatter().parse(template):
            out.append(literal)
            if name:
                var = VARIABLES.get(("household", name))
                value = int(np.asarray(self.get("household", name)).reshape(-1)[0])
                out.append(_show(value, var.unit if var else "count"))
        return "".join(out)


class _EntityView:
    def __init__(self, h: Households, entity: str, columns: Mapping[str, Array]) -> None:
        self._h = h
        self._entity = entity
        self._columns = columns

    def __getattr__(self, name: str) -> Array:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._h.get(self._entity, name)


def _show(value: int, unit: str) -> str:
    if unit in MONEY_VARIABLE_UNITS:
        return yuan(value)
    if unit == "ratio":
        return e4_to_str(value)
    if unit == "bool":
        return "是" if value else "否"
    return str(value)
