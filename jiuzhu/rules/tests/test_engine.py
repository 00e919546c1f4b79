"""Unit tests of the engine's parts: areas, money, parameters, facts, results, traces."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from jiuzhu.rules import (
    PROGRAMS,
    RULES_VERSION,
    FactsBatch,
    HouseholdFacts,
    Member,
    ParameterRecord,
    ParameterStore,
    RulesInputError,
    amount_basis,
    code_of,
    evaluate,
    evaluate_all,
    evaluate_one,
    household_from_dict,
    propose_standard,
    screen,
)
from jiuzhu.rules.areas import area_chain, normalize_area
from jiuzhu.rules.facts import DISABILITY_TYPES
from jiuzhu.rules.money import DOWN, HALF_UP, ROUNDING_MODES, UP, div_round, mul_ratio, ratio_to_e4, yuan
from jiuzhu.rules.parameters import DEFAULT_DIRECTORY

STORE = ParameterStore.from_directory()
ON = date(2026, 3, 1)


def one(**member: object) -> HouseholdFacts:
    return household_from_dict({"urban": True, "members": [{"age": 40, **member}]})


# ---- areas -----------------------------------------------------------------------------


def test_it_normalizes_area_codes_by_whole_zero_groups() -> None:
    assert normalize_area("370405000000") == "370405"
    assert normalize_area("370405100000") == "370405100"
    assert normalize_area("370405100201") == "370405100201"
    assert normalize_area("370400000000") == "3704"
    assert normalize_area(370405) == "370405"
    assert normalize_area("cn") == "CN"


def test_it_walks_the_area_chain_from_village_to_national() -> None:
    assert area_chain("370405100201") == ("370405100201", "370405100", "370405", "3704", "37", "CN")


@pytest.mark.parametrize("bad", ["", "3704051", "37a405", "000000", "990000", "370400100000", "３７"])
def test_it_rejects_malformed_area_codes(bad: str) -> None:
    with pytest.raises(RulesInputError) as exc:
        normalize_area(bad)
    assert exc.value.code in ("invalid_area", "unknown_area")


# ---- money -----------------------------------------------------------------------------


def test_it_rounds_by_the_named_mode() -> None:
    assert int(div_round(143550, 100, UP)) == 1436
    assert int(div_round(143550, 100, DOWN)) == 1435
    assert int(div_round(143550, 100, HALF_UP)) == 1436
    assert int(div_round(143549, 100, HALF_UP)) == 1435
    modes = np.array([UP, DOWN, HALF_UP])
    assert div_round(np.array([101, 101, 150]), 100, modes).tolist() == [2, 1, 2]


def test_it_multiplies_by_ratios_exactly() -> None:
    assert ratio_to_e4("1.3") == 13000
    assert int(mul_ratio(77777, 13000, UP)) == 101111
    assert int(mul_ratio(77777, 13000, DOWN)) == 101110
    with pytest.raises(ValueError):
        ratio_to_e4("0.12345")


def test_it_prints_yuan() -> None:
    assert yuan(100000) == "1,000元"
    assert yuan(143550) == "1,435.50元"
    assert yuan(80000) == "800元" and yuan(-2581715959) == "-25,817,159.59元"
    assert yuan(5) == "0.05元"


# ---- parameters ------------------------------------------------------------------------


def test_it_gives_every_parameter_a_description_unit_and_sourced_versions() -> None:
    for item in STORE.describe():
        assert re.search(r"[\u4e00-\u9fff]", item["description"]), item["name"]
        for versions in item["values"].values():
            for v in versions:
                assert v["source"].strip(), item["name"]


def test_it_cites_seed_003_for_every_number_it_takes_from_it() -> None:
    seed_numbers = {
        "tekun.basic_multiplier.urban": "1.5",
        "tekun.basic_multiplier.rural": "1.3",
        "tekun.minor_age_limit": 18,
        "temporary.illness_multiplier.min": "3",
        "temporary.illness_multiplier.max": "12",
        "temporary.education_multiplier.min": "3",
        "temporary.education_multiplier.max": "6",
        "temporary.town_reserve": 5_000_000,
        "standard_formula.share.urban.min": "0.25",
        "standard_formula.share.urban.max": "0.35",
        "standard_formula.share.rural.min": "0.35",
        "standard_formula.share.rural.max": "0.45",
    }
    for name, value in seed_numbers.items():
        v = STORE.lookup(name, "370321", date(2021, 3, 1))
        assert v.area == "370321" and v.valid_from == date(2021, 2, 24), name
        assert v.value == value, name
        assert "桓政字〔2021〕7号" in v.source and "「" in v.source, name


def test_it_marks_illustrative_standards_as_such() -> None:
    for kind in ("urban", "rural"):
        for area in ("37", "3704", "370405", "370404", "370481", "370321"):
            v = STORE.lookup(f"dibao.standard.{kind}", area, ON)
            assert "示例值" in v.source and "演示" in v.source


def test_it_keeps_at_least_two_dated_standards_per_demo_county() -> None:
    data = yaml.safe_load((DEFAULT_DIRECTORY / "dibao.yaml").read_text(encoding="utf-8"))
    for area in ("37", "3704", "370405", "370404", "370481", "370321"):
        assert len(data["dibao.standard.urban"]["values"][area]) >= 2


def test_it_falls_back_to_the_parent_until_the_local_value_takes_effect() -> None:
    assert STORE.lookup("dibao.standard.urban", "370405", date(2024, 12, 31)).area == "3704"
    assert STORE.lookup("dibao.standard.urban", "370405", date(2025, 1, 1)).area == "370405"
    assert STORE.lookup("dibao.standard.urban", "370405100201", ON).internal == 100000


def test_it_refuses_a_date_before_any_version() -> None:
    with pytest.raises(RulesInputError) as exc:
        STORE.lookup("dibao.standard.urban", "370405", date(2020, 12, 31))
    assert (exc.value.code, exc.value.field) == ("date_out_of_range", "date")


def test_it_replaces_a_file_version_by_a_database_override_of_the_same_date() -> None:
    store = STORE.with_overrides(
        [ParameterRecord("dibao.standard.urban", "370405", date(2026, 1, 1), 101000, "县政府文件")]
    )
    v = store.lookup("dibao.standard.urban", "370405", ON)
    assert (v.internal, v.source) == (101000, "县政府文件")
    assert store.digest != STORE.digest
    assert STORE.lookup("dibao.standard.urban", "370405", ON).internal == 100000  # immutable


@pytest.mark.parametrize(
    ("record", "code", "field"),
    [
        (ParameterRecord("no.such", "37", date(2026, 1, 1), 1), "unknown_parameter", "overrides[0].name"),
        (
            ParameterRecord("dibao.standard.urban", "37", date(2026, 1, 1), -5),
            "invalid_parameter",
            "overrides[0].value",
        ),
        (
            ParameterRecord("dibao.standard.urban", "37", date(2026, 1, 1), 1.5),
            "invalid_parameter",
            "overrides[0].value",
        ),
        (
            ParameterRecord("rounding.benefit.mode", "37", date(2026, 1, 1), "ceil"),
            "invalid_parameter",
            "overrides[0].value",
        ),
        (ParameterRecord("dibao.standard.urban", "3x", date(2026, 1, 1), 1), "invalid_area", "overrides[0].area_code"),
        (
            ParameterRecord("dibao.standard.urban", "37", date(2026, 1, 1), 1, ""),
            "invalid_parameter",
            "overrides[0].source",
        ),
    ],
)
def test_it_validates_overrides(record: ParameterRecord, code: str, field: str) -> None:
    with pytest.raises(RulesInputError) as exc:
        STORE.with_overrides([record])
    assert (exc.value.code, exc.value.field) == (code, field)


def test_it_lists_rounding_modes_in_engine_order() -> None:
    assert STORE.definition("rounding.benefit.mode").choices == ROUNDING_MODES


def test_it_exports_every_version_as_a_record() -> None:
    records = list(STORE.records())
    rebuilt = ParameterStore.from_directory().with_overrides(records)
    assert rebuilt.digest == STORE.digest


# ---- facts -------------------------------------------------------------------------------


def columns(n: int = 3) -> tuple[dict[str, Any], dict[str, Any]]:
    hh = {"area_code": ["370405"] * n, "urban": [True] * n, "size": [2] * n}
    mem = {"age": [40, 10] * n, "wage": [50000, 0] * n}
    return hh, mem


def test_it_builds_a_batch_from_columns_like_from_dataclasses() -> None:
    hh, mem = columns()
    a = evaluate("dibao", FactsBatch.from_columns(hh, mem), ON, STORE)
    h = household_from_dict(
        {"urban": True, "area_code": "370405", "members": [{"age": 40, "incomes": {"wage": 50000}}, {"age": 10}]}
    )
    b = evaluate("dibao", FactsBatch.from_households([h, h, h]), ON, STORE)
    assert a.monthly_amount_fen.tolist() == b.monthly_amount_fen.tolist() == [155000] * 3


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        (lambda hh, m: hh.update(income_business=[0, -1, 0]), "negative_value", "households[1].income_business"),
        (lambda hh, m: m.update(age=[40, 10, 40, 200, 40, 10]), "out_of_range", "households[1].members[1].age"),
        (
            lambda hh, m: m.update(disability_grade=[0, 0, 0, 0, 2, 0]),
            "missing_field",
            "households[2].members[0].disability_type",
        ),
        (lambda hh, m: hh.update(area_code=["370405", "99", "370405"]), "unknown_area", "households[1].area_code"),
        (lambda hh, m: hh.update(size=[2, 2]), "invalid_value", "households.urban"),
        (lambda hh, m: hh.update(colour=[1, 2, 3]), "unknown_field", "households.colour"),
        (lambda hh, m: m.update(wage=[1.5] * 6), "invalid_type", "members.wage"),
    ],
)
def test_it_validates_columns_with_row_paths(change: Callable[..., object], code: str, field: str) -> None:
    hh, mem = columns()
    change(hh, mem)
    with pytest.raises(RulesInputError) as exc:
        FactsBatch.from_columns(hh, mem)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_it_names_the_household_in_batch_error_paths() -> None:
    good = one()
    bad = HouseholdFacts(members=(Member(age=40, incomes={"wage": -3}),), urban=True, area_code="370405")
    with pytest.raises(RulesInputError) as exc:
        FactsBatch.from_households([good.__class__(good.members, True, "370405"), bad])
    assert exc.value.field == "households[1].members[0].incomes.wage"


def test_it_requires_an_area_for_each_household_of_a_batch() -> None:
    with pytest.raises(RulesInputError) as exc:
        FactsBatch.from_households([one()])
    assert (exc.value.code, exc.value.field) == ("missing_field", "households[0].area_code")


def test_it_resolves_parameters_per_distinct_area_not_per_household(monkeypatch: pytest.MonkeyPatch) -> None:
    areas = ["370405100201", "370405100202", "370404001001", "370481", "370402"] * 200
    hh: dict[str, Any] = {"area_code": areas, "urban": [True] * 1000, "size": [1] * 1000}
    batch = FactsBatch.from_columns(hh, {"age": [40] * 1000})
    store = STORE.with_overrides([])
    calls: list[tuple[str, str]] = []
    real = store.lookup

    def counting(name: str, area: str, on: date) -> Any:
        calls.append((name, area))
        return real(name, area, on)

    monkeypatch.setattr(store, "lookup", counting)
    r = evaluate("dibao", batch, ON, store)
    assert r.monthly_amount_fen[:5].tolist() == [100000, 100000, 98000, 105000, 94000]
    # four effective areas (370405, 370404, 370481 and 枣庄市 for 370402), once per parameter
    assert {a for _, a in calls} == {"370405", "370404", "370481", "3704"}
    assert len(calls) == 4 * len({n for n, _ in calls})


# ---- evaluation ---------------------------------------------------------------------------


def test_it_rejects_unknown_programs_and_datetimes() -> None:
    with pytest.raises(RulesInputError) as exc:
        evaluate_one("baoxian", one(), "370405", ON, STORE)
    assert exc.value.code == "unknown_program"
    with pytest.raises(RulesInputError) as exc:
        evaluate_one("dibao", one(), "370405", datetime(2026, 3, 1), STORE)
    assert (exc.value.code, exc.value.field) == ("invalid_type", "date")


def test_it_evaluates_an_empty_batch() -> None:
    r = evaluate("dibao", FactsBatch.from_households([]), ON, STORE)
    assert r.eligible.shape == (0,)


def test_it_sets_one_bit_per_failed_test() -> None:
    h = one(incomes={"wage": 300000}, assets={"vehicles": 1, "houses": 3})
    r = evaluate("dibao", FactsBatch.from_households([h], ["370405"]), ON, STORE)
    bits = {t.code: t.bit for t in PROGRAMS["dibao"].tests}
    expected = sum(1 << bits[c] for c in ("income_below_standard", "vehicles_within_limit", "houses_within_limit"))
    assert int(r.reasons_bitmask[0]) == expected
    assert r.failed_tests(0) == ["income_below_standard", "vehicles_within_limit", "houses_within_limit"]


def test_it_registers_the_five_programs_with_chinese_names() -> None:
    assert set(PROGRAMS) == {"dibao", "tekun", "dibao_edge", "rigid_expense", "temporary"}
    for p in PROGRAMS.values():
        d = p.describe()
        assert re.search(r"[\u4e00-\u9fff]", d["name"])
        assert [t["bit"] for t in d["tests"]] == list(range(len(d["tests"])))
        json.dumps(d, ensure_ascii=False)


def test_it_traces_everything_needed_to_reproduce_a_decision() -> None:
    r = evaluate_one("dibao", one(incomes={"wage": 50000}), "370405100201", ON, STORE)
    t = r.trace
    assert t["rules_version"] == RULES_VERSION
    assert t["parameters_digest"].startswith("sha256:")
    assert (t["date"], t["area_code"], t["effective_area"]) == ("2026-03-01", "370405100201", "370405")
    assert t["facts"] == {"urban": True, "members": [{"age": 40, "incomes": {"wage": 50000}}]}
    std = next(p for p in t["parameters"] if p["name"] == "dibao.standard.urban")
    assert std == {
        "name": "dibao.standard.urban",
        "description": "城市最低生活保障标准（每人每月）",
        "value": 100000,
        "unit": "fen",
        "area": "370405",
        "valid_from": "2026-01-01",
        "source": std["source"],
    }
    assert t["variables"]["counted_income"]["value"] == 45000
    assert [x["code"] for x in t["tests"]] == [x.code for x in PROGRAMS["dibao"].tests]
    assert all(re.search(r"[\u4e00-\u9fff]", x["message"]) for x in t["tests"])
    assert json.loads(json.dumps(t, ensure_ascii=False)) == t


def test_the_amount_basis_holds_what_the_amount_rests_on_and_nothing_only_a_test_read() -> None:
    """The notices' 计算依据 (DOC-1, DOC-6): an 85-year-old with a pension gets the difference and
    the 高龄 extra; the asset limits and the 单独申请 conditions are tests, not the sum."""
    h = household_from_dict({"urban": True, "members": [{"age": 85, "incomes": {"pension": 30000}}]})
    r = evaluate_one("dibao", h, "370405", ON, STORE)
    basis = amount_basis(r.trace)
    names = {p["name"] for p in basis["parameters"]}
    assert {"dibao.standard.urban", "dibao.extra.elderly", "dibao.extra.elderly_age", "dibao.min_per_person"} <= names
    assert not {n for n in names if n.startswith(("dibao.assets.", "dibao.alone."))}
    assert {p["name"] for p in r.trace["parameters"]} - names >= {"dibao.assets.deposit_months", "dibao.alone.min_age"}
    steps = {s["name"]: s["value"] for s in basis["steps"]}
    standard = steps["dibao_standard"]
    assert steps["counted_income"] == 30000 and steps["dibao_gap"] == standard - 30000
    assert steps["dibao_extra_allowance"] == standard // 10  # 台儿庄区 adds 0.1 for 80 and over
    assert basis["steps"][-1]["name"] == "dibao_benefit" and steps["dibao_benefit"] == r.monthly_amount_fen
    assert "financial_assets" not in steps and not any("." in s["name"] for s in basis["steps"])
    # a 0 is shown only where a formula shown names it: no income still reads 家庭月计算收入 0
    none = amount_basis(evaluate_one("dibao", one(incomes={"basic_pension": 8150}), "370405", ON, STORE).trace)
    zero = {s["name"]: s["value"] for s in none["steps"]}
    assert zero["counted_income"] == 0 and "employment_cost_deduction" not in zero
    assert "dibao_extra_allowance" not in zero and "dibao_extra_rate" not in zero
    # nor does it cite what did not move the amount: the 分类施保 categories nobody is in, a
    # deduction for work income nobody has, the rule of an income type nobody receives
    assert not {"dibao.extra.severe_disability", "dibao.extra.severe_disability_max_grade"} & names
    assert not {n for n in names if n.startswith(("dibao.extra.minor", "income.employment_cost."))}
    plain = {p["name"] for p in none["parameters"]}
    assert not {n for n in plain if n.startswith(("dibao.extra.", "income.employment_cost."))}
    assert {"dibao.min_per_person", "income.counted.basic_pension"} <= plain and any("standard" in n for n in plain)
    # ineligible: no amount, no basis; a trace from before the basis keeps its first parameters
    rich = evaluate_one("dibao", one(incomes={"wage": 500000}), "370405", ON, STORE)
    assert "amount_basis" not in rich.trace
    old = {k: v for k, v in r.trace.items() if k != "amount_basis"}
    assert amount_basis(old) == {"parameters": r.trace["parameters"][:8], "steps": []}


def test_the_amount_basis_cites_the_care_standard_of_the_member_s_own_level() -> None:
    """An old woman who manages on her own is paid the 照料护理 standard of 具备自理能力; her
    notice's 计算依据 cites that one, not the standards of the levels she is not at (DOC-1)."""
    capable = household_from_dict({"urban": True, "members": [{"age": 77}]})
    r = evaluate_one("tekun", capable, "370405", ON, STORE)
    names = {p["name"] for p in amount_basis(r.trace)["parameters"]}
    assert "tekun.care_allowance.none" in names
    assert not names & {"tekun.care_allowance.partial", "tekun.care_allowance.full"}
    partly = household_from_dict({"urban": True, "members": [{"age": 80, "self_care_unable": ["bathe", "walk"]}]})
    r = evaluate_one("tekun", partly, "370405", ON, STORE)
    names = {p["name"] for p in amount_basis(r.trace)["parameters"]}
    assert "tekun.care_allowance.partial" in names and r.monthly_amount_fen == 174000
    assert not names & {"tekun.care_allowance.none", "tekun.care_allowance.full"}


