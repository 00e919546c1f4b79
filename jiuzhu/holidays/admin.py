from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from jiuzhu.accounts.models import User

from .actions import recompute_open_deadlines
from .calendar import current_calendar
from .models import DayOverride, HolidayYear


def _recompute(request: HttpRequest, old: Any, since: dt.date, reason: str) -> None:
    moved = recompute_open_deadlines(old, since, reason, by=cast(User, request.user))  # admin: staff only
    if moved:
        messages.info(request, f"已按新的节假日安排重新计算 {moved} 个未到期的办理时限。")


@admin.register(HolidayYear)
class HolidayYearAdmin(admin.ModelAdmin[HolidayYear]):
    list_display = ["year", "source"]

    def save_model(self, request: HttpRequest, obj: HolidayYear, form: Any, change: bool) -> None:
        old = current_calendar()
        super().save_model(request, obj, form, change)
        _recompute(request, old, dt.date(obj.year, 1, 1), f"录入{obj.year}年度节假日安排（{obj.source}）")

    def delete_model(self, request: HttpRequest, obj: HolidayYear) -> None:
        old = current_calendar()
        super().delete_model(request, obj)
        _recompute(request, old, dt.date(obj.year, 1, 1), f"删除{obj.year}年度节假日安排")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HolidayYear]) -> None:
        years = sorted(queryset.values_list("year", flat=True))
        old = current_calendar()
        super().delete_queryset(request, queryset)
        if years:
            _recompute(request, old, dt.date(years[0], 1, 1), f"删除{'、'.join(map(str, years))}年度节假日安排")


@admin.register(DayOverride)
class DayOverrideAdmin(admin.ModelAdmin[DayOverride]):
    list_display = ["date", "is_working_day", "name"]
    list_filter = ["is_working_day"]
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: DayOverride, form: Any, change: bool) -> None:
        old = current_calendar()
        super().save_model(request, obj, form, change)
        since = min(obj.date, form.initial.get("date") or obj.date)
        _recompute(request, old, since, f"调整{obj.date:%Y-%m-%d}为{'上班' if obj.is_working_day else '放假'}")

    def delete_model(self, request: HttpRequest, obj: DayOverride) -> None:
        old = current_calendar()
        super().delete_model(request, obj)
        _recompute(request, old, obj.date, f"删除{obj.date:%Y-%m-%d}的节假日调整")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[DayOverride]) -> None:
        dates = sorted(queryset.values_list("date", flat=True))
        old = current_calendar()
        super().delete_queryset(request, queryset)
        if dates:
            _recompute(request, old, dates[0], f"删除{len(dates)}个节假日调整")
