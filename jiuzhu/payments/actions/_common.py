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
