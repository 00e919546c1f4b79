"""一体联动: referrals (派单) to departments, the recipient registry (社会救助对象基础信息库)
and per-county referral policies (时限、启用)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from jiuzhu.accounts.scope import registry_scope

STATUS_CHOICES = [
    ("open", "待接收"),
    ("accepted", "办理中"),
    ("info_requested", "需补充信息"),
    ("granted", "已救助"),
    ("denied", "不符合条件"),
    ("returned", "已退回"),
    ("cancelled", "已撤销"),
]
CLOSED = ("granted", "denied", "returned", "cancelled")
CHANNEL_CHOICES = [("online", "系统派单"), ("paper", "线下转办（纸质）")]


class ReferralPolicy(models.Model):  # 派单配置: time limit per county and program; a program may be switched off
    county_code = models.CharField("县级区划", max_length=6)
    program = models.ForeignKey("programs.AssistanceProgram", on_delete=models.CASCADE, related_name="+")
    days = models.PositiveSmallIntegerField("办理时限（工作日）", default=10)
    enabled = models.BooleanField("启用派单", default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "program"], name="referral_policy_unique")]
        verbose_name = verbose_name_plural = "派单配置"

    def __str__(self) -> str:
        return f"{self.county_code} {self.program} {self.days}日"


class ReferralQuerySet(models.QuerySet["Referral"]):
    def visible_to(self, user: Any) -> ReferralQuerySet:
        """A department sees its own referrals only; other staff see their jurisdiction."""
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if user.is_department_user:
            if user.department_id is None:
                return self.none()
            # a paper referral (线下转办) is worked by the town, not in a department's inbox
            return self.filter(department_id=user.department_id, channel="online")
        scope = registry_scope(user)
        if scope is None:
            return self.none()
        if scope == "all":
            return self.all()
        return self.filter(area_code__gte=scope[0], area_code__lte=scope[1])

    def open(self) -> ReferralQuerySet:
        return self.exclude(status__in=CLOSED)


class Referral(models.Model):  # 派单: one program of one department for one household
    number = models.CharField("派单编号", max_length=32, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="referrals")
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    program = models.ForeignKey("programs.AssistanceProgram", on_delete=models.PROTECT, related_name="referrals")
    # null only for a paper referral to an office the county has not set up (e.g. 慈善总会)
    department = models.ForeignKey(
        "accounts.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    # 办理方式: online to a department with a staff account; on paper (线下转办: the 转办单 is
    # printed, the reply recorded by hand by the town) to an office without one.
    channel = models.CharField("办理方式", max_length=8, choices=CHANNEL_CHOICES, default="online")
    office = models.CharField("承办单位", max_length=64, blank=True)
    replied_on = models.DateField("回复日期", null=True, blank=True)  # paper: the date on the reply slip
    replier = models.CharField("回复单位及人员", max_length=64, blank=True)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    status = models.CharField("状态", max_length=16, choices=STATUS_CHOICES, default="open", db_index=True)
    reason = models.TextField("派单事由")
    facts = models.JSONField("必要信息（已脱敏）", default=dict)
    origin = models.CharField("来源", max_length=12, choices=[("auto", "认定后自动派单"), ("manual", "人工派单")])
    due_on = models.DateField("办理时限", db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("派单时间", default=timezone.now)
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    info_request = models.TextField("需补充的信息", blank=True)
    info_reply = models.TextField("补充信息", blank=True)
    result_note = models.TextField("办理结果", blank=True)
    granted_amount_fen = models.BigIntegerField("救助金额（分）", null=True, blank=True)
    granted_from = models.DateField("救助开始", null=True, blank=True)
    granted_to = models.DateField("救助结束", null=True, blank=True)
    reminded_at = models.DateTimeField("到期提醒", null=True, blank=True)
    escalated_at = models.DateTimeField("超期督办", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ReferralQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "status"], name="referral_department_status_idx")]
        verbose_name = verbose_name_plural = "派单"

    def __str__(self) -> str:
        return f"{self.number} {self.program.name}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED


class AssistanceRecordQuerySet(models.QuerySet["AssistanceRecord"]):
    def visible_to(self, user: Any) -> AssistanceRecordQuerySet:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        if user.is_department_user:
            return self.filter(department_code=getattr(user.department, "code", None))
        scope = registry_scope(user)
        if scope is None:
            return self.none()
        if scope == "all":
            return self.all()
        return self.filter(area_code__gte=scope[0], area_code__lte=scope[1])


SOURCE_CHOICES = [("application", "本系统认定"), ("referral", "派单办理结果"), ("import", "部门导入")]
UNIT_CHOICES = [("person", "个人"), ("household", "家庭")]


class AssistanceRecord(models.Model):  # 社会救助对象基础信息库: who receives or received what, from whom
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="assistance_records"
    )
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="assistance_records"
    )
    id_number_index = models.CharField(max_length=64, db_index=True)
    id_number_masked = models.CharField("身份证号", max_length=32)  # 18, or a 临时编号 (INT-24)
    name = models.CharField("姓名", max_length=32)
    program_code = models.CharField("救助项目代码", max_length=48, db_index=True)
    program_name = models.CharField("救助项目", max_length=64)
    department_code = models.CharField("发放部门", max_length=32)
    start_on = models.DateField("开始日期")
    end_on = models.DateField("结束日期", null=True, blank=True)
    amount_fen = models.BigIntegerField("金额（分）", default=0)
    period = models.CharField("发放方式", max_length=8, choices=[("monthly", "按月"), ("once", "一次性")])
    # 救助对象单位. person: amount_fen is this person's own. household: the help is the household's;
    # its amount is on one row (the holder: payee or head), the family's other rows carry 0, so a
    # sum over rows counts every grant once.
    unit = models.CharField("救助对象单位", max_length=10, choices=UNIT_CHOICES, default="person")
    source = models.CharField("来源", max_length=12, choices=SOURCE_CHOICES)
    source_ref = models.CharField("来源编号", max_length=64)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AssistanceRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_ref", "id_number_index", "program_code"],
                name="assistance_record_unique_source",
            )
        ]
        verbose_name = verbose_name_plural = "救助对象记录"

    def __str__(self) -> str:
        return f"{self.name} {self.program_name} {self.start_on}"


VISIT_KINDS = [("visit", "走访慰问"), ("pairing", "结对帮扶"), ("service", "关爱服务")]


class Visit(models.Model):  # 走访慰问、结对帮扶记录 (REG-13): who visited a family, when, with what
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="visits")
    area_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField("类型", max_length=12, choices=VISIT_KINDS)
    visited_on = models.DateField("日期")
    organization = models.CharField("单位或组织", max_length=64)
    visitors = models.CharField("人员", max_length=100)
    content = models.TextField("内容")
    amount_fen = models.BigIntegerField("慰问金或物资折价（分）", default=0)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = verbose_name_plural = "走访慰问记录"

    def __str__(self) -> str:
        return f"{self.visited_on} {self.organization}"
