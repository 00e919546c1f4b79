"""Helpers shared by the payment actions: the clock, the acting user, jurisdiction, months."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection
from django.utils import timezone

from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import InvalidInput

from ..models import (
    PROGRAM_LABELS,
    STOP_REASONS,
    BankLine,
    RosterLine,
    month_start,
)

STOP_REASON_LABELS = dict(STOP_REASONS)

# The reasons staff choose when they stop a benefit (停发 by hand or by a review's 结论). A death is
# entered in the 一户一档 (it stops or suspends by the rules and names the dead on the notice, which
# goes to the family); the end of a 渐退期 is recorded by the roster when it comes.
CHOSEN_STOP_REASONS = [(code, label) for code, label in STOP_REASONS if code not in ("death", "gradual_end")]


def check_chosen_stop_reason(reason: str, field: str) -> None:
    """Refuses a stop reason staff may not choose, saying where a death is recorded."""
    if reason == "death":
        raise InvalidInput(
            "death_in_registry",
            "家庭成员死亡的，请在一户一档中填写死亡日期：系统按规定停发或暂停发放，告知书写明死亡人员并致其家属",
            field=field,
        )
    if reason not in dict(CHOSEN_STOP_REASONS):
        raise InvalidInput("invalid_choice", "停发原因无效", field=field)


MAX_GRADUAL_MONTHS = 6


def _today() -> dt.date:
    return timezone.localdate()


def _who(by: Any) -> Any:
    return user_or_none(by)


def parse_month(raw: Any, field: str = "month") -> dt.date:
    """``2026-12`` / ``2026-12-01`` / a date → the first day of that month."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return month_start(raw)
    text = str(raw or "").strip()
    try:
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        return month_start(dt.date.fromisoformat(text))
    except ValueError:
        raise InvalidInput("invalid_month", "月份格式应为“2026-12”", field=field) from None


def _line_label(line: RosterLine) -> str:
    return f"{month_label(line.month)}{PROGRAM_LABELS.get(line.program, line.program)}"


# ==== rosters ===================================================================================


def _mask(account: str) -> str:
    return account[:4] + "****" + account[-4:] if len(account) > 8 else "****"


def _chunks(items: list[Any], size: int = 5000) -> Any:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _set_status(model: Any, rows: list[tuple[int, str, str]]) -> None:
    """UPDATE many rows' status (and bank message) by id, one statement per distinct value; on
    PostgreSQL the ids go as one array literal (binding 100,000 ints one by one costs seconds)."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pk, status, message in rows:
        groups[(status, message)].append(pk)
    for (status, message), ids in groups.items():
        fields = {"status": status, **({"bank_message": message} if model is BankLine else {})}
        if connection.vendor == "postgresql":
            sets = ", ".join(f'"{k}" = %s' for k in fields)
            with connection.cursor() as cur:
                cur.execute(
                    f'UPDATE "{model._meta.db_table}" SET {sets} WHERE id = ANY(%s::bigint[])',
                    [*fields.values(), "{" + ",".join(map(str, ids)) + "}"],
                )
            continue
        for part in _chunks(ids, 900):
            model.objects.filter(pk__in=part).update(**fields)
