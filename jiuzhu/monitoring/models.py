"""动态管理与主动发现: reviews (复核) of cases in payment — due, reported changes, deaths and
department-data warnings — with their conclusion (continue, change, 渐退, stop)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet

REVIEW_KINDS = [
    ("periodic", "定期复核"),
    ("change", "变更报告"),
    ("age", "年龄变化"),
    ("death", "成员死亡"),
    ("data", "部门数据预警"),
]
REVIEW_STATUS = [
    ("open", "待复核"),
    ("verifying", "核对中"),
    ("decided", "已办结"),
]
OUTCOMES = [("continue", "维持"), ("change", "调整金额"), ("gradual", "渐退"), ("stop", "停发")]


class ReviewQuerySet(AreaScopedQuerySet):
    def open(self) -> ReviewQuerySet:
        return self.exclude(status="decided")

    def overdue(self, today: dt.date | None = None) -> ReviewQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Review(models.Model):  # 复核 (动态管理): a due review or a reported change
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="reviews")
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    kind = models.CharField("类型", max_length=10, choices=REVIEW_KINDS)
    status = models.CharField("状态", max_length=10, choices=REVIEW_STATUS, default="open")
    due_on = models.DateField("办理期限", db_index=True)
    reason = models.CharField("事由", max_length=200)
    facts = models.JSONField("复核后家庭情况", null=True, blank=True)
    verification = models.ForeignKey(
        "verification.VerificationRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    evaluation = models.JSONField("测算结果", default=dict, blank=True)
    outcome = models.CharField("复核结论", max_length=10, choices=OUTCOMES, blank=True)
    amount_before_fen = models.BigIntegerField(null=True, blank=True)
    amount_after_fen = models.BigIntegerField(null=True, blank=True)
    effective_month = models.DateField("生效月份", null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    notice = models.ForeignKey("applications.Notice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"], condition=~Q(status="decided"), name="review_one_open_per_case"
            )
        ]
        db_table = "payments_review"  # created by payments 0001; moved here without a DB change
        verbose_name = verbose_name_plural = "复核"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.application_id}"
