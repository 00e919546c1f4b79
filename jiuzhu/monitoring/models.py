"""动态管理与主动发现: reviews (复核) of cases in payment — due, reported changes, deaths and
department-data warnings — with their conclusion (continue, change, 渐退, stop)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.core.jobs import JobModel

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


LIFE_EVENT_KINDS = [
    ("death", "死亡（户籍注销）"),  # 死亡 / 死亡注销: 公安 户籍 or 民政 殡葬 data
    ("moved_out", "户籍迁出本县"),  # 迁出: the county's 户籍 left (transfer, LNK-11)
]
LIFE_EVENT_STATUS = [
    ("applied", "已停发或暂停"),  # the money of the family's cases was stopped or suspended
    ("known", "此前已登记"),  # the death was already in the 一户一档 (its action ran then)
    ("no_case", "无在保案件"),  # the registry fact is set; nobody of the family is paid monthly
]


class LifeEventQuerySet(AreaScopedQuerySet):
    pass


class LifeEvent(models.Model):  # 生命事件: a death or move out in department data (DYN-7, LNK-11)
    """One person's death or move out of the county as a department batch said it: the source
    of the registry fact (the death date, or the moved-out status), and what it did to the
    money of the family's cases (``cases``: one entry per case — stopped or suspended from
    which month, the review opened, months already at the bank to recover, the notice)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="life_events")
    household = models.ForeignKey(
        "registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="life_events"
    )
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    kind = models.CharField("事件", max_length=12, choices=LIFE_EVENT_KINDS)
    event_on = models.DateField("事件日期")
    category = models.CharField("部门登记类型", max_length=32, blank=True)
    detail = models.CharField("部门记录摘要", max_length=200, blank=True)
    batch = models.ForeignKey("verification.Batch", on_delete=models.PROTECT, related_name="+")
    source_name = models.CharField("数据来源", max_length=100)
    status = models.CharField("处理结果", max_length=10, choices=LIFE_EVENT_STATUS)
    cases = models.JSONField("涉及案件", default=list, blank=True)
    recorded_at = models.DateTimeField("处理时间", default=timezone.now)

    objects = LifeEventQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "event_on"], name="life_event_once_per_person_day")
        ]
        verbose_name = verbose_name_plural = "部门数据生命事件"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person_id}"

    @property
    def recovery_months(self) -> list[str]:
        return sorted({m for c in self.cases for m in c.get("recover_months", [])})


# ---- 政策找人 (issue 17 items 1 and 3): monitoring rules, warnings and grid tasks -------------

WARNING_LEVELS = [("red", "红色"), ("orange", "橙色"), ("yellow", "黄色")]
WARNING_STATUS = [("open", "待派单"), ("tasked", "核查中"), ("closed", "已办结")]
TASK_STATUS = [("open", "待核查"), ("visited", "已走访"), ("closed", "已办结")]
TASK_OUTCOMES = [
    ("applied", "已代为申请救助"),
    ("referred", "已转介相关部门"),
    ("not_eligible", "经核查不符合条件"),
    ("not_found", "查无此人（户）"),
    ("already_helped", "已获得救助帮扶"),
]


