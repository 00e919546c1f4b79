"""救助项目库 (the program catalog) and dated parameter changes with two-person approval."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from jiuzhu.areas.models import code_range

LAYER_CHOICES = [
    ("basic", "基本生活救助"),
    ("special", "专项救助"),
    ("emergency", "急难救助"),
    ("social", "社会力量参与"),
]
APPROVAL_LEVEL_CHOICES = [("town", "镇（街道）"), ("county", "县级"), ("department", "主管部门")]


class AssistanceProgramQuerySet(models.QuerySet["AssistanceProgram"]):
    def for_county(self, county_code: str) -> AssistanceProgramQuerySet:
        """The catalog-wide programs and the county's own local ones (never another county's)."""
        return self.filter(models.Q(county_code="") | models.Q(county_code=county_code))

    def visible_to(self, user: Any) -> AssistanceProgramQuerySet:
        """What a user may see: the catalog, plus the local programs of the user's county."""
        county = getattr(getattr(user, "area", None), "county_code", "") or ""
        if getattr(user, "is_superuser", False):
            return self.all()
        return self.for_county(county) if county else self.filter(county_code="")


class AssistanceProgram(models.Model):  # 救助项目 (救助援助项目库)
    code = models.CharField("项目代码", max_length=48, unique=True)
    name = models.CharField("项目名称", max_length=64)
    layer = models.CharField("类别", max_length=12, choices=LAYER_CHOICES)
    department_code = models.CharField("主管部门代码", max_length=32)
    department_name = models.CharField("主管部门", max_length=64)
    engine_program = models.CharField("测算规则", max_length=32, blank=True)
    target_group = models.TextField("救助对象")
    conditions = models.TextField("主要条件")
    benefits = models.TextField("救助内容")
    documents = models.JSONField("申请材料", default=list)
    legal_basis = models.JSONField("政策依据", default=list)
    procedure = models.TextField("办理流程")
    time_limit_working_days = models.PositiveSmallIntegerField("办理时限（工作日）", null=True, blank=True)
    approval_level = models.CharField("审批层级", max_length=12, choices=APPROVAL_LEVEL_CHOICES)
    referral = models.BooleanField("纳入一体联动派单", default=False)
    # 救助对象单位: a household program's help is the household's (recorded once for the family);
    # a person program's help is each named member's own.
    benefit_unit = models.CharField(
        "救助对象单位", max_length=10, choices=[("person", "个人"), ("household", "家庭")], default="person"
    )
    requirements = models.JSONField("需求编号", default=list)
    seeds = models.JSONField("来源文件", default=list)
    is_active = models.BooleanField("启用", default=True)
    # 本县自设项目 (PRG-2): a local program belongs to one county and is seen by that county only;
    # blank = a program of the catalog, offered to every county.
    county_code = models.CharField("自设县区", max_length=6, blank=True, db_index=True)

    objects = AssistanceProgramQuerySet.as_manager()

    class Meta:
        ordering = ["layer", "id"]
        verbose_name = verbose_name_plural = "救助项目"

    def __str__(self) -> str:
        return self.name


class ParameterChangeQuerySet(models.QuerySet["ParameterChange"]):
    def visible_to(self, user: Any) -> ParameterChangeQuerySet:
        """Changes for the user's area and below, and for the areas above it (which apply to it)."""
        if user.is_superuser:
            return self.all()
        if user.area is None:
            return self.none()
        prefix = user.area.prefix
        low, high = code_range(prefix)
        above = [prefix[:n] for n in (2, 4, 6, 9) if n < len(prefix)] + ["CN"]
        return self.filter(models.Q(area_code__in=above) | models.Q(area_full__gte=low, area_full__lte=high))

    def to_confirm_by(self, user: Any) -> ParameterChangeQuerySet:
        """双人复核: the proposed changes the user may confirm — of those visible, not the areas
        above (confirmed there), and not the user's own proposals."""
        waiting = self.visible_to(user).filter(status="proposed").exclude(proposed_by=user)
        if user.is_superuser:
            return waiting
        low, high = code_range(user.area.prefix)
        return waiting.filter(area_full__gte=low, area_full__lte=high)


STATUS_CHOICES = [("proposed", "待复核"), ("confirmed", "已生效"), ("rejected", "已退回")]


class ParameterChange(models.Model):  # 参数调整: one proposes, another confirms (two-person rule)
    name = models.CharField("参数", max_length=96)
    area_code = models.CharField("适用区划", max_length=12, help_text="如 370405；CN 为全国默认")
    area_full = models.CharField(max_length=12, editable=False)
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True, help_text="依据文件有有效期的，填其最后一日")
    value = models.JSONField("参数值（内部单位）")
    reason = models.TextField("调整理由")
    source = models.CharField("文件依据", max_length=200)
    status = models.CharField("状态", max_length=12, choices=STATUS_CHOICES, default="proposed")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("复核意见", max_length=200, blank=True)

    objects = ParameterChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = verbose_name_plural = "参数调整"

    def __str__(self) -> str:
        return f"{self.name}@{self.area_code} {self.valid_from}"

    @property
    def area_label(self) -> str:
        from jiuzhu.web.labels import area_label

        return area_label(self.area_code)


class CountyProgram(models.Model):  # 本县开展的救助项目: a county's choice from the 救助项目库 (PRG-2)
    county_code = models.CharField("县级区划", max_length=6)
    program = models.ForeignKey(AssistanceProgram, verbose_name="救助项目", on_delete=models.PROTECT, related_name="+")
    chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="选定人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    chosen_at = models.DateTimeField("选定时间", default=timezone.now)
    # The county's own entries of its 一次办好 事项清单 (INT-16); blank = the catalog's.
    department = models.ForeignKey(
        "accounts.Department",
        verbose_name="承办部门（本县）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department_name = models.CharField("承办部门", max_length=64, blank=True)
    contact_person = models.CharField("联系人", max_length=32, blank=True)
    contact_phone = models.CharField("联系电话", max_length=32, blank=True)
    materials = models.JSONField(
        "申请材料（本县）", default=list, blank=True, help_text="为空时使用救助项目库的申请材料"
    )
    # 取消的证明事项 (INT-18, 一证申请): [{"name": 证明名称, "document": 取消依据文号}]
    abolished_proofs = models.JSONField("取消的证明事项", default=list, blank=True)
    is_active = models.BooleanField("本县开展", default=True)
    note = models.TextField("备注", blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", null=True, blank=True)

    class Meta:
        ordering = ["county_code", "program_id"]
        constraints = [models.UniqueConstraint(fields=["county_code", "program"], name="county_program_unique")]
        verbose_name = verbose_name_plural = "本县救助项目"

    def __str__(self) -> str:
        return f"{self.county_code} {self.program_id}"