def test_the_amount_basis_names_the_care_level_before_the_care_allowance() -> None:
    """A 特困 notice says what the 照料护理费 rests on: the assessed self-care level of the
    members, in words, just before the allowance (DOC-1)."""
    bedridden = household_from_dict(
        {"urban": True, "members": [{"age": 80, "self_care_unable": ["eat", "dress", "bed", "toilet"]}]}
    )
    steps = amount_basis(evaluate_one("tekun", bedridden, "370405", ON, STORE).trace)["steps"]
    names = [s["name"] for s in steps]
    assert names.index("self_care_level") == names.index("tekun_care_allowance") - 1
    care = steps[names.index("self_care_level")]
    assert (care["label"], care["value"]) == ("生活自理能力评估", "完全丧失生活自理能力1人")
    dibao = amount_basis(evaluate_one("dibao", bedridden, "370405", ON, STORE).trace)["steps"]
    assert "self_care_level" not in [s["name"] for s in dibao]


def test_the_amount_basis_lists_an_income_before_its_deduction() -> None:
    """金额计算 reads as a person explains it: the family's income, then what is deducted from it,
    then what is left (DOC-1)."""
    h = household_from_dict(
        {
            "urban": False,
            "members": [{"age": 45, "incomes": {"wage": 30000}}, {"age": 70, "incomes": {"pension": 20000}}],
        }
    )
    steps = [s["name"] for s in amount_basis(evaluate_one("dibao", h, "370405", ON, STORE).trace)["steps"]]
    chain = ["total_income", "employment_cost_deduction", "income_before_rigid_deduction", "counted_income"]
    assert [n for n in steps if n in chain] == chain
    assert steps.index("counted_income") < steps.index("dibao_gap") < steps.index("dibao_benefit")


