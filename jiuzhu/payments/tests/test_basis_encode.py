"""测算基础 encoding (issue 20 item 4): the packed columns of one case are exactly those of a
one-household ``FactsBatch`` built from the same JSON facts, and bad facts fail the same way."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.integers(140, 160),
    st.integers(10**11 - 2, 10**11 + 2),
    st.sampled_from(["", "self", "spouse", "child", "other", "boss", "2001-02-03", "1849-12-31", "2001-2-3"]),
    st.lists(st.integers(0, 2), max_size=2),
    st.dictionaries(st.sampled_from(["wage", "pension"]), st.integers(-1, 5), max_size=2),
)
_plain_member = st.fixed_dictionaries(
    {},
    optional={
        "relation": st.one_of(st.sampled_from(["self", "spouse", "child", "parent", "other"]), _value),
        "age": st.one_of(st.integers(0, 150), _value),
        "birth_date": st.one_of(st.dates().map(date.isoformat), _value),
        "incomes": st.one_of(st.fixed_dictionaries({"wage": st.integers(0, 10**11)}), _value),
        "school": _value,
    },
)
_good_member = st.one_of(
    st.fixed_dictionaries({"relation": st.sampled_from(["self", "spouse", "child"]), "age": st.integers(0, 150)}),
    st.fixed_dictionaries(
        {"birth_date": st.dates(min_value=date(1850, 1, 1)).map(date.isoformat)},
        optional={"relation": st.sampled_from(["self", "other"]), "incomes": st.just({})},
    ),
    st.fixed_dictionaries(
        {"age": st.integers(0, 150), "incomes": st.fixed_dictionaries({"wage": st.integers(0, 10**11)})},
    ),
)
_members = st.lists(st.one_of(_good_member, _good_member, _good_member, _plain_member), min_size=0, max_size=32)
_plain_facts = st.one_of(
    st.fixed_dictionaries({"urban": st.booleans(), "members": st.lists(_good_member, min_size=1, max_size=31)}),
    st.fixed_dictionaries(
        {"urban": st.booleans(), "members": _members}, optional={"area_code": _value, "alone": _value}
    ),
    st.fixed_dictionaries(
        {"members": st.one_of(_members, _value)},
        optional={"urban": st.one_of(st.booleans(), _value), "area_code": _value, "alone": _value},
    ),
)


@settings(max_examples=1500, deadline=None)
@given(_plain_facts)
def test_plain_cases_pack_as_the_parser_and_refuse_what_it_refuses(facts: dict[str, Any]) -> None:
    """The shortcut for plain households gives the parser's columns, or steps aside."""
    fast = basis._encode_plain(facts)
    try:
        expected = reference(facts)
    except RulesInputError:
        assert fast is None
        return
    if fast is not None:
        assert (fast.members, fast.supporters, fast.data) == expected
    enc = basis.encode(facts)
    assert (enc.members, enc.supporters, enc.data) == expected


def test_the_plain_shortcut_takes_the_usual_case() -> None:
    facts = {"urban": False, "members": [{"relation": "self", "birth_date": "1970-05-06", "incomes": {"wage": 12300}}]}
    fast = basis._encode_plain(facts)
    assert fast is not None and (fast.members, fast.supporters, fast.data) == reference(facts)


def test_facts_read_as_text_decode_exactly_as_stored() -> None:
    """Issue 20 item 4: the first roster reads the facts as text and decodes them itself; big
    integers stay integers (the checks refuse them with the parser's message, not as floats)."""
    from jiuzhu.payments.roster import _loads

    assert _loads('{"urban": true, "members": [{"age": 3}]}') == {"urban": True, "members": [{"age": 3}]}
    assert _loads('{"x": 123456789012345678901234567890}') == {"x": 123456789012345678901234567890}
    assert _loads(None) is None and _loads("") is None
