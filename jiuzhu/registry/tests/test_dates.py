"""A member's dates as the clerk is told about them: a death date after today or before the
birth date is refused with the date it conflicts with, written as a Chinese date (no leading
zeros, no "YYYY-MM-DD")."""

from __future__ import annotations

import datetime as dt

import time_machine

from jiuzhu.core.idnumber import make_id_number
from jiuzhu.registry.validation import Errors, clean_member


def _death(death: str) -> list[str]:
    errors = Errors()
    raw = {"name": "测试甲", "id_number": make_id_number("370405", dt.date(1956, 3, 8), 17, "M"), "relation": "self"}
    clean_member({**raw, "death_date": death}, "members[0]", errors)
    return [e.message for e in errors.items if e.field == "members[0].death_date"]


def test_a_death_date_is_refused_with_the_date_it_conflicts_with() -> None:
    with time_machine.travel(dt.datetime(2026, 12, 7, 10, 0), tick=False):
        assert _death("2027-01-10") == ["死亡日期不能晚于今天（2026年12月7日）"]
        assert _death("1950-01-01") == ["死亡日期不能早于出生日期（1956年3月8日）"]
        assert _death("2026-12-05") == []
        assert _death("5/12/2026") == ["死亡日期格式应为“2026-01-31”"]
