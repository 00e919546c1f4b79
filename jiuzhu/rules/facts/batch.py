"""``FactsBatch``: many households as numpy columns, validated vectorized."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..areas import int12_of_ints, normalize_area, to_int12
from ..errors import RulesInputError
from .codes import MAX_MEMBERS, Array
from .household import HouseholdFacts
from .rows import _HH_COLUMNS, _MEMBER_COLUMNS, _SUPPORTER_COLUMNS, HOUSEHOLD_COLUMNS, _HouseholdRows

# ---- the batch -----------------------------------------------------------------------


class FactsBatch:
    """Households as columns. Build with ``from_households`` (validated dataclasses) or
    ``from_columns`` (numpy arrays, validated vectorized).

    Attributes: ``hh`` (household columns, length H, incl. ``area`` as 12-digit int64
    and ``start``, the index of each household's first member), ``members`` (length M),
    ``supporters`` (length S; ``household`` is the owning household's index).
    ``defaults`` names the columns that were not given (``households.income_award``):
    each is its default everywhere, a read-only view of one value, so formulas may skip
    them.
    """

    def __init__(
        self,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None = None,
        single: bool = False,
        defaults: frozenset[str] = frozenset(),
        areas: tuple[Array, Array] | None = None,
    ) -> None:
        self.hh = hh
        self.members = members
        self.supporters = supporters
        self.households = households
        self.single = single  # a batch of one: field paths without "households[0]."
        self.defaults = defaults
        self._areas = areas
        self.n = int(hh["size"].shape[0])

    def is_default(self, entity: str, name: str) -> bool:
        """True when column ``name`` of ``entity`` (``households``, ``members``,
        ``supporters``) was not given: it holds its default value in every row."""
        return f"{entity}.{name}" in self.defaults

    @property
    def areas(self) -> tuple[Array, Array]:
        """The distinct 12-digit areas (sorted) and each household's index among them:
        sorted once per batch (when the area column is validated), not per evaluation."""
        if self._areas is None:
            uniq, inv = np.unique(self.hh["area"], return_inverse=True)
            self._areas = (uniq, inv.reshape(-1))
        return self._areas

    def __len__(self) -> int:
        return self.n

    # ---- constructors ----

    @classmethod
    def from_households(
        cls, households: Sequence[HouseholdFacts], area_codes: Sequence[str | None] | None = None
    ) -> FactsBatch:
        """Validate and convert dataclass households (each with its ``area_code``,
        or with ``area_codes[i]`` given here)."""
        rows = _HouseholdRows()
        for i, h in enumerate(households):
            override = area_codes[i] if area_codes is not None else None
            rows.add(h, f"households[{i}]", override)
        return cls._from_rows(rows, tuple(households), single=False)

    @classmethod
    def one(cls, household: HouseholdFacts, area_code: str | None = None) -> FactsBatch:
        """A batch of one household; error paths read ``members[0].age``."""
        rows = _HouseholdRows()
        rows.add(household, "", area_code)  # area_code None: household.area_code
        return cls._from_rows(rows, (household,), single=True)

    @classmethod
    def _from_rows(cls, rows: _HouseholdRows, households: tuple[HouseholdFacts, ...], single: bool) -> FactsBatch:
        hh = {name: np.array(rows.hh[name], dtype=spec[0]) for name, spec in _HH_COLUMNS.items()}
        hh["area"] = np.array([to_int12(a) for a in rows.area], dtype=np.int64)
        members = {name: np.array(rows.m[name], dtype=spec[0]) for name, spec in _MEMBER_COLUMNS.items()}
        supporters = {name: np.array(rows.s[name], dtype=spec[0]) for name, spec in _SUPPORTER_COLUMNS.items()}
        return cls._finish(hh, members, supporters, households, single)

    @classmethod
    def from_columns(
        cls,
        households: Mapping[str, npt.ArrayLike],
        members: Mapping[str, npt.ArrayLike],
        supporters: Mapping[str, npt.ArrayLike] | None = None,
    ) -> FactsBatch:
        """Build a batch from columns (see ``HOUSEHOLD_COLUMNS``, ``MEMBER_COLUMNS``,
        ``SUPPORTER_COLUMNS``). Required: ``area_code`` (12-digit ints or code strings),
        ``urban``, ``size``, and member ``age`` or ``birth`` (YYYYMMDD int; ``age`` -1
        where the birth date is given). Members are ordered by household. Codes are the
        positions in the code lists (``code_of``). Missing optional columns are their
        default (zero; ``age`` -1) as read-only views of one value, named in ``defaults``.
        Every given column is range-checked; the error path names the first bad row.
        Given columns of the right dtype are used as they are (no copy)."""
        for name in households:
            if name not in HOUSEHOLD_COLUMNS:
                raise RulesInputError("unknown_field", f"households.{name}", f"未知列“{name}”")
        for name in members:
            if name not in _MEMBER_COLUMNS:
                raise RulesInputError("unknown_field", f"members.{name}", f"未知列“{name}”")
        for name in supporters or {}:
            if name not in _SUPPORTER_COLUMNS:
                raise RulesInputError("unknown_field", f"supporters.{name}", f"未知列“{name}”")
        for name in ("area_code", "urban", "size"):
            if name not in households:
                raise RulesInputError("missing_field", f"households.{name}", f"缺少列“{name}”")
        size, _, _ = _column(households["size"], np.int64, "households.size")
        n = size.shape[0]
        if n and (size.min() < 1 or size.max() > MAX_MEMBERS):
            i = int(np.flatnonzero((size < 1) | (size > MAX_MEMBERS))[0])
            raise RulesInputError("out_of_range", f"households[{i}].size", f"家庭人口数应为1–{MAX_MEMBERS}人")
        defaults: set[str] = set()
        # given columns are checked against their ranges as they are read; missing ones
        # are their default, a read-only view of one value (no memory, nothing to check)
        hh = _columns("households", households, _HH_COLUMNS, n, defaults)
        uniq, inv, hh["area"] = _area_column(households["area_code"], n)
        m_total = int(hh["size"].sum()) if n else 0
        if "age" not in members and "birth" not in members:
            raise RulesInputError("missing_field", "members.age", "缺少成员年龄或出生日期列")
        mem = _columns("members", members, _MEMBER_COLUMNS, m_total, defaults, hh["size"])
        supporters = supporters or {}
        s_total = len(np.asarray(supporters["household"])) if "household" in supporters else 0
        if supporters and "household" not in supporters:
            raise RulesInputError("missing_field", "supporters.household", "缺少义务人所属家庭列")
        sup = _columns("supporters", supporters, _SUPPORTER_COLUMNS, s_total, defaults)
        if s_total and (sup["household"].min() < 0 or sup["household"].max() >= n):
            raise RulesInputError("out_of_range", "supporters.household", "义务人所属家庭序号超出范围")
        if s_total and "age" not in supporters:
            raise RulesInputError("missing_field", "supporters.age", "缺少义务人年龄列")
        batch = cls._finish(hh, mem, sup, None, single=False, defaults=frozenset(defaults), areas=(uniq, inv))
        batch._check_members()
        return batch

    @classmethod
    def _finish(
        cls,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None,
        single: bool,
        defaults: frozenset[str] = frozenset(),
        areas: tuple[Array, Array] | None = None,
    ) -> FactsBatch:
        size = hh["size"]
        start = np.zeros(size.shape[0], dtype=np.int64)
        if size.shape[0] > 1:
            np.cumsum(size[:-1], out=start[1:])
        hh["start"] = start
        # household sums of member wages, so every income type is a household column
        if "members.wage" in defaults or not (members["wage"].shape[0] and size.shape[0]):
            hh["income_wage"] = np.broadcast_to(np.zeros(1, dtype=np.int64), size.shape)
            defaults = defaults | {"households.income_wage"}
        else:
            hh["income_wage"] = np.add.reduceat(members["wage"].astype(np.int64, copy=False), start)
        return cls(hh, members, supporters, households, single, defaults, areas)

    def slice(self, a: int, b: int) -> FactsBatch:
        """Households ``a`` to ``b - 1`` as a batch of their own (views, no copies of
        household and member columns)."""
        a, b = max(0, a), min(self.n, b)
        start, size = self.hh["start"], self.hh["size"]
        m0 = int(start[a]) if a < b else 0
        m1 = int(start[b - 1] + size[b - 1]) if a < b else 0
        hh = {k: v[a:b] for k, v in self.hh.items()}
        hh["start"] = start[a:b] - m0
        members = {k: v[m0:m1] for k, v in self.members.items()}
        owner = self.supporters["household"]
        keep = (owner >= a) & (owner < b)
        supporters = {k: v[keep] for k, v in self.supporters.items()}
        supporters["household"] = supporters["household"] - a
        households = self.households[a:b] if self.households is not None else None
        return FactsBatch(hh, members, supporters, households, self.single, self.defaults)

    # ---- validation of columns ----

    def _check_members(self) -> None:
        """Checks across member columns (each column's range was checked as it was read)."""
        m = self.members
        no_birth = self.is_default("members", "birth")  # then every member needs an age
        bad = m["age"] < 0 if no_birth else (m["age"] < 0) & (m["birth"] == 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError("missing_field", self.member_path(j, "age"), "缺少年龄或出生日期")
        birth = m["birth"]
        given = birth > 0
        if not self.is_default("members", "birth") and given.any():
            month, day = (birth // 100) % 100, birth % 100
            bad = given & ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (birth < 18500101))
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise RulesInputError("invalid_value", self.member_path(j, "birth"), "出生日期无效")
        if self.is_default("members", "disability_grade") and self.is_default("members", "disability_type"):
            return
        bad = (m["disability_grade"] > 0) != (m["disability_type"] > 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError(
                "missing_field",
                self.member_path(j, "disability_type"),
                "残疾等级与残疾类别须同时填写",
            )

    # ---- field paths for errors found later (e.g. a birth date after the date) ----

    def household_path(self, i: int, name: str) -> str:
        return name if self.single else f"households[{i}].{name}"

    def member_path(self, j: int, name: str) -> str:
        i = int(np.searchsorted(self.hh["start"], j, side="right")) - 1
        k = j - int(self.hh["start"][i])
        return self.household_path(i, f"members[{k}].{name}")


def _columns(
    entity: str,
    given: Mapping[str, npt.ArrayLike],
    specs: Mapping[str, tuple[Any, int, int, int, str]],
    length: int,
    defaults: set[str],
    sizes: Array | None = None,
) -> dict[str, Array]:
    """The columns of ``entity`` (``households``, ``members``, ``supporters``): each given
    one converted and range-checked (the error names the first bad row); each missing one
    its default as a read-only view of one value, named in ``defaults``."""
    out: dict[str, Array] = {}
    for name, (dtype, default, lo, hi, label) in specs.items():
        if name not in given:
            out[name] = np.broadcast_to(np.array(default, dtype=dtype), (length,))
            defaults.add(f"{entity}.{name}")
            continue
        path = f"{entity}.{name}"
        col, low, high = _column(given[name], dtype, path, length)
        if low is not None and high is not None and (low < lo or high > hi):
            j = int(np.flatnonzero((col < lo) | (col > hi))[0])
            value = int(col[j])
            code = "negative_value" if value < 0 <= lo else "out_of_range"
            raise RulesInputError(
                code, _row_path(entity, j, name, sizes), f"{label}取值{value}超出允许范围（{lo}–{hi}）"
            )
        out[name] = col
    return out


def _row_path(entity: str, j: int, name: str, sizes: Array | None) -> str:
    if entity == "members" and sizes is not None:
        ends = np.cumsum(sizes)
        i = int(np.searchsorted(ends, j, side="right"))
        k = j - (int(ends[i - 1]) if i else 0)
        return f"households[{i}].members[{k}].{name}"
    return f"{entity}[{j}].{name}"


def _column(values: npt.ArrayLike, dtype: Any, path: str, length: int | None = None) -> tuple[Array, Any, Any]:
    """``values`` as a 1-D array of ``dtype`` (no copy when it already is one), with its
    smallest and largest value (``None`` when empty): one pass finds both for the dtype
    check here and the range check of the caller."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise RulesInputError("invalid_type", path, "列应为一维数组")
    if length is not None and arr.shape[0] != length:
        raise RulesInputError("invalid_value", path, f"列长度{arr.shape[0]}与应有行数{length}不一致")
    if not arr.shape[0]:
        return arr.astype(dtype, copy=False), None, None
    if not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.bool_)):
        raise RulesInputError("invalid_type", path, "列应为整数或布尔数组（金额以分为单位）")
    low, high = arr.min(), arr.max()
    if np.issubdtype(arr.dtype, np.integer) and dtype is np.bool_ and (low < 0 or high > 1):
        bad = (arr != 0) & (arr != 1)
        raise RulesInputError("invalid_value", f"{path}[{int(np.flatnonzero(bad)[0])}]", "应为 0 或 1")
    if np.issubdtype(arr.dtype, np.integer) and dtype is not np.bool_ and arr.dtype != dtype:
        info = np.iinfo(dtype)
        if low < info.min or high > info.max:
            j = int(np.flatnonzero((arr < info.min) | (arr > info.max))[0])
            raise RulesInputError("out_of_range", f"{path}[{j}]", "取值超出允许范围")
    return arr.astype(dtype, copy=False), low, high


def _area_column(values: npt.ArrayLike, n: int) -> tuple[Array, Array, Array]:
    """The area column as 12-digit ints, validated once per distinct code; with the
    distinct 12-digit areas (sorted) and each household's index among them, which the
    evaluation reuses instead of sorting the column again."""
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RulesInputError("invalid_value", "households.area_code", "区划代码列长度与家庭数不一致")
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    uniq, inv = np.unique(arr, return_inverse=True)
    inv = inv.reshape(-1)
    out = int12_of_ints(uniq) if np.issubdtype(uniq.dtype, np.integer) else None
    if out is None:  # text codes, or some code is bad: one by one, naming the first bad row
        out = np.empty(uniq.shape[0], dtype=np.int64)
        for k, code in enumerate(uniq.tolist()):
            try:
                out[k] = to_int12(normalize_area(code))
            except RulesInputError as e:
                i = int(np.flatnonzero(inv == k)[0])
                raise RulesInputError(e.code, f"households[{i}].area_code", e.message) from None
    if out.shape[0] > 1 and not bool(np.all(out[1:] > out[:-1])):
        # distinct inputs may name one area ("370405" and 370405000000): merge them
        areas, remap = np.unique(out, return_inverse=True)
        return areas, remap.reshape(-1)[inv], out[inv]
    return out, inv, out[inv]