def test_it_explains_a_failed_test_with_the_figures() -> None:
    r = evaluate_one("dibao", one(incomes={"wage": 120000}), "370404", ON, STORE)
    (reason,) = r.failed
    assert reason.message == "家庭月人均收入不低于当地低保标准（家庭月人均收入1,200元，低保标准980元）"


def test_it_marks_tests_that_do_not_apply() -> None:
    h = household_from_dict(
        {"urban": True, "members": [{"age": 40}], "temporary": {"kind": "emergency", "event": "fire"}}
    )
    r = evaluate_one("temporary", h, "370405", ON, STORE)
    applicable = {x.code: x.applicable for x in r.reasons}
    assert applicable == {
        "expense_qualifies": False,
        "income_after_expense_below_line": False,
        "emergency_event": True,
        "deliberated_amount_within_rules": False,
    }


def test_it_shares_variables_between_programs_evaluated_together() -> None:
    hh, mem = columns(50)
    batch = FactsBatch.from_columns(hh, mem)
    together = evaluate_all(["dibao", "tekun", "dibao_edge"], batch, ON, STORE)
    for code, r in together.items():
        assert np.array_equal(r.monthly_amount_fen, evaluate(code, batch, ON, STORE).monthly_amount_fen)


def test_it_does_not_import_django() -> None:
    code = "import sys, jiuzhu.rules; assert not [m for m in sys.modules if m.split('.')[0] == 'django']"
    root = Path(__file__).resolve().parents[3]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_it_codes_columns_by_position_in_the_code_lists() -> None:
    assert code_of(DISABILITY_TYPES, "physical") == list(DISABILITY_TYPES).index("physical")


