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
from typing import Any

import numpy as np

from jiuzhu.rules import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS, SUPPORTER_COLUMNS, FactsBatch
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
