"""节假日安排: the administrator-kept part of the working-day calendar.

``chinesecalendar`` knows the official schedule up to its last year; this table overrides
single days and holds whole years published after the package.
"""

from __future__ import annotations

from django.db import models


class HolidayYear(models.Model):  # 年度节假日安排 (国务院办公厅通知)
    """Entering a year makes its schedule official (no more 暂估). The 13 statutory days are
    always off; the notice's further days off and 调休 working days are ``DayOverride`` rows."""

    year = models.PositiveSmallIntegerField("年度", primary_key=True)
    source = models.CharField("依据文件", max_length=200, help_text="如：国办发明电〔2025〕7号")
    note = models.TextField(
        "说明",
        blank=True,
        help_text="法定节假日（元旦、春节、清明、劳动节、端午、中秋、国庆）系统自动计入；"
        "请在“节假日调整”中录入通知另行安排的放假日和调休上班日。",
    )

    class Meta:
        ordering = ["-year"]
        verbose_name = verbose_name_plural = "年度节假日安排"

    def __str__(self) -> str:
        return f"{self.year}年"


class DayOverride(models.Model):  # 单日调整: 法定节假日 or 调休上班
    date = models.DateField("日期", primary_key=True)
    is_working_day = models.BooleanField("是否上班", help_text="勾选：调休上班；不勾选：放假")
    name = models.CharField("名称", max_length=32, blank=True, help_text="如：春节、国庆节调休")

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = "节假日调整"

    def __str__(self) -> str:
        return f"{self.date} {'上班' if self.is_working_day else '放假'} {self.name}"
