"""Fixtures for payments: approved monthly cases, bank accounts, reserve funds, bank results.

Approved 低保 cases: the household, its intake and its application are created through the
real registry and intake actions; the *decision* (state "approved", amount from the rules
engine, start month) is written directly to the Application row, because the full walk to
approval needs a 核对报告 from the verification app, which these tests do not fake. The
amount written is the rules engine's own result for the case's facts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.applications.tests.conftest import png, signed_intake  # noqa: F401  (fixtures)

NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)
_accounts = itertools.count(1)


def new_account() -> str:
    return f"62284800{next(_accounts):011d}"


def set_account(person: Any, account: str | None) -> None:
    from jiuzhu.registry.models import Person
    from jiuzhu.registry.pii import seal

    if account is None:
        Person.objects.filter(pk=person.pk).update(bank_account_enc=None, bank_account_index="", bank_account_masked="")
        return
    sealed = seal("bank_account", account)
    Person.objects.filter(pk=person.pk).update(
        bank_name="台儿庄农商银行",
        bank_account_enc=sealed.encrypted,
        bank_account_index=sealed.index,
        bank_account_masked=sealed.masked,
    )


@pytest.fixture
def approved_case(world: Any, household_in: Callable[..., Any]) -> Callable[..., Any]:
    """An approved monthly case (低保 by default) paying from ``start_month``; see the module
    docstring for what is real and what is written directly."""
    from django.utils import timezone

    from jiuzhu.applications.actions import default_facts
    from jiuzhu.applications.models import Application, Intake
    from jiuzhu.programs.engine import evaluate_household

    counter = itertools.count(1)

    def make(
        town: str = "张山子镇",
        *,
        start_month: dt.date = NOV,
        account: str | bool | None = True,
        program: str = "dibao",
        size: int = 3,
        facts: dict[str, Any] | None = None,
        household: Any = None,
    ) -> Any:
        h = household or household_in(town, size=size)
        head = h.members.get(relation="self")
        base = facts or default_facts(h)
        n = next(counter)
        intake = Intake.objects.create(
            receipt_number=f"SLT{h.pk}-{n}", household=h, applicant=head, channel="window", area_code=h.area_id
        )
        result = evaluate_household(h.area_id, start_month, [program], base)[program]
        assert result["eligible"], result["reasons"]
        app = Application.objects.create(
            number=f"SQT{h.pk}-{n}",
            intake=intake,
            household=h,
            applicant=head,
            program=program,
            channel="window",
            state="approved",
            area_code=h.area_id,
            county_code=h.county_code,
            urban=bool(base.get("urban")),
            facts=base,
            due_on=start_month,
            decision="approved",
            decided_at=timezone.now(),
            amount_fen=result["monthly_amount_fen"],
            approved_amount_fen=result["monthly_amount_fen"],
            trace=result["trace"],
            start_month=start_month,
            review_cycle_months=6,
        )
        if account is True:
            set_account(head, new_account())
        elif isinstance(account, str):
            set_account(head, account)
        return app

    return make


@pytest.fixture
def county(world: Any) -> Any:
    return world.user("tez_county")


@pytest.fixture
def admin(world: Any) -> Any:
    return world.user("tez_admin")


@pytest.fixture
def locked_roster(county: Any, admin: Any) -> Callable[..., Any]:
    """Generate, check, request and confirm the lock of a roster (two people)."""
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import BLOCKING

    def make(area: str = "370405", month: dt.date = NOV) -> Any:
        roster = actions.generate_roster(by=county, area_code=area, month=month)
        for line in roster.lines.exclude(exceptions=[]):
            blocking = set(BLOCKING) & set(line.exceptions)
            actions.resolve_line(line, by=county, decision="hold" if blocking else "pay", note="核实无误")
        assert actions.check_roster(roster, by=county)["status"] == "checked"
        actions.request_lock(roster, by=county)
        return actions.confirm_lock(roster, by=admin)

    return make


def result_csv(batch: Any, *, fail: dict[str, str] | None = None, rows: list[list[str]] | None = None) -> bytes:
    """The bank's 回盘 in the generic layout: every line of the batch succeeded, except the
    references in ``fail`` (reference → bank message)."""
    from jiuzhu.registry.pii import unseal

    fail = fail or {}
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["业务编号", "银行账号", "金额", "处理结果", "失败原因"])
    for bl in batch.lines.order_by("id"):
        ok = bl.reference not in fail
        w.writerow(
            [
                bl.reference,
                unseal("bank_account", bl.account_enc),
                f"{bl.amount_fen / 100:.2f}",
                "成功" if ok else "失败",
                "" if ok else fail[bl.reference],
            ]
        )
    for r in rows or []:
        w.writerow(r)
    return buf.getvalue().encode("gb18030")


def freeze_today(monkeypatch: Any, day: dt.date) -> None:
    """The payment and dynamic-management actions' own clock (``_today``) set to ``day`` in
    every actions module of both packages."""
    import importlib
    import pkgutil

    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments import actions

    for package in (actions, monitoring):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if hasattr(module, "_today"):
                monkeypatch.setattr(module, "_today", lambda: day)


def raise_standard(app: Any, *, county: Any, admin: Any, valid_from: dt.date = DEC) -> None:
    """A higher 低保标准 (the case's 城市 or 农村) from ``valid_from``, proposed and confirmed."""
    from jiuzhu.programs.actions import confirm_change, propose_change

    change = propose_change(
        by=county,
        name="dibao.standard.urban" if app.facts["urban"] else "dibao.standard.rural",
        area_code="370405",
        valid_from=valid_from,
        value=120000 if app.facts["urban"] else 90000,
        reason="按上年消费支出调整",
        source="台政字〔2026〕99号",
    )
    confirm_change(change, by=admin)