# ---- standards ------------------------------------------------------------------------------


def test_it_proposes_a_standard_from_consumption_expenditure() -> None:
    # 桓台县 2027, 上年城市居民人均消费支出 36000元, 默认比例取区间中点 30%
    p = propose_standard(STORE, "370321", 2027, 3_600_000, urban=True)
    assert (p.share, p.share_min, p.share_max) == ("0.3", "0.25", "0.35")
    assert (p.formula_fen, p.low_fen, p.high_fen) == (90000, 75000, 105000)
    assert p.current_fen == 110000 and p.raised_to_current  # never below the standard in force
    assert p.monthly_fen == 110000
    assert any(x["area"] == "370321" and "桓政字〔2021〕7号" in x["source"] for x in p.parameters)
    json.dumps(p.to_dict(), ensure_ascii=False)


def test_it_proposes_a_rise_when_consumption_grows() -> None:
    p = propose_standard(STORE, "370405", 2027, 4_200_000, urban=False, share="0.40")
    assert p.formula_fen == 140000 and not p.raised_to_current and p.monthly_fen == 140000
    assert p.city_fen == 75000  # 枣庄市 rural standard in force, to keep in step with


def test_it_refuses_a_share_outside_the_range() -> None:
    with pytest.raises(RulesInputError) as exc:
        propose_standard(STORE, "370321", 2027, 3_600_000, urban=True, share="0.40")
    assert (exc.value.code, exc.value.field) == ("out_of_range", "share")


