"""Runs every YAML case in ``cases/``: facts, date, area → expected results per program.

Each case also runs through the batch path, so every case checks batch == single.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from jiuzhu.rules import (
    PROGRAMS,
    FactsBatch,
    ParameterRecord,
    ParameterStore,
    RulesInputError,
    evaluate,
    evaluate_one,
    household_from_dict,
)

CASES_DIR = Path(__file__).with_name("cases")
STORE = ParameterStore.from_directory()
# a requirement ID (STD-3, PRG-5 …) or a document number (桓政字〔2021〕7号, 民发〔2021〕43号 …)
SOURCE = re.compile(r"\b[A-Z]{2,4}-\d+\b|〔\d{4}〕\d+号|DOMAIN\.md|DECISIONS\.md")


def _load() -> list[Any]:
    params = []
    for file in sorted(CASES_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(file.read_text(encoding="utf-8"))):
            params.append(pytest.param(case, id=f"{file.stem}-{i:02d}-{case.get('name', '?')}"))
    return params


CASES = _load()


def _store(case: dict[str, Any]) -> ParameterStore:
    overrides = case.get("overrides")
    if not overrides:
        return STORE
    return STORE.with_overrides([ParameterRecord(**o) for o in overrides])


def test_there_are_at_least_80_cases() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    assert case.get("name"), "every case has a name"
    assert SOURCE.search(str(case.get("source", ""))), "every case names its requirement or document"
    on: date = case["date"]
    area: str = case["area"]
    store = _store(case)
    if "error" in case:
        with pytest.raises(RulesInputError) as exc:
            household = household_from_dict(case["household"])
            evaluate_one(case.get("program", "dibao"), household, area, on, store)
        assert exc.value.code == case["error"]["code"], exc.value.message
        assert exc.value.field == case["error"]["field"], exc.value.message
        assert re.search(r"[\u4e00-\u9fff]", exc.value.message), "messages are in Chinese"
        return
    household = household_from_dict(case["household"])
    batch = FactsBatch.from_households([household], area_codes=[area])
    for program, expected in case["expect"].items():
        result = evaluate_one(program, household, area, on, store)
        messages = "\n".join(f"{r.code}: {r.passed} {r.message}" for r in result.reasons)
        assert result.eligible == expected["eligible"], messages
        if "monthly_amount_fen" in expected:
            assert result.monthly_amount_fen == expected["monthly_amount_fen"], messages
        elif not expected["eligible"]:
            assert result.monthly_amount_fen == 0
        if "failed" in expected:
            assert sorted(r.code for r in result.failed) == sorted(expected["failed"]), messages
        for name, value in expected.get("variables", {}).items():
            assert result.trace["variables"][name]["value"] == value, name
        used = {p["name"]: p for p in result.trace["parameters"]}
        for name, want in expected.get("parameters", {}).items():
            for key, value in want.items():
                got = used[name][key]
                assert got == (value.isoformat() if isinstance(value, date) else value), (name, key)
        # the same household through the vectorized path
        b = evaluate(program, batch, on, store)
        assert bool(b.eligible[0]) == result.eligible
        assert int(b.monthly_amount_fen[0]) == result.monthly_amount_fen
        assert b.failed_tests(0) == [r.code for r in result.failed]
        json.dumps(result.trace, ensure_ascii=False)
        assert program in PROGRAMS