class MonitoringRuleQuerySet(models.QuerySet["MonitoringRule"]):
    def visible_to(self, user: Any) -> MonitoringRuleQuerySet:
        """A county's rules are seen by the staff of that county (any level below it)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        area = getattr(user, "area", None)
        if area is None or not user.has_perm_code("registry.view"):
            return self.none()
        return self.filter(county_code=area.code[:6])

    def in_force(self, on: dt.date) -> MonitoringRuleQuerySet:
        return self.filter(enabled=True, valid_from__lte=on).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))


class MonitoringRule(models.Model):  # 预警规则: a county's dated condition over department and registry data
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    code = models.CharField("规则代码", max_length=32)
    name = models.CharField("规则名称", max_length=64)
    level = models.CharField("预警等级", max_length=8, choices=WARNING_LEVELS)
    reason = models.CharField("预警事由", max_length=200)
    program = models.CharField("指向救助项目", max_length=16)
    # One condition of the vocabulary in monitoring/warnings.py (CONDITIONS), e.g.
    # {"measure": "medical_expense_12m", "op": ">=", "value": 20000}.
    condition = models.JSONField("预警条件")
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    source_document = models.CharField("依据文件", max_length=200)
    enabled = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MonitoringRuleQuerySet.as_manager()

    class Meta:
        ordering = ["county_code", "code"]
        constraints = [models.UniqueConstraint(fields=["county_code", "code"], name="monitoring_rule_code_unique")]
        verbose_name = verbose_name_plural = "预警规则"

    def __str__(self) -> str:
        return self.name  # the code stays internal; people read the name


class WarningQuerySet(AreaScopedQuerySet):
    def unclosed(self) -> WarningQuerySet:
        return self.exclude(status="closed")


class Warning(models.Model):  # 预警: a person the rules found, with the facts that triggered it
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="warnings")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    level = models.CharField("预警等级", max_length=8, choices=WARNING_LEVELS, db_index=True)
    program = models.CharField("指向救助项目", max_length=16)
    reason = models.CharField("预警事由", max_length=300)
    # [{"source": code, "source_name": ..., "label": ..., "value": ..., "batch": id}]
    facts = models.JSONField("触发数据", default=list)
    period = models.CharField("预警期间", max_length=7)  # YYYY-MM of the evaluation
    status = models.CharField("状态", max_length=8, choices=WARNING_STATUS, default="open", db_index=True)
    created_at = models.DateTimeField("预警时间", default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = WarningQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "person", "period"], name="warning_once_per_rule_person_period")
        ]
        verbose_name = verbose_name_plural = "预警"

    def __str__(self) -> str:
        return f"预警#{self.pk} {self.rule_id}"


class GridTaskQuerySet(AreaScopedQuerySet):
    def unclosed(self) -> GridTaskQuerySet:
        return self.exclude(status="closed")

    def overdue(self, today: dt.date | None = None) -> GridTaskQuerySet:
        return self.unclosed().filter(due_on__lt=today or timezone.localdate())


class GridTask(models.Model):  # 核查任务: a warning sent to the village (网格员) of the person's address
    warning = models.OneToOneField(Warning, on_delete=models.PROTECT, related_name="task")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    status = models.CharField("状态", max_length=8, choices=TASK_STATUS, default="open", db_index=True)
    due_on = models.DateField("核查期限", db_index=True)
    escalated_at = models.DateTimeField("上报乡镇时间", null=True, blank=True)
    visited_at = models.DateTimeField("走访时间", null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    situation = models.TextField("走访情况", blank=True)
    needs = models.TextField("困难和需求", blank=True)
    photo = models.ForeignKey("registry.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField("核查结果", max_length=16, choices=TASK_OUTCOMES, blank=True)
    outcome_note = models.CharField("结果说明", max_length=300, blank=True)
    referred_to = models.CharField("转介部门", max_length=64, blank=True)
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    created_at = models.DateTimeField("派单时间", default=timezone.now)

    objects = GridTaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = verbose_name_plural = "核查任务"

    def __str__(self) -> str:
        return f"核查任务#{self.pk}"

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None


# ---- 摸底排查 campaigns (issue 17 item 5, DIS-2) ---------------------------------------------------

# 排查对象 (target groups): registry categories and simple criteria, see monitoring/campaigns.py
CAMPAIGN_TARGETS = [
    ("left_behind", "“三留守”人员"),
    ("severe_disabled", "重度残疾人（一、二级）"),
    ("elderly_alone", "独居老年人"),
    ("dibao_edge", "低保边缘家庭"),
    ("all", "全部户"),
]
CAMPAIGN_STATUS = [("draft", "草拟"), ("running", "排查中"), ("closed", "已结束")]
VISIT_RESULTS = [
    ("difficulty", "发现困难"),  # opens a 核查任务 for the village (warning → task → closure)
    ("no_difficulty", "无困难"),
    ("not_found", "未找到（家中无人）"),
    ("moved", "已搬迁"),
]


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def visible_to(self, user: Any) -> CampaignQuerySet:
        """A county's campaigns are seen by the staff of that county (any level below it)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        area = getattr(user, "area", None)
        if area is None or not user.has_perm_code("registry.view"):
            return self.none()
        return self.filter(county_code=area.code[:6])