def test_it_screens_a_household_for_every_program_it_can_apply_for() -> None:
    h = household_from_dict({"urban": False, "members": [{"age": 72}]})
    results = screen(h, "370405", ON, STORE)
    assert set(results) == {"dibao", "tekun", "dibao_edge", "rigid_expense"}
    assert results["tekun"].eligible and results["dibao"].eligible
    assert not results["dibao_edge"].eligible


def test_it_applies_a_town_level_value_to_that_town_only() -> None:
    store = STORE.with_overrides(
        [ParameterRecord("dibao.standard.urban", "370405100", date(2026, 2, 1), 102000, "镇级试点（测试）")]
    )
    areas = ["370405100201", "370405100", "370405101001", "370405"]
    hh: dict[str, Any] = {"area_code": areas, "urban": [True] * 4, "size": [1] * 4}
    r = evaluate("dibao", FactsBatch.from_columns(hh, {"age": [40] * 4}), ON, store)
    assert r.monthly_amount_fen.tolist() == [102000, 102000, 100000, 100000]
    before = evaluate("dibao", FactsBatch.from_columns(hh, {"age": [40] * 4}), date(2026, 1, 31), store)
    assert before.monthly_amount_fen.tolist() == [100000] * 4


def test_the_amount_basis_leaves_out_the_approval_level_s_limit() -> None:
    """DOC-1 (found walking): a 临时救助 notice's 金额计算 printed "本审批层级限额（一事一议不设限额，
    记0）15,000.00元" — the limit routes the case to the town or the county (a case above it is sent
    up, never paid capped); it is not a figure of the family's amount."""
    h = household_from_dict(
        {"urban": True, "members": [{"age": 50, "medical_oop_fen": 2_000_000}], "temporary": {"kind": "illness"}}
    )
    r = evaluate_one("temporary", h, "370405", ON, STORE)
    basis = amount_basis(r.trace)
    assert r.eligible and "temporary_cap" in r.trace["variables"]
    assert "temporary_cap" not in {s["name"] for s in basis["steps"]}
    assert not {p["name"] for p in basis["parameters"] if p["name"].startswith("temporary.cap.")}
    assert basis["steps"][-1]["name"] == "temporary_amount"


def test_a_ratio_in_a_message_reads_as_a_multiple_of_what_it_is_compared_with() -> None:
    """DOC-1 (found walking): 刚性支出困难家庭's screening read "规定比例1" — a bare number."""
    h = household_from_dict(
        {"urban": True, "members": [{"age": 50, "incomes": {"wage": 100000}, "medical_oop_fen": 3_000_000}]}
    )
    messages = [r.message for r in evaluate_one("rigid_expense", h, "370405", ON, STORE).reasons]
    assert any("须超过家庭年收入的1倍" in m for m in messages), messages
    assert not any(re.search(r"规定比例\d", m) for m in messages)
