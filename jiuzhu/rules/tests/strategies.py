"""Hypothesis strategies for households, areas and dates (shared by the property tests)."""

from __future__ import annotations

from datetime import date

from hypothesis import strategies as st

from jiuzhu.rules import (
    DISABILITY_TYPES,
    EMERGENCY_EVENTS,
    INCOME_TYPES,
    LABOUR_CAPACITY,
    SCHOOL,
    SELF_CARE_ITEMS,
    SUPPORTER_RELATIONS,
    HouseholdFacts,
    Member,
    Supporter,
    TemporaryRequest,
)

AREAS = (
    "370405",
    "370404",
    "370481",
    "370321",
    "370405100201",
    "370404103",
    "370402",
    "3704",
    "37",
)
money = st.integers(min_value=0, max_value=800_000)
# strategies are built once: building them inside a draw is what makes tests slow
_grade = st.integers(0, 4)
_dtype = st.sampled_from([t for t in DISABILITY_TYPES if t])
_incomes = st.dictionaries(st.sampled_from(list(INCOME_TYPES)), money, max_size=4)
_assets = st.fixed_dictionaries(
    {},
    optional={
        "deposits": st.integers(0, 8_000_000),
        "securities": st.integers(0, 1_000_000),
        "vehicles": st.integers(0, 2),
        "houses": st.integers(0, 2),
        "businesses": st.integers(0, 1),
    },
)
_age = st.integers(0, 105)
_labour = st.sampled_from(list(LABOUR_CAPACITY))
_self_care = st.lists(st.sampled_from(list(SELF_CARE_ITEMS)), unique=True).map(tuple)
_school = st.sampled_from(list(SCHOOL))
_medical = st.integers(0, 6_000_000)
_education = st.integers(0, 2_000_000)
_relation = st.sampled_from(list(SUPPORTER_RELATIONS))
_kind = st.sampled_from(["illness", "education", "emergency"])
_event = st.sampled_from([e for e in EMERGENCY_EVENTS if e])
_level = st.sampled_from(["town", "county", "deliberation"])
_area = st.sampled_from(AREAS)


@st.composite
def members(draw: st.DrawFn) -> Member:
    grade = draw(_grade)
    return Member(
        age=draw(_age),
        incomes=draw(_incomes),
        assets=draw(_assets),
        disability_grade=grade,
        disability_type=draw(_dtype) if grade else "",
        labour_capacity=draw(_labour),
        self_care_unable=draw(_self_care),
        school=draw(_school),
        medical_oop_fen=draw(_medical),
        education_oop_fen=draw(_education),
    )


@st.composite
def supporters(draw: st.DrawFn) -> Supporter:
    grade = draw(_grade)
    return Supporter(
        age=draw(st.integers(18, 95)),
        relation=draw(_relation),
        monthly_income_fen=draw(money),
        is_tekun=draw(st.booleans()),
        is_dibao=draw(st.booleans()),
        disability_grade=grade,
        disability_type=draw(_dtype) if grade else "",
        incapacitated=draw(st.booleans()),
        assets_within_limit=draw(st.booleans()),
    )


@st.composite
def temporary_requests(draw: st.DrawFn) -> TemporaryRequest:
    kind = draw(_kind)
    return TemporaryRequest(kind, draw(_level), draw(_event) if kind == "emergency" else "")


_members = st.lists(members(), min_size=1, max_size=8).map(tuple)
_supporters = st.lists(supporters(), max_size=3).map(tuple)
_temporary = temporary_requests()


@st.composite
def households(draw: st.DrawFn, with_area: bool = True) -> HouseholdFacts:
    return HouseholdFacts(
        members=draw(_members),
        urban=draw(st.booleans()),
        area_code=draw(_area) if with_area else None,
        supporters=draw(_supporters),
        temporary=draw(_temporary),
    )


dates = st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31))