class Campaign(models.Model):  # 摸底排查: a county's screening campaign over target households
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    name = models.CharField("排查名称", max_length=64)
    # 9-digit town codes; empty = the whole county (全县)
    towns = models.JSONField("排查范围（乡镇）", default=list, blank=True)
    targets = models.JSONField("排查对象", default=list)  # codes of CAMPAIGN_TARGETS
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    source_document = models.CharField("依据文件", max_length=200)
    status = models.CharField("状态", max_length=8, choices=CAMPAIGN_STATUS, default="draft", db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    launched_at = models.DateTimeField("启动时间", null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "摸底排查"

    def __str__(self) -> str:
        return self.name


class CampaignVisitQuerySet(AreaScopedQuerySet):
    pass


class CampaignVisit(models.Model):  # 排查户: one target household of a campaign and its visit
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="visits")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    visited_on = models.DateField("走访日期", null=True, blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField("排查结果", max_length=16, choices=VISIT_RESULTS, blank=True)
    note = models.CharField("情况说明", max_length=300, blank=True)
    task = models.ForeignKey(GridTask, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = CampaignVisitQuerySet.as_manager()

    class Meta:
        ordering = ["area_code", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "household"], name="campaign_visit_once_per_household")
        ]
        indexes = [models.Index(fields=["campaign", "area_code"], name="campaign_visit_area_idx")]
        verbose_name = verbose_name_plural = "排查户"

    def __str__(self) -> str:
        return f"排查户#{self.pk}"


# ---- 疑似困难人员名单 (issue 17 item 2, DIS-3, DIS-4, REG-6, DIS-11) -----------------------------


def _lists_seen_by(user: Any) -> Q | None:
    """Who sees a list's report or failure: the department that pushed the list and the
    county's staff (verification centre, administrator, county civil-affairs officers). ``Q()``
    for everything, None for nothing."""
    from jiuzhu.verification.models import Batch

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    area = getattr(user, "area", None)
    if area is None:
        return None
    seen = Q(batch__in=Batch.objects.visible_to(user).values("pk"))
    if area.code.endswith("000000") and user.has_perm_code("registry.view"):
        seen |= Q(county_code=area.code[:6])
    return seen


class SuspectedListQuerySet(models.QuerySet["SuspectedList"]):
    def visible_to(self, user: Any) -> SuspectedListQuerySet:
        seen = _lists_seen_by(user)
        return self.none() if seen is None else self.filter(seen)


class AfterLoadFailureQuerySet(models.QuerySet["AfterLoadFailure"]):
    def visible_to(self, user: Any) -> AfterLoadFailureQuerySet:
        seen = _lists_seen_by(user)
        return self.none() if seen is None else self.filter(seen)


class SuspectedList(models.Model):  # 疑似困难人员名单: a department's pushed list, matched and deduplicated
    """What one loaded list did: how many rows and persons it named, how many matched the
    county's 一户一档, which were unknown (masked IDs), who was already helped or warned, who
    lives in another county, and the warnings (→ 核查任务) it created. One per batch."""

    batch = models.OneToOneField("verification.Batch", on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="+")
    source_code = models.CharField("名单类型", max_length=64)
    source_name = models.CharField("名单名称", max_length=100)
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    rows = models.PositiveIntegerField("名单行数", default=0)
    persons = models.PositiveIntegerField("名单人数", default=0)
    duplicates = models.PositiveIntegerField("名单内重复行", default=0)
    matched = models.PositiveIntegerField("匹配本县在册人员", default=0)
    unknown = models.PositiveIntegerField("一户一档中无此人", default=0)
    outside = models.PositiveIntegerField("非本县人员", default=0)
    deceased = models.PositiveIntegerField("已故人员", default=0)
    recipients = models.PositiveIntegerField("已享受该项救助", default=0)
    open_cases = models.PositiveIntegerField("有在办申请", default=0)
    open_warnings = models.PositiveIntegerField("已有未办结预警", default=0)
    created = models.PositiveIntegerField("新建预警", default=0)
    # [{"row": 3, "id_number": "370405********1234", "reason": "高额医疗自付"}] (masked, first 500)
    unknown_rows = models.JSONField("无法匹配的名单行", default=list, blank=True)
    processed_at = models.DateTimeField("处理时间", default=timezone.now)

    objects = SuspectedListQuerySet.as_manager()

    class Meta:
        ordering = ["-processed_at", "-id"]
        verbose_name = verbose_name_plural = "疑似困难人员名单"

    def __str__(self) -> str:
        return f"{self.source_name} 批次#{self.batch_id}"


AFTER_LOAD_STEPS = [  # what dynamic management does when a department batch has loaded
    ("life_events", "死亡、迁出信息同步（停发、暂停、告知）"),
    ("rules", "预警规则评估"),
    ("suspected", "疑似困难人员名单处理"),
]


class AfterLoadFailure(models.Model):  # 入库后处理失败: a step after a batch's load that failed
    """A step run when a department batch has loaded (``verification.signals.batch_loaded``:
    life events, the monitoring rules, a 疑似困难人员名单) that failed — a missing weight
    setting, say. Each step is isolated: its own transaction rolled back, the batch stays
    loaded and the other steps go on; the failure is kept here with its reason until a retry
    runs the step (``resolved_at``). One row per batch and step."""

    batch = models.ForeignKey("verification.Batch", on_delete=models.PROTECT, related_name="+")
    step = models.CharField("处理环节", max_length=16, choices=AFTER_LOAD_STEPS, default="suspected")
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    source_code = models.CharField("数据类型", max_length=64)
    source_name = models.CharField("数据名称", max_length=100)
    error = models.CharField("失败原因", max_length=500)
    failed_at = models.DateTimeField("失败时间", default=timezone.now)
    attempts = models.PositiveSmallIntegerField("处理次数", default=1)
    resolved_at = models.DateTimeField("重试成功时间", null=True, blank=True)

    objects = AfterLoadFailureQuerySet.as_manager()

    class Meta:
        ordering = ["-failed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["batch", "step"], name="after_load_failure_once")]
        verbose_name = verbose_name_plural = "部门数据入库后处理失败"

    def __str__(self) -> str:
        return f"{self.source_name}（批次#{self.batch_id}）{self.get_step_display()}失败"


# ---- 应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12) ---------------------------------------------


EMERGENCY_KINDS = [("flood", "洪涝"), ("earthquake", "地震"), ("fire", "火灾"), ("epidemic", "疫情"), ("other", "其他")]
EMERGENCY_STATUS = [("active", "应急期中"), ("ended", "已结束")]


class EmergencyQuerySet(models.QuerySet["Emergency"]):
    def visible_to(self, user: Any) -> EmergencyQuerySet:
        """The county sees its county's emergencies; a town or village sees the ones covering
        its town (its own town's, or the whole county's) — and only its own households in them."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        area = getattr(user, "area", None)
        if area is None or not user.has_perm_code("registry.view"):
            return self.none()
        county = area.code[:6]
        if area.level == "county":
            return self.filter(county_code=county)
        if area.level in ("city", "province"):
            return self.filter(county_code__startswith=area.code[: 4 if area.level == "city" else 2])
        return self.filter(Q(area_code=county.ljust(12, "0")) | Q(area_code=area.code[:9].ljust(12, "0")))


class Emergency(models.Model):  # 应急期: a town or the county under an emergency period for an event
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    area_code = models.CharField("应急范围", max_length=12, db_index=True)  # a town, or the county itself
    name = models.CharField("事件名称", max_length=64)
    kind = models.CharField("事件类型", max_length=16, choices=EMERGENCY_KINDS)
    starts_on = models.DateField("开始日期")
    planned_end_on = models.DateField("计划结束日期")
    source_document = models.CharField("启动依据", max_length=200)
    status = models.CharField("状态", max_length=8, choices=EMERGENCY_STATUS, default="active", db_index=True)
    # the settings in force when declared (dated settings with their sources), kept for the report
    advance_fen = models.PositiveIntegerField("每户先行救助金额（分）")
    transition_monthly_fen = models.PositiveIntegerField("过渡期生活救助月额（分）")
    transition_months = models.PositiveSmallIntegerField("过渡期月数")
    settings_sources = models.JSONField("设置依据", default=dict)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_at = models.DateTimeField("结束时间", null=True, blank=True)
    end_note = models.CharField("结束说明", max_length=300, blank=True)
    report = models.JSONField("结束报告", default=dict, blank=True)
    imports = models.JSONField("名单导入记录", default=list, blank=True)  # masked IDs only

    objects = EmergencyQuerySet.as_manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        verbose_name = verbose_name_plural = "应急期"

    def __str__(self) -> str:
        return self.name


class EmergencyHouseholdQuerySet(AreaScopedQuerySet):
    pass


class EmergencyHousehold(models.Model):  # 受灾户: one household of the 应急 victims list
    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="households")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    persons = models.PositiveSmallIntegerField("名单人数", default=1)
    loss = models.CharField("受灾情况", max_length=200, blank=True)
    listed_at = models.DateTimeField(default=timezone.now)
    listed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    # 先行救助: the 急难型临时救助 case opened and paid from the town's reserve
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    advance_fen = models.PositiveIntegerField("先行救助金额（分）", default=0)
    relieved_at = models.DateTimeField("先行救助时间", null=True, blank=True)
    transition_months_paid = models.PositiveSmallIntegerField("已发过渡期月数", default=0)
    transition_fen = models.PositiveIntegerField("过渡期生活救助合计（分）", default=0)

    objects = EmergencyHouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["area_code", "household_id"]
        constraints = [
            models.UniqueConstraint(fields=["emergency", "household"], name="emergency_household_once"),
        ]
        verbose_name = verbose_name_plural = "受灾户"

    def __str__(self) -> str:
        return f"受灾户#{self.pk}"


RELIEF_JOB_STATUS = [("queued", "排队中"), ("running", "救助中"), ("done", "已完成"), ("failed", "失败")]


class EmergencyRelief(JobModel):  # 批量先行救助任务: one batch 24-hour relief, a job that recovers
    """One request for batch 先行救助 over the listed households of the requester's jurisdiction.
    ``households`` are the 受灾户 ids it relieves, fixed when asked (after the reserve check);
    each household is relieved in its own transaction (case, reserve draw, ledger, the row's
    ``application``), so a killed worker leaves whole households done and the rest untouched;
    a retry relieves only the ones still without a case — no household is paid twice."""

    emergency = models.ForeignKey(Emergency, on_delete=models.PROTECT, related_name="reliefs")
    area_code = models.CharField(max_length=12, db_index=True)  # the requester's jurisdiction
    households = models.JSONField("受灾户", default=list)
    status = models.CharField("状态", max_length=8, choices=RELIEF_JOB_STATUS, default="queued")
    done = models.PositiveIntegerField("已处理户数", default=0)
    total = models.PositiveIntegerField("户数", default=0)
    relieved = models.PositiveIntegerField("已先行救助户数", default=0)
    amount_fen = models.BigIntegerField("先行救助金额（分）", default=0)
    error = models.CharField("失败原因", max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "批量先行救助任务"
        constraints = [
            models.UniqueConstraint(
                fields=["emergency", "area_code"],
                condition=Q(status__in=("queued", "running")),
                name="emergency_relief_one_open_per_area",
            )
        ]

    def __str__(self) -> str:
        return f"relief {self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


# ---- 现场发现报告 (issue 17 item 4, DIS-5, INT-24) ------------------------------------------------

FIELD_URGENCY = [("normal", "一般"), ("urgent", "紧急"), ("critical", "危急")]
FIELD_STATUS = [("open", "待处理"), ("matched", "已认定身份"), ("closed", "已办结")]
FIELD_GENDERS = [("M", "男"), ("F", "女"), ("", "不详")]


class FieldReportQuerySet(AreaScopedQuerySet):
    pass


class FieldReport(models.Model):  # 现场发现报告: a person or family a grid worker found in the field
    # 临时编号 for a person without an ID number (身份不明, 流浪乞讨): "LS-<county>-<yyyymmdd>-<nnnn>",
    # letters and hyphens, so it can never equal a real 18-digit ID (docs/decisions.md).
    temp_number = models.CharField("临时编号", max_length=32, unique=True, null=True, blank=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="field_reports"
    )
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    name = models.CharField("姓名（自述或估计）", max_length=32, blank=True)
    gender = models.CharField("性别", max_length=1, choices=FIELD_GENDERS, blank=True)
    approx_age = models.PositiveSmallIntegerField("估计年龄", null=True, blank=True)
    description = models.CharField("体貌特征", max_length=300, blank=True)
    place = models.CharField("发现地点", max_length=200)
    situation = models.TextField("现场情况")
    needs = models.TextField("困难和需求", blank=True)
    urgency = models.CharField("紧急程度", max_length=8, choices=FIELD_URGENCY, default="normal")
    photo = models.ForeignKey("registry.Document", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=8, choices=FIELD_STATUS, default="open", db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("报告时间", default=timezone.now)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    matched_at = models.DateTimeField("身份认定时间", null=True, blank=True)
    # The registry record under the 临时编号 of a person found without an ID (INT-24); merged into
    # ``person`` when the identity is matched (monitoring/field_merge.py).
    temp_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="temp_field_reports"
    )
    # 核查任务 of the village for an identified person (网格员发现, like a warning's)
    task = models.OneToOneField(GridTask, null=True, blank=True, on_delete=models.PROTECT, related_name="field_report")
    # 来源地（户籍地）county of a 流浪乞讨 person, when known (LNK-11)
    origin_county_code = models.CharField("来源地（县级区划）", max_length=6, blank=True)
    # 转介救助管理站 (PRG-13) and 移交来源地 (LNK-11): referral records with their own status
    station_referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handoff_referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = FieldReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "现场发现报告"

    def __str__(self) -> str:
        return f"现场发现报告#{self.pk}"

    @property
    def unidentified(self) -> bool:
        return self.person_id is None


# ---- 抽查 (SUP-5): the county's random spot checks of the towns' decisions after devolution ----

SPOT_CHECK_STATUS = [("checking", "抽查中"), ("closed", "已结束")]
SPOT_CHECK_RESULTS = [("compliant", "符合规定"), ("problem", "存在问题")]


class SpotCheckQuerySet(models.QuerySet["SpotCheck"]):
    def visible_to(self, user: Any) -> SpotCheckQuerySet:
        """A county's spot checks are read by whoever may see staff conduct in that county (the
        county, its supervisors, each town's 审批 leadership for its own cases)."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        area = getattr(user, "area", None)
        if area is None or not user.has_perm_code("monitoring.conduct"):
            return self.none()
        return self.filter(county_code=area.code[:6])


class SpotCheck(models.Model):  # 抽查批次: a random sample of the towns' decisions in a period
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    name = models.CharField("抽查名称", max_length=64)
    decided_from = models.DateField("审批日期自")
    decided_to = models.DateField("审批日期至")
    towns = models.JSONField("抽查乡镇", default=list, blank=True)  # 9-digit codes; empty = all towns
    programs = models.JSONField("救助项目", default=list, blank=True)  # empty = every program
    percent = models.PositiveSmallIntegerField("抽查比例（%）")  # the setting in force on the day drawn
    population = models.PositiveIntegerField("可抽查案件数")
    seed = models.CharField("抽样种子", max_length=32)  # the draw can be repeated and checked (步步能倒查)
    status = models.CharField("状态", max_length=8, choices=SPOT_CHECK_STATUS, default="checking", db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)

    objects = SpotCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "抽查"

    def __str__(self) -> str:
        return self.name


class SpotCheckItemQuerySet(AreaScopedQuerySet):
    pass


class SpotCheckItem(models.Model):  # 抽查案件: one drawn case, its finding and the town's 整改
    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    result = models.CharField("抽查结论", max_length=10, choices=SPOT_CHECK_RESULTS, blank=True)
    finding = models.CharField("发现的问题", max_length=300, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField("检查时间", null=True, blank=True)
    rectification = models.CharField("整改情况", max_length=300, blank=True)
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rectified_at = models.DateTimeField("整改反馈时间", null=True, blank=True)

    objects = SpotCheckItemQuerySet.as_manager()

    class Meta:
        ordering = ["area_code", "id"]
        constraints = [models.UniqueConstraint(fields=["spot_check", "application"], name="spot_check_case_once")]
        verbose_name = verbose_name_plural = "抽查案件"

    def __str__(self) -> str:
        return f"抽查案件#{self.pk}"
