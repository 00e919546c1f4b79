"""Fixtures for funds: approved 低保 cases (from the payments fixtures) and money on the ledger.

Actual spending is read from the payments ledger. ``paid`` writes a payment row (and
``reverse`` a reversal) the way the bank-result import books them, without walking a whole
roster and bank file: that path is tested in ``jiuzhu/payments``; here only its rows matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.payments.tests.conftest import admin, approved_case, county, png, signed_intake  # noqa: F401

YEAR = 2026
COUNTY, ZHANGSHANZI, JIANTOUJI = "370405", "370405101", "370405103"


@pytest.fixture
def paid() -> Callable[..., Any]:
    from jiuzhu.payments.models import LedgerEntry

    def make(app: Any, month: dt.date | None, amount_fen: int, *, attempt: int = 0) -> Any:
        return LedgerEntry.objects.create(
            kind="payment",
            application=app,
            person_id=app.applicant_id,
            household_id=app.household_id,
            program=app.program,
            area_code=app.area_code,
            county_code=app.county_code,
            period=month,
            amount_fen=amount_fen,
            attempt=attempt,
            reason="银行发放成功（测试）",
            source="bank",
        )

    return make


@pytest.fixture
def reverse() -> Callable[..., Any]:
    from jiuzhu.payments.models import LedgerEntry

    def make(entry: Any, amount_fen: int | None = None) -> Any:
        return LedgerEntry.objects.create(
            kind="reversal",
            application_id=entry.application_id,
            person_id=entry.person_id,
            household_id=entry.household_id,
            program=entry.program,
            area_code=entry.area_code,
            county_code=entry.county_code,
            period=entry.period,
            amount_fen=amount_fen or entry.amount_fen,
            reverses=entry,
            reason="银行退汇（测试）",
            source="bank",
        )

    return make


@pytest.fixture
def line(county: Any) -> Callable[..., Any]:  # noqa: F811
    from jiuzhu.funds import actions

    def make(area: str = COUNTY, program: str = "dibao", source: str = "local", amount_fen: int = 1_200_000_00, **kw):
        return actions.create_budget_line(
            by=county,
            year=kw.pop("year", YEAR),
            area_code=area,
            program=program,
            source=source,
            amount_fen=amount_fen,
            **kw,
        )

    return make
