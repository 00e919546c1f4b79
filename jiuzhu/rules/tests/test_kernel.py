"""The shortcuts that keep the batch engine near a hand-written numpy kernel (issue 20) give
the same results and the same traces as the full computation."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest

from jiuzhu.rules import FactsBatch, ParameterStore, RulesInputError, evaluate_all, evaluate_one, household_from_dict
from jiuzhu.rules.areas import int12_of_ints, normalize_area, to_int12
from jiuzhu.rules.facts import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS

STORE = ParameterStore.from_directory()
ON = date(2026, 3, 1)
PROGRAMS = ("dibao", "tekun", "dibao_edge")


def sample(n: int, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Households in the four demo counties (其中 台儿庄区 deducts 就业成本, 滕州市 刚性支出)."""
    rng = np.random.default_rng(seed)
    size = rng.integers(1, 5, n)
    m = int(size.sum())
    counties = np.array([370405, 370404, 370481, 370321], dtype=np.int64)
    hh = {
        "area_code": rng.choice(counties, n) * 10**6 + rng.integers(100, 103, n) * 10**3 + 201,
        "urban": rng.random(n) < 0.4,
        "size": size,
        "income_pension": np.where(rng.random(n) < 0.3, rng.integers(0, 300_000, n), 0),
        "income_preferential": np.where(rng.random(n) < 0.1, rng.integers(0, 50_000, n), 0),
        "asset_deposits": rng.integers(0, 3_000_000, n),
        "medical_oop_fen": np.where(rng.random(n) < 0.3, rng.integers(0, 2_000_000, n), 0),
    }
    age = rng.integers(0, 95, m)
    grade = np.where(rng.random(m) < 0.1, rng.integers(1, 5, m), 0)
    mem = {
        "age": age,
        "wage": np.where((age >= 18) & (age < 60), rng.integers(0, 250_000, m), 0),
        "disability_grade": grade,
        "disability_type": np.where(grade > 0, 1, 0),
    }
    return hh, mem


def test_a_batch_without_optional_columns_matches_one_with_them_all_given() -> None:
    hh, mem = sample(3000, 1)
    lean = FactsBatch.from_columns(hh, mem)
    full_hh = {name: np.zeros(3000, dtype=np.int64) for name in HOUSEHOLD_COLUMNS if name != "area_code"}
    full_mem = {name: np.zeros(len(mem["age"]), dtype=np.int64) for name in MEMBER_COLUMNS}
    full = FactsBatch.from_columns(full_hh | hh, full_mem | mem)
    assert "households.income_award" in lean.defaults
    assert not any(d.startswith(("households.", "members.")) for d in full.defaults)
    assert not lean.hh["income_award"].flags.writeable  # one shared value, not a copy
    a, b = evaluate_all(PROGRAMS, lean, ON, STORE), evaluate_all(PROGRAMS, full, ON, STORE)
    for code in PROGRAMS:
        assert np.array_equal(a[code].reasons_bitmask, b[code].reasons_bitmask)
        assert np.array_equal(a[code].monthly_amount_fen, b[code].monthly_amount_fen)
    assert a["dibao"].eligible.any() and not a["dibao"].eligible.all()
    chunked = evaluate_all(PROGRAMS, lean, ON, STORE, chunk_size=700)
    assert np.array_equal(chunked["dibao"].monthly_amount_fen, a["dibao"].monthly_amount_fen)


@pytest.mark.parametrize(
    "code",
    [37, 3704, 370405, 370405100, 370405100201, 370405000000, 110000000000, 12, 99, 1, 0, -37, 3704051,
     370005100200, 990000000000, 37040510020, 3704051002011],
)  # fmt: skip
def test_integer_area_codes_are_validated_like_text_codes(code: int) -> None:
    try:
        expected: int | None = to_int12(normalize_area(code))
    except RulesInputError:
        expected = None
    got = int12_of_ints(np.array([code], dtype=np.int64))
    assert (None if got is None else int(got[0])) == expected


def test_integer_codes_of_one_area_at_two_lengths_are_one_area() -> None:
    hh = {"area_code": [370405, 370404100200, 370405000000], "urban": [1, 0, 1], "size": [1, 1, 1]}
    batch = FactsBatch.from_columns(hh, {"age": [30, 40, 50]})
    areas, index = batch.areas
    assert areas.tolist() == [370404100200, 370405000000]
    assert index.tolist() == [1, 0, 1]


def test_a_bad_integer_area_code_names_its_row() -> None:
    hh = {"area_code": [370405, 99, 370405], "urban": [1, 0, 1], "size": [1, 1, 1]}
    with pytest.raises(RulesInputError) as exc:
        FactsBatch.from_columns(hh, {"age": [30, 40, 50]})
    assert (exc.value.code, exc.value.field) == ("unknown_area", "households[1].area_code")


def test_a_trace_lists_the_rules_of_the_incomes_the_household_has_only() -> None:
    def traced(incomes: dict[str, int]) -> set[str]:
        h = household_from_dict({"urban": True, "area_code": "370405", "members": [{"age": 40, "incomes": incomes}]})
        return {p["name"] for p in evaluate_one("dibao", h, None, ON, STORE).trace["parameters"]}

    assert "income.counted.pension" not in traced({"wage": 50_000})
    assert "income.counted.pension" in traced({"wage": 50_000, "pension": 30_000})
