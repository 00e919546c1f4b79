"""``FactsBatch``: many households as numpy columns, validated vectorized."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from ..areas import normalize_area, to_int12
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
    """

    def __init__(
        self,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None = None,
        single: bool = False,
    ) -> None:
        self.hh = hh
        self.members = members
        self.supporters = supporters
        self.households = households
        self.single = single  # a batch of one: field paths without "households[0]."
        self.n = int(hh["size"].shape[0])

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
        positions in the code lists (``code_of``). Missing optional columns are zeros.
        Every column is range-checked; the error path names the first bad row."""
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
        size = _column(households["size"], np.int64, "households.size")
        n = size.shape[0]
        hh: dict[str, Array] = {}
        for name, (dtype, default, _, _, _) in _HH_COLUMNS.items():
            if name in households:
                hh[name] = _column(households[name], dtype, f"households.{name}", n)
            else:
                hh[name] = np.full(n, default, dtype=dtype)
        hh["area"] = _area_column(households["area_code"], n)
        m_total = int(size.sum()) if n else 0
        mem: dict[str, Array] = {}
        if "age" not in members and "birth" not in members:
            raise RulesInputError("missing_field", "members.age", "缺少成员年龄或出生日期列")
        for name, (dtype, default, _, _, _) in _MEMBER_COLUMNS.items():
            if name in members:
                mem[name] = _column(members[name], dtype, f"members.{name}", m_total)
            else:
                mem[name] = np.full(m_total, default, dtype=dtype)
        sup: dict[str, Array] = {}
        supporters = supporters or {}
        s_total = len(np.asarray(supporters["household"])) if "household" in supporters else 0
        if supporters and "household" not in supporters:
            raise RulesInputError("missing_field", "supporters.household", "缺少义务人所属家庭列")
        for name, (dtype, default, _, _, _) in _SUPPORTER_COLUMNS.items():
            if name in supporters:
                sup[name] = _column(supporters[name], dtype, f"supporters.{name}", s_total)
            else:
                sup[name] = np.full(s_total, default, dtype=dtype)
        if s_total and (sup["household"].min() < 0 or sup["household"].max() >= n):
            raise RulesInputError("out_of_range", "supporters.household", "义务人所属家庭序号超出范围")
        if s_total and "age" not in supporters:
            raise RulesInputError("missing_field", "supporters.age", "缺少义务人年龄列")
        batch = cls._finish(hh, mem, sup, None, single=False)
        batch._check_ranges()
        return batch

    @classmethod
    def _finish(
        cls,
        hh: dict[str, Array],
        members: dict[str, Array],
        supporters: dict[str, Array],
        households: tuple[HouseholdFacts, ...] | None,
        single: bool,
    ) -> FactsBatch:
        size = hh["size"]
        start = np.zeros(size.shape[0], dtype=np.int64)
        if size.shape[0] > 1:
            np.cumsum(size[:-1], out=start[1:])
        hh["start"] = start
        # household sums of member wages, so every income type is a household column
        if members["wage"].shape[0] and size.shape[0]:
            hh["income_wage"] = np.add.reduceat(members["wage"].astype(np.int64), start)
        else:
            hh["income_wage"] = np.zeros(size.shape[0], dtype=np.int64)
        return cls(hh, members, supporters, households, single)

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
        return FactsBatch(hh, members, supporters, households, self.single)

    # ---- validation of columns ----

    def _check_ranges(self) -> None:
        size = self.hh["size"]
        if size.shape[0] and (size.min() < 1 or size.max() > MAX_MEMBERS):
            i = int(np.flatnonzero((size < 1) | (size > MAX_MEMBERS))[0])
            raise RulesInputError("out_of_range", self.household_path(i, "size"), f"家庭人口数应为1–{MAX_MEMBERS}人")
        for name, (_, _, lo, hi, label) in _HH_COLUMNS.items():
            self._range(self.hh[name], lo, hi, label, lambda j, f=name: self.household_path(j, f))
        for name, (_, _, lo, hi, label) in _MEMBER_COLUMNS.items():
            self._range(self.members[name], lo, hi, label, lambda j, f=name: self.member_path(j, f))
        for name, (_, _, lo, hi, label) in _SUPPORTER_COLUMNS.items():
            self._range(self.supporters[name], lo, hi, label, lambda j, f=name: f"supporters[{j}].{f}")
        m = self.members
        bad = (m["age"] < 0) & (m["birth"] == 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError("missing_field", self.member_path(j, "age"), "缺少年龄或出生日期")
        birth = m["birth"]
        given = birth > 0
        if given.any():
            month, day = (birth // 100) % 100, birth % 100
            bad = given & ((month < 1) | (month > 12) | (day < 1) | (day > 31) | (birth < 18500101))
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise RulesInputError("invalid_value", self.member_path(j, "birth"), "出生日期无效")
        bad = (m["disability_grade"] > 0) != (m["disability_type"] > 0)
        if bad.any():
            j = int(np.flatnonzero(bad)[0])
            raise RulesInputError(
                "missing_field",
                self.member_path(j, "disability_type"),
                "残疾等级与残疾类别须同时填写",
            )

    def _range(self, col: Array, lo: int, hi: int, label: str, path: Any) -> None:
        if not col.shape[0]:
            return
        if col.min() >= lo and col.max() <= hi:
            return
        j = int(np.flatnonzero((col < lo) | (col > hi))[0])
        value = int(col[j])
        code = "negative_value" if value < 0 <= lo else "out_of_range"
        raise RulesInputError(code, path(j), f"{label}取值{value}超出允许范围（{lo}–{hi}）")

    # ---- field paths for errors found later (e.g. a birth date after the date) ----

    def household_path(self, i: int, name: str) -> str:
        return name if self.single else f"households[{i}].{name}"

    def member_path(self, j: int, name: str) -> str:
        i = int(np.searchsorted(self.hh["start"], j, side="right")) - 1
        k = j - int(self.hh["start"][i])
        return self.household_path(i, f"members[{k}].{name}")


def _column(values: npt.ArrayLike, dtype: Any, path: str, length: int | None = None) -> Array:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise RulesInputError("invalid_type", path, "列应为一维数组")
    if length is not None and arr.shape[0] != length:
        raise RulesInputError("invalid_value", path, f"列长度{arr.shape[0]}与应有行数{length}不一致")
    if arr.shape[0] and not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.bool_)):
        raise RulesInputError("invalid_type", path, "列应为整数或布尔数组（金额以分为单位）")
    if arr.shape[0] and np.issubdtype(arr.dtype, np.integer) and dtype is np.bool_:
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            raise RulesInputError("invalid_value", f"{path}[{int(np.flatnonzero(bad)[0])}]", "应为 0 或 1")
    if arr.shape[0] and np.issubdtype(arr.dtype, np.integer) and dtype is not np.bool_:
        info = np.iinfo(dtype)
        if arr.min() < info.min or arr.max() > info.max:
            j = int(np.flatnonzero((arr < info.min) | (arr > info.max))[0])
            raise RulesInputError("out_of_range", f"{path}[{j}]", "取值超出允许范围")
    return arr.astype(dtype, copy=False)


def _area_column(values: npt.ArrayLike, n: int) -> Array:
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise RulesInputError("invalid_value", "households.area_code", "区划代码列长度与家庭数不一致")
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    uniq, inv = np.unique(arr, return_inverse=True)
    out = np.empty(uniq.shape[0], dtype=np.int64)
    for k, code in enumerate(uniq.tolist()):
        try:
            out[k] = to_int12(normalize_area(code))
        except RulesInputError as e:
            i = int(np.flatnonzero(inv == k)[0])
            raise RulesInputError(e.code, f"households[{i}].area_code", e.message) from None
    return out[inv.reshape(-1)]
