"""投诉举报 (SUP-4): complaints, reports and suggestions from the public site or logged by staff
from a phone call, with a tracking number, routing to a town or department, a deadline in working
days, handling notes, the reply to the complainant and closure."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.scope import registry_scope

CATEGORIES = [("complaint", "投诉"), ("report", "举报"), ("suggestion", "咨询建议")]
CHANNELS = [("public", "网上投诉"), ("phone", "电话登记")]
STATUSES = [
    ("received", "已受理"),  # 已受理: waiting to be routed
    ("assigned", "办理中"),  # 已转办: routed to a town or department
    ("replied", "已答复"),  # 已答复: the complainant was told
    ("closed", "已办结"),  # 已办结
]


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def visible_to(self, user: Any) -> ComplaintQuerySet:
        """管辖范围: a town sees the complaints routed to it, the county all of its county's;
        a department the complaints routed to it; villages none (a report may concern them)."""
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        department = getattr(user, "department", None)
        if department is not None and not user.has_perm_code("registry.view"):
            return self.filter(department=department)
        scope = registry_scope(user)
        area = getattr(user, "area", None)
        if scope is None or isinstance(scope, str) or area is None or area.level == "village":
            return self.none()
        low, high = scope
        both = Q(town_code__gte=low, town_code__lte=high)
        if department is not None:
            both |= Q(department=department)
        return self.filter(both)

    def unclosed(self) -> ComplaintQuerySet:
        return self.exclude(status="closed")

    def overdue(self, today: dt.date | None = None) -> ComplaintQuerySet:
        return self.exclude(status__in=("replied", "closed")).filter(due_on__lt=today or timezone.localdate())


class Complaint(models.Model):  # 投诉举报件
    tracking_number = models.CharField("受理编号", max_length=24, unique=True)
    county_code = models.CharField(max_length=6, db_index=True)
    area_code = models.CharField("涉及镇村", max_length=12, db_index=True)
    town_code = models.CharField("承办乡镇（街道）", max_length=12, db_index=True)
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name="承办部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    category = models.CharField("类别", max_length=12, choices=CATEGORIES)
    channel = models.CharField("来源", max_length=8, choices=CHANNELS)
    subject = models.CharField("事项", max_length=100)
    recipient_name = models.CharField("被举报救助对象姓名", max_length=32, blank=True)
    recipient_village = models.CharField("被举报救助对象所在村", max_length=64, blank=True)
    text = models.TextField("具体内容")
    anonymous = models.BooleanField("匿名", default=False)
    # 投诉人身份: sealed like other PII, shown masked except to the handler and the county
    reporter_name_enc = models.BinaryField("投诉人姓名（密文）", null=True, blank=True)
    reporter_name_masked = models.CharField("投诉人姓名（脱敏）", max_length=32, blank=True)
    reporter_phone_enc = models.BinaryField("联系电话（密文）", null=True, blank=True)
    reporter_phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True)
    reporter_phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    # 查询码: for a reporter without a phone; sealed so that a re-key can rebuild its index
    query_code_enc = models.BinaryField("查询码（密文）", null=True, blank=True)
    query_code_index = models.CharField(max_length=64)
    status = models.CharField("状态", max_length=10, choices=STATUSES, default="received", db_index=True)
    due_on = models.DateField("办理期限", db_index=True)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="承办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField("转办时间", null=True, blank=True)
    reply = models.TextField("答复内容", blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    closing_note = models.CharField("办结说明", max_length=300, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    application = models.ForeignKey(
        "applications.Application",
        verbose_name="核实的救助案件",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_id = models.IntegerField("复核编号", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("受理时间", default=timezone.now)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "投诉举报"

    def __str__(self) -> str:
        return self.tracking_number

    def overdue_on(self, today: dt.date) -> bool:
        return self.status in ("received", "assigned") and self.due_on < today


class ComplaintNote(models.Model):  # 办理记录
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(max_length=12)  # received, assign, note, reply, close, review
    text = models.TextField()
    by_name = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.text[:20]}"


class TrackingCounter(models.Model):  # 受理编号: one sequence per county and year
    county_code = models.CharField(max_length=6)
    year = models.IntegerField()
    last = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "year"], name="complaint_counter_unique")]

    def __str__(self) -> str:
        return f"{self.county_code}-{self.year}: {self.last}"
