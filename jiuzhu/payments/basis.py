"""测算基础: a case's facts kept in the rules engine's column form.

A roster re-evaluates every active case with the parameters in force that month. Parsing
each case's JSON facts costs ~60 µs, so the columns are stored once per case version
(``CaseBasis``) and a roster decodes all of them with array operations: concatenated
int64 blobs, offsets from the member and supporter counts, one fancy-index gather per
table, then ``FactsBatch.from_columns`` (which range-checks every column again).
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from jiuzhu.rules import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, SUPPORTER_COLUMNS, FactsBatch
from jiuzhu.rules.facts.codes import (
    DISABILITY_TYPES,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    MAX_AGE,
    MAX_FEN,
    MAX_MEMBERS,
    RELATIONS,
    SCHOOL,
)
from jiuzhu.rules.facts.dicts import parse_household
from jiuzhu.rules.facts.rows import _HouseholdRows

HH = tuple(c for c in HOUSEHOLD_COLUMNS if c != "area_code")
MEM = tuple(MEMBER_COLUMNS)
SUP = tuple(c for c in SUPPORTER_COLUMNS if c != "household")
LAYOUT = hashlib.sha256("|".join(("v1", *HH, "/", *MEM, "/", *SUP)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Encoded:
    members: int
    supporters: int
    data: bytes


def encode(facts: dict[str, Any]) -> Encoded:
    """One case's JSON facts → int64 columns (raises ``RulesInputError`` on bad facts).

    The facts are parsed and checked once (``_HouseholdRows.add``, the check every
    ``FactsBatch`` of dataclasses runs) and the checked row values are packed as they are:
    building a one-household ``FactsBatch`` of numpy arrays per case cost more than the
    check itself. The values are those the batch would hold (checked to fit its dtypes)."""
    fast = _encode_plain(facts)
    if fast is not None:
        return fast
    data = {k: v for k, v in facts.items() if k != "area_code"}
    rows = _HouseholdRows()
    rows.add(parse_household(data), "", "370000")  # area is not stored
    m, s = rows.hh["size"][0], len(rows.s["household"])
    values = [rows.hh[c][0] for c in HH]
    member_cols = [rows.m[c] for c in MEM]
    for i in range(m):
        values.extend(int(col[i]) for col in member_cols)
    supporter_cols = [rows.s[c] for c in SUP]
    for i in range(s):
        values.extend(int(col[i]) for col in supporter_cols)
    packed = array("q", values)
    if sys.byteorder != "little":  # pragma: no cover - the stored form is little-endian
        packed.byteswap()
    return Encoded(m, s, packed.tobytes())


# ---- the plain case, checked and packed without building dataclasses ------------------------
# Most cases are a household of members with a relation, an age or a birth date and at most a
# wage: ``_encode_plain`` accepts exactly that shape, with the same checks as the parser and
# ``_HouseholdRows.add``, and packs the same values (test_basis_encode compares them). Anything
# else — any other key, type or value, including every value the parser refuses — returns
# None and goes through the full parser, so errors keep their messages and field paths.

_PLAIN_KEYS = frozenset({"urban", "members", "area_code"})
_PLAIN_MEMBER_KEYS = frozenset({"relation", "age", "birth_date", "incomes"})
_RELATION_CODES = {code: i for i, code in enumerate(RELATIONS)}
# member columns after age, birth and relation, in MEM order, for a member with no disability,
# labour capacity unassessed, not at school, no self-care items and no serious illness
_MEMBER_DEFAULTS = {
    "disability_grade": 0,
    "disability_type": list(DISABILITY_TYPES).index(""),
    "labour_capacity": list(LABOUR_CAPACITY).index("unassessed"),
    "self_care_unable": 0,
    "school": list(SCHOOL).index("none"),
    "serious_illness": 0,
}
_HH_TAIL = len(HH) - 2  # household columns after urban and size: all zero in the plain case


def _plain_layout_ok() -> bool:
    return (
        HH[:2] == ("urban", "size")
        and ("age", "birth", "relation", *list(_MEMBER_DEFAULTS)[:5], "wage", "serious_illness") == MEM
        and "wage" in INCOME_TYPES
    )


_PLAIN = _plain_layout_ok()  # a change of the column layout switches the plain path off


def _encode_plain(facts: object) -> Encoded | None:
    if not _PLAIN or type(facts) is not dict or not _PLAIN_KEYS.issuperset(facts):
        return None
    urban, members = facts.get("urban"), facts.get("members")
    if type(urban) is not bool or type(members) is not list or not 0 < len(members) <= MAX_MEMBERS:
        return None
    values = [int(urban), len(members), *([0] * _HH_TAIL)]
    d = _MEMBER_DEFAULTS
    for m in members:
        if type(m) is not dict or not _PLAIN_MEMBER_KEYS.issuperset(m):
            return None
        code = m.get("relation", "other")
        relation = _RELATION_CODES.get(code) if type(code) is str else None
        if relation is None:
            return None
        age, born = m.get("age"), m.get("birth_date")
        if born is None:
            if type(age) is not int or not 0 <= age <= MAX_AGE:
                return None
            birth = 0
        else:
            if age is not None or type(born) is not str:
                return None
            try:
                day = date.fromisoformat(born)
            except ValueError:
                return None
            if day.year < 1850:
                return None
            age, birth = -1, day.year * 10000 + day.month * 100 + day.day
        wage = 0
        if "incomes" in m:
            incomes = m["incomes"]
            if type(incomes) is not dict or not incomes.keys() <= {"wage"}:
                return None
            if incomes:
                wage = incomes["wage"]
                if type(wage) is not int or not 0 <= wage <= MAX_FEN:
                    return None
        values += (
            age,
            birth,
            relation,
            d["disability_grade"],
            d["disability_type"],
            d["labour_capacity"],
            d["self_care_unable"],
            d["school"],
            wage,
            d["serious_illness"],
        )
    packed = array("q", values)
    if sys.byteorder != "little":  # pragma: no cover - the stored form is little-endian
        packed.byteswap()
    return Encoded(len(members), 0, packed.tobytes())


def decode(
    area_codes: Sequence[str], members: Sequence[int], supporters: Sequence[int], blobs: Iterable[bytes | memoryview]
) -> FactsBatch:
    """Many cases' columns → one ``FactsBatch`` (no Python work per case but the join)."""
    n = len(area_codes)
    m = np.asarray(members, dtype=np.int64)
    s = np.asarray(supporters, dtype=np.int64)
    flat = np.frombuffer(b"".join(bytes(b) for b in blobs), dtype="<i8")
    h, k, j = len(HH), len(MEM), len(SUP)
    lengths = h + m * k + s * j
    offsets = np.zeros(n, dtype=np.int64)
    if n > 1:
        np.cumsum(lengths[:-1], out=offsets[1:])
    if n and int(lengths.sum()) != flat.shape[0]:
        raise ValueError("case basis columns are inconsistent with their counts")
    households: dict[str, Any] = {"area_code": np.asarray(area_codes)}
    hh = flat[offsets[:, None] + np.arange(h)[None, :]] if n else np.zeros((0, h), dtype=np.int64)
    for i, name in enumerate(HH):
        households[name] = hh[:, i]
    mem_start = np.repeat(offsets + h, m) + _ranks(m) * k
    mem = flat[mem_start[:, None] + np.arange(k)[None, :]] if mem_start.size else np.zeros((0, k), np.int64)
    member_cols = {name: mem[:, i] for i, name in enumerate(MEM)}
    sup_cols: dict[str, Any] = {}
    if int(s.sum()):
        sup_start = np.repeat(offsets + h + m * k, s) + _ranks(s) * j
        sup = flat[sup_start[:, None] + np.arange(j)[None, :]]
        sup_cols = {name: sup[:, i] for i, name in enumerate(SUP)}
        sup_cols["household"] = np.repeat(np.arange(n, dtype=np.int64), s)
    return FactsBatch.from_columns(households, member_cols, sup_cols or None)


def _ranks(counts: np.ndarray) -> np.ndarray:
    """[2, 3] → [0, 1, 0, 1, 2]: the position of each item within its group."""
    total = int(counts.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    ranks: np.ndarray = np.arange(total, dtype=np.int64) - starts
    return ranks
