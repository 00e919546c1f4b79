"""Invariants of the engine, checked on random households (hypothesis)."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jiuzhu.rules import (
    INCOME_TYPES,
    PROGRAMS,
    FactsBatch,
    HouseholdFacts,
    Member,
    ParameterRecord,
    ParameterStore,
    evaluate_all,
    evaluate_one,
    household_from_dict,
    household_to_dict,
)

from .strategies import dates, households

STORE = ParameterStore.from_directory()
ALL = tuple(PROGRAMS)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.lists(households(), min_size=1, max_size=12), dates)
def test_it_never_pays_a_negative_amount(hs: list[HouseholdFacts], on: date) -> None:
    results = evaluate_all(ALL, FactsBatch.from_households(hs), on, STORE)
    for r in results.values():
        assert (r.monthly_amount_fen >= 0).all()
        assert (r.monthly_amount_fen[~r.eligible] == 0).all()
        assert ((r.reasons_bitmask == 0) == r.eligible).all()


@FAST
@given(households(), dates, st.integers(0, 7), st.sampled_from(list(INCOME_TYPES)), st.integers(1, 500_000))
def test_it_never_raises_the_dibao_benefit_when_income_rises(
    h: HouseholdFacts, on: date, who: int, kind: str, more: int
) -> None:
    i = who % len(h.members)
    m = h.members[i]
    incomes = dict(m.incomes)
    incomes[kind] = incomes.get(kind, 0) + more
    richer = dataclasses.replace(
        h, members=(*h.members[:i], dataclasses.replace(m, incomes=incomes), *h.members[i + 1 :])
    )
    before = evaluate_one("dibao", h, None, on, STORE)
    after = evaluate_one("dibao", richer, None, on, STORE)
    assert after.monthly_amount_fen <= before.monthly_amount_fen
    assert after.eligible <= before.eligible or not before.eligible


@FAST
@given(st.lists(households(), min_size=1, max_size=10), dates, st.integers(1, 4))
def test_it_gives_the_same_result_in_a_batch_as_alone(hs: list[HouseholdFacts], on: date, chunk: int) -> None:
    batch = FactsBatch.from_households(hs)
    results = evaluate_all(ALL, batch, on, STORE)
    chunked = evaluate_all(ALL, batch, on, STORE, chunk_size=chunk)
    for code, r in results.items():
        assert np.array_equal(r.eligible, chunked[code].eligible)
        assert np.array_equal(r.reasons_bitmask, chunked[code].reasons_bitmask)
        assert np.array_equal(r.monthly_amount_fen, chunked[code].monthly_amount_fen)
        for i, h in enumerate(hs):
            one = evaluate_one(code, h, None, on, STORE)
            assert one.eligible == bool(r.eligible[i])
            assert one.monthly_amount_fen == int(r.monthly_amount_fen[i])
            assert [x.code for x in one.failed] == r.failed_tests(i)


@FAST
@given(st.lists(households(), min_size=1, max_size=8), dates, st.integers(1, 400))
def test_it_uses_the_parameters_in_force_on_the_date(hs: list[HouseholdFacts], on: date, later: int) -> None:
    """Versions that start after the date change nothing: neither those already in the
    files (``as_of``) nor a new override starting later."""
    batch = FactsBatch.from_households(hs)
    now = evaluate_all(ALL, batch, on, STORE)
    future = date.fromordinal(on.toordinal() + later)
    changed = STORE.with_overrides(
        [
            ParameterRecord("dibao.standard.urban", "37", future, 999_999, "测试：未来标准"),
            ParameterRecord("dibao.standard.rural", "370405", future, 1, "测试：未来标准"),
            ParameterRecord("tekun.basic_multiplier.urban", "CN", future, 9, "测试"),
        ]
    )
    for store in (STORE.as_of(on), changed):
        then = evaluate_all(ALL, batch, on, store)
        for code, r in now.items():
            assert np.array_equal(r.eligible, then[code].eligible)
            assert np.array_equal(r.monthly_amount_fen, then[code].monthly_amount_fen)


@FAST
@given(households(), dates)
def test_it_pays_tekun_at_least_the_multiple_of_the_dibao_standard(h: HouseholdFacts, on: date) -> None:
    r = evaluate_one("tekun", h, None, on, STORE)
    if r.eligible:
        used = {p["name"]: p for p in r.trace["parameters"]}
        kind = "urban" if h.urban else "rural"
        standard = used[f"dibao.standard.{kind}"]["value"]
        multiple = used[f"tekun.basic_multiplier.{kind}"]["value"]
        assert r.monthly_amount_fen * 10 >= int(float(multiple) * 10) * standard * len(h.members)


@FAST
@given(households(), dates)
def test_it_keeps_temporary_aid_within_its_band(h: HouseholdFacts, on: date) -> None:
    r = evaluate_one("temporary", h, None, on, STORE)
    v = {k: x["value"] for k, x in r.trace["variables"].items()}
    if r.eligible and h.temporary is not None and h.temporary.kind != "emergency":
        assert r.monthly_amount_fen <= v["temporary_band_max"]
        if h.temporary.approval_level == "deliberation" or not v["temporary_needs_higher_approval"]:
            assert r.monthly_amount_fen >= v["temporary_band_min"]
        else:
            assert r.monthly_amount_fen == v["temporary_cap"]


@FAST
@given(households(), dates, st.sampled_from(ALL))
def test_it_replays_a_decision_from_its_trace(h: HouseholdFacts, on: date, program: str) -> None:
    first = evaluate_one(program, h, None, on, STORE)
    trace = json.loads(json.dumps(first.trace, ensure_ascii=False))
    again = evaluate_one(
        trace["program"],
        household_from_dict(trace["facts"]),
        trace["area_code"],
        date.fromisoformat(trace["date"]),
        STORE,
    )
    assert again.trace == first.trace
    assert trace["parameters_digest"] == STORE.digest


@FAST
@given(households(with_area=False))
def test_it_round_trips_the_json_form(h: HouseholdFacts) -> None:
    assert household_from_dict(household_to_dict(h)) == h


def test_it_accepts_a_member_with_only_a_birth_date() -> None:
    h = HouseholdFacts(members=(Member(birth_date=date(1950, 1, 1)),), urban=True)
    r = evaluate_one("tekun", h, "370405", date(2026, 3, 1), STORE)
    assert r.trace["variables"]["member.age"]["value"] == [76]
