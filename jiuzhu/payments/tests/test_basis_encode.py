"""测算基础 encoding (issue 20 item 4): the packed columns of one case are exactly those of a
one-household ``FactsBatch`` built from the same JSON facts, and bad facts fail the same way."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings

from jiuzhu.payments import basis
from jiuzhu.rules import FactsBatch, RulesInputError, household_from_dict, household_to_dict
from jiuzhu.rules.tests.strategies import households


def reference(facts: dict[str, Any]) -> tuple[int, int, bytes]:
    """The columns as a one-household batch holds them (the form ``decode`` must give back)."""
    data = {k: v for k, v in facts.items() if k != "area_code"}
    batch = FactsBatch.one(household_from_dict(data), "370000")
    m, s = int(batch.hh["size"][0]), int(batch.supporters["household"].shape[0])
    parts = [np.array([int(batch.hh[c][0]) for c in basis.HH], dtype="<i8")]
    if m:
        parts.append(np.stack([batch.members[c].astype("<i8") for c in basis.MEM], axis=1).reshape(-1))
    if s:
        parts.append(np.stack([batch.supporters[c].astype("<i8") for c in basis.SUP], axis=1).reshape(-1))
    return m, s, np.concatenate(parts).astype("<i8").tobytes()


@settings(max_examples=200, deadline=None)
@given(households())
def test_encode_matches_a_one_household_batch(household: Any) -> None:
    facts = household_to_dict(household)
    enc = basis.encode(facts)
    assert (enc.members, enc.supporters, enc.data) == reference(facts)
    back = basis.decode(["370405101000"], [enc.members], [enc.supporters], [enc.data])
    one = FactsBatch.one(household_from_dict({k: v for k, v in facts.items() if k != "area_code"}), "370405101000")
    for name in basis.HH:
        assert back.hh[name].tolist() == one.hh[name].tolist(), name
    for name in basis.MEM:
        assert back.members[name].tolist() == one.members[name].tolist(), name


@pytest.mark.parametrize(
    "facts",
    [
        {"urban": True, "members": []},
        {"urban": True, "members": [{"age": 200}]},
        {"urban": "yes", "members": [{"age": 30}]},
        {"urban": True, "members": [{"age": 30, "incomes": {"wage": -5}}]},
        {"urban": True, "members": [{"age": 30, "disability_grade": 2}]},
        {"urban": True, "alone": True, "members": [{"age": 30}, {"age": 3}]},
        {"urban": True, "members": [{"age": 30}], "supporters": [{"age": 300, "relation": "child"}]},
        {"members": [{"age": 30}]},
    ],
)
def test_bad_facts_fail_as_the_parser_says(facts: dict[str, Any]) -> None:
    with pytest.raises(RulesInputError) as expected:
        reference(facts)
    with pytest.raises(RulesInputError) as got:
        basis.encode(facts)
    assert (got.value.code, got.value.field, got.value.message) == (
        expected.value.code,
        expected.value.field,
        expected.value.message,
    )
