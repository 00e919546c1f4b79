"""A provisional 2027 holiday schedule for demo data and tests only.

The State Council publishes each year's schedule around November; until the official 2027
notice is entered by an administrator, the demo needs a year to count deadlines into. These
are the statutory holidays on their expected dates (元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆),
without 调休 make-up working days, and are labelled as provisional so nobody mistakes them
for the official schedule.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from .models import DayOverride, HolidayYear

SOURCE = "演示用预估安排（非官方），国务院办公厅公布2027年节假日安排后请按通知更正"

HOLIDAYS_2027 = {
    "元旦": [(1, 1), (1, 2), (1, 3)],
    "春节": [(2, 5), (2, 6), (2, 7), (2, 8), (2, 9), (2, 10), (2, 11), (2, 12)],
    "清明节": [(4, 3), (4, 4), (4, 5)],
    "劳动节": [(5, 1), (5, 2), (5, 3), (5, 4), (5, 5)],
    "端午节": [(6, 9)],
    "中秋节": [(9, 15)],
    "国庆节": [(10, 1), (10, 2), (10, 3), (10, 4), (10, 5), (10, 6), (10, 7)],
}


def load_provisional_2027() -> bool:
    """Enter the provisional 2027 schedule unless a 2027 schedule exists; True if entered."""
    if HolidayYear.objects.filter(year=2027).exists():
        return False
    with transaction.atomic():
        HolidayYear.objects.create(year=2027, source=SOURCE, note="预估")
        DayOverride.objects.bulk_create(
            [
                DayOverride(date=dt.date(2027, m, d), is_working_day=False, name=f"{name}（预估）")
                for name, days in HOLIDAYS_2027.items()
                for m, d in days
            ],
            ignore_conflicts=True,
        )
    return True
