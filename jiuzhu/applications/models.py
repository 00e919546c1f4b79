"""救助申请: intake (一门受理、一证申请), the case and its procedure, notices, archive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.core.jobs import JobModel
from jiuzhu.rules import PROGRAMS
from jiuzhu.rules.parameters import CODE_LABELS

# Program names come from the rules engine's catalog only (issue 15 item 3), in this order.
PROGRAM_CHOICES = [
    (code, PROGRAMS[code].name) for code in ("dibao", "tekun", "temporary", "dibao_edge", "rigid_expense")
]
TEMPORARY_KIND_CHOICES = [
    ("", "—"),
    ("emergency", "急难型"),
    ("illness", "支出型（重特大疾病）"),
    ("education", "支出型（子女教育费用）"),
]
CHANNEL_CHOICES = [
    ("window", "窗口受理"),
    ("online", "网上申请（掌上办）"),
    ("village", "村（社区）帮办代办"),
    ("discovery", "主动发现"),
]
PRESET_LABELS = {code: CODE_LABELS[code] for code in ("devolved", "national")}  # 办理流程模式


class Intake(models.Model):  # 受理登记: one visit, one or more applications (一门受理)
    receipt_number = models.CharField("回执编号", max_length=32, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="intakes")
    applicant = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="intakes")
    channel = models.CharField("申请渠道", max_length=12, choices=CHANNEL_CHOICES)
    area_code = models.CharField(max_length=12, db_index=True)
    documents_provided = models.JSONField("已提交材料", default=list)
    remarks = models.TextField("备注", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("受理时间", default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "受理登记"

    def __str__(self) -> str:
        return self.receipt_number


class ApplicationQuerySet(AreaScopedQuerySet):
    def open(self) -> ApplicationQuerySet:
        return self.exclude(state__in=TERMINAL_STATES)


STATE_CHOICES = [
    ("accepted", "已受理"),
    ("returned", "退回补正"),
    ("investigating", "调查核对中"),
    ("reviewing", "待审核确认"),
    ("publicizing", "结果公示中"),
    ("deliberating", "民主评议中"),
    ("decision_pending", "待审批"),
    ("county_review", "报县级审批中"),
    ("advance_paid", "已先行救助·待补登记"),
    ("approved", "已批准"),
    ("rejected", "不予批准"),
    ("not_accepted", "不予受理"),
    ("withdrawn", "已撤回"),
]
TERMINAL_STATES = ("approved", "rejected", "not_accepted", "withdrawn")


class Application(models.Model):  # 救助申请（案件）
    number = models.CharField("申请编号", max_length=32, unique=True)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="applications")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="applications")
    program = models.CharField("救助项目", max_length=16, choices=PROGRAM_CHOICES)
    temporary_kind = models.CharField("临时救助类型", max_length=12, choices=TEMPORARY_KIND_CHOICES, blank=True)
    channel = models.CharField("申请渠道", max_length=12, choices=CHANNEL_CHOICES)
    state = models.CharField("状态", max_length=16, choices=STATE_CHOICES, default="accepted", db_index=True)
    area_code = models.CharField("村（社区）", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    urban = models.BooleanField("城镇")
    facts = models.JSONField("家庭情况（测算事实）", default=dict)
    # the declaration as the family gave it, kept when the decision replaced ``facts`` by the
    # facts it used (the declaration corrected by the 核对报告): the roster pays from ``facts``
    declared_facts = models.JSONField("申报的家庭情况（核对更正前）", null=True, blank=True)
    screening = models.JSONField("受理时救助测算", default=dict)
    missing_documents = models.JSONField("待补材料", default=list)
    # 单独登记备案: the applicant is a close relative of a staff member.
    staff_relative_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    staff_relative_note = models.CharField("近亲属备案说明", max_length=200, blank=True)
    accepted_at = models.DateTimeField("受理时间", default=timezone.now)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("办结时限")
    extension_reason = models.CharField("延期理由", max_length=200, blank=True)
    paused_on = models.DateField("补正开始日期", null=True, blank=True)
    # working days the case waited for documents (补正), over every return: the special limit
    # (延长办理时限) is counted without them, as the ordinary one is
    paused_working_days = models.PositiveSmallIntegerField("补正暂停的工作日数", default=0)
    investigation_done_at = models.DateTimeField("入户调查完成", null=True, blank=True)
    proposed_amount_fen = models.BigIntegerField("拟救助金额（分）", null=True, blank=True)
    proposal = models.JSONField("审核意见（测算结果与依据）", default=dict, blank=True)
    publicity_start = models.DateField("公示开始", null=True, blank=True)
    publicity_end = models.DateField("公示结束", null=True, blank=True)
    decision = models.CharField("决定", max_length=12, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_fen = models.BigIntegerField("救助金额（分）", null=True, blank=True)
    # the amount of the approval itself; ``amount_fen`` is what is paid now (a review may change it)
    approved_amount_fen = models.BigIntegerField("批准救助金额（分）", null=True, blank=True)
    trace = models.JSONField("计算依据", default=dict, blank=True)
    start_month = models.DateField("起始发放月份", null=True, blank=True)
    review_cycle_months = models.PositiveSmallIntegerField("复核周期（月）", null=True, blank=True)
    # 决定所依据的设置: every setting the decision used (key, label, value, unit, validity, area,
    # source), kept with the case so a later settings change never alters what it shows.
    decision_settings = models.JSONField("决定所依据的设置", default=list, blank=True)
    rejection_reasons = models.JSONField("不予批准理由", default=list, blank=True)
    advance_amount_fen = models.BigIntegerField("先行救助金额（分）", null=True, blank=True)
    advance_paid_at = models.DateTimeField("先行救助时间", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-accepted_at", "-id"]
        indexes = [models.Index(fields=["county_code", "state"], name="application_county_state_idx")]
        verbose_name = verbose_name_plural = "救助申请"

    def __str__(self) -> str:
        return f"{self.number} {self.get_program_display()}"

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.pk])

    @property
    def town_code(self) -> str:
        return self.area_code[:9] + "000"

    @property
    def is_open(self) -> bool:
        return self.state not in TERMINAL_STATES

    @property
    def program_label(self) -> str:
        label = self.get_program_display()
        return f"{label}（{self.get_temporary_kind_display()}）" if self.temporary_kind else label


class CaseDeadlineQuerySet(AreaScopedQuerySet):
    """Deadlines of a closed case are always met (every closing action meets them), so open
    and overdue work is a query on this table alone, by area."""

    def open(self) -> CaseDeadlineQuerySet:
        return self.filter(met_on__isnull=True)

    def running(self) -> CaseDeadlineQuerySet:
        """Open and counting: the steps of a case returned for documents wait with it (补正)."""
        return self.filter(met_on__isnull=True, paused=False)

    def overdue(self, today: dt.date | None = None, now: dt.datetime | None = None) -> CaseDeadlineQuerySet:
        """Past its date — or, for a clock in hours, past its minute (``now``)."""
        return self.running().filter(overdue_q(today, now))

    def due_soon(self, days: int, today: dt.date | None = None, now: dt.datetime | None = None) -> CaseDeadlineQuerySet:
        """Due within ``days`` days — the county's ``supervision.due_soon_days``
        (``applications.queries.due_soon_days``)."""
        return self.running().filter(due_soon_q(days, today, now))


def overdue_q(today: dt.date | None = None, now: dt.datetime | None = None) -> models.Q:
    """An open deadline past its date — or, for a clock in hours, past its minute (``now``)."""
    by_date = models.Q(due_at__isnull=True, due_on__lt=today or timezone.localdate())
    return by_date | models.Q(due_at__lt=now or timezone.now())


def due_soon_q(days: int, today: dt.date | None = None, now: dt.datetime | None = None) -> models.Q:
    """An open deadline due within ``days`` days and not past."""
    today = today or timezone.localdate()
    not_past = models.Q(due_at__isnull=True) | models.Q(due_at__gte=now or timezone.now())
    return not_past & models.Q(due_on__gte=today, due_on__lte=today + dt.timedelta(days=days))


class CaseDeadline(models.Model):  # 限时办理: one row per timed step (deadlines are data)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="deadlines")
    step = models.CharField("环节", max_length=32)
    label = models.CharField("环节名称", max_length=64)
    started_on = models.DateField("开始日期")
    due_on = models.DateField("截止日期", db_index=True)
    met_on = models.DateField("完成日期", null=True, blank=True)
    area_code = models.CharField(max_length=12, db_index=True)
    responsible = models.CharField("责任层级", max_length=16, default="town")
    # A clock counted in hours (急难 先行救助 within 24 hours): due to the minute, not the date.
    hours = models.PositiveSmallIntegerField("时限（小时）", null=True, blank=True)
    due_at = models.DateTimeField("截止时间", null=True, blank=True)
    met_at = models.DateTimeField("完成时间", null=True, blank=True)
    # 退回补正 stops a step timed in days until 补正完成 moves it by the days it waited.
    paused = models.BooleanField("补正暂停计时", default=False)
    # 经办人: the clerk who accepted the case, kept on the row so that the overdue board counts
    # open work per clerk from this table alone (issue 20 item 3).
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = CaseDeadlineQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            # Open work by area: the board's counts per town and clerk read this index alone.
            models.Index(
                fields=["area_code", "due_on", "due_at", "clerk"],
                condition=models.Q(met_on__isnull=True, paused=False),
                name="deadline_open_idx",
            ),
            # The earliest open steps first: the board's lists stop after their 100 rows.
            models.Index(
                fields=["due_on", "id"],
                condition=models.Q(met_on__isnull=True, paused=False),
                name="deadline_open_due_idx",
            ),
        ]
        verbose_name = verbose_name_plural = "办理时限"

    def __str__(self) -> str:
        return f"{self.label} 截止{self.due_display}"

    @property
    def due_provisional(self) -> bool:
        """Counted with the provisional calendar (暂估): the year's schedule is not entered."""
        from jiuzhu.holidays.calendar import is_provisional

        return self.due_at is None and is_provisional(self.due_on)

    @property
    def due_display(self) -> str:
        """``2026-11-25 22:00`` for a clock in hours, ``2026-11-25`` for one in days."""
        if self.due_at is not None:
            return f"{timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"
        return f"{self.due_on:%Y-%m-%d}"

    @property
    def met_display(self) -> str:
        if self.met_at is not None and self.due_at is not None:
            return f"{timezone.localtime(self.met_at):%Y-%m-%d %H:%M}"
        return f"{self.met_on:%Y-%m-%d}" if self.met_on else ""

    @property
    def remaining_hours(self) -> int | None:
        """Whole hours left on an open clock in hours (negative once past), else None."""
        if self.due_at is None or self.met_on is not None:
            return None
        seconds = (self.due_at - timezone.now()).total_seconds()
        return int(seconds // 3600) if seconds >= 0 else -int(-seconds // 3600)


class Investigation(models.Model):  # 入户调查
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="investigations")
    visited_on = models.DateField("调查日期")
    investigators = models.CharField("调查人员（两人）", max_length=100)
    housing = models.TextField("住房情况")
    living_conditions = models.TextField("生活状况")
    labour = models.TextField("劳动就业情况")
    health = models.TextField("健康状况")
    remarks = models.TextField("调查结论及其他", blank=True)
    photos = models.ManyToManyField("registry.Document", blank=True, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = verbose_name_plural = "入户调查"

    def __str__(self) -> str:
        return f"入户调查 {self.visited_on}"


class Objection(models.Model):  # 公示异议
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="objections")
    raised_by = models.CharField("异议人", max_length=64)
    contact = models.CharField("联系方式", max_length=64, blank=True)
    content = models.TextField("异议内容")
    received_on = models.DateField("收到日期")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = verbose_name_plural = "公示异议"

    def __str__(self) -> str:
        return f"{self.raised_by}：{self.content[:20]}"


class Deliberation(models.Model):  # 民主评议
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="deliberations")
    held_on = models.DateField("评议日期")
    participants = models.TextField("参加人员")
    minutes = models.TextField("评议记录")
    votes_for = models.PositiveSmallIntegerField("同意票")
    votes_against = models.PositiveSmallIntegerField("反对票")
    votes_abstain = models.PositiveSmallIntegerField("弃权票", default=0)
    outcome = models.CharField("评议结论", max_length=12, choices=[("uphold", "维持"), ("revoke", "不予维持")])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at"]
        verbose_name = verbose_name_plural = "民主评议"

    def __str__(self) -> str:
        return f"民主评议 {self.held_on} {self.get_outcome_display()}"


class SpecialDeliberation(models.Model):  # 一事一议 (STD-6, WF-17, DOC-14)
    """The county's collective decision to raise a 支出型临时救助 above the ordinary band
    (seed 003: 对于重大生活困难的，可“一事一议”适度提高临时救助标准)."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="special_deliberation")
    held_on = models.DateField("会议日期")
    participants = models.JSONField("参加人员", default=list)
    hardship = models.TextField("重大生活困难情形（提高标准的理由）")
    minutes = models.TextField("会议纪要（议定事项）")
    decided_amount_fen = models.BigIntegerField("决定救助金额（分）")
    ordinary_max_fen = models.BigIntegerField("常规程序最高金额（分）")
    ceiling_fen = models.BigIntegerField("一事一议最高金额（分）")
    signature = models.ForeignKey(
        "registry.Document", verbose_name="与会人员签字", on_delete=models.PROTECT, related_name="+"
    )
    minutes_document = models.ForeignKey(
        "registry.Document", verbose_name="会议纪要（PDF）", null=True, on_delete=models.PROTECT, related_name="+"
    )
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="召集人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    recorded_at = models.DateTimeField("录入时间", default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "一事一议"

    def __str__(self) -> str:
        return f"一事一议 {self.held_on} {self.application.number}"

    @property
    def participants_text(self) -> str:
        return "、".join(self.participants)


NOTICE_KINDS = [
    ("receipt", "受理通知书"),
    ("checklist", "一次性告知书"),
    ("not_accepted", "不予受理通知书"),
    ("approval", "审批（确认）通知书"),
    ("rejection", "不予批准通知书"),
    ("advance", "急难型临时救助先行救助登记表"),
    ("adjustment", "救助金调整告知书"),
    ("stop", "救助金停发告知书"),
    ("gradual", "救助渐退告知书"),
    ("suspend", "救助金暂停发放告知书"),  # life events (生命事件): money suspended pending review
]


class Notice(models.Model):  # 文书: every notice is a PDF kept in the archive (DOC-*)
    application = models.ForeignKey(Application, null=True, on_delete=models.PROTECT, related_name="notices")
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField("文书类型", max_length=16, choices=NOTICE_KINDS)
    number = models.CharField("文书编号", max_length=48, unique=True)
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField("出具时间", default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["issued_at", "id"]
        verbose_name = verbose_name_plural = "文书"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"


class NoticeSequence(models.Model):  # 文书字号: per county, year and kind
    county_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "year", "kind"], name="notice_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.county_code}/{self.year}/{self.kind}: {self.last}"


class Commitment(models.Model):  # 诚信承诺书 (the applicant's signature)
    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="commitment")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    method = models.CharField("签署方式", max_length=8, choices=[("pad", "电子签名"), ("scan", "纸质签字扫描件")])
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "诚信承诺书"

    def __str__(self) -> str:
        return f"承诺书 {self.person}"


class Entrustment(models.Model):  # 申请委托 / 授权委托书 (帮办代办, INT-10)
    """The family entrusts a village assistant (or another agent) to apply for it: who
    entrusted whom, why, and the signed 申请委托书."""

    intake = models.OneToOneField(Intake, on_delete=models.PROTECT, related_name="entrustment")
    principal = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    agent_name = models.CharField("受托人", max_length=64)
    reason = models.CharField("委托事由", max_length=200)
    method = models.CharField("签署方式", max_length=8, choices=[("pad", "电子签名"), ("scan", "纸质签字扫描件")])
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签署时间", default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "申请委托"

    def __str__(self) -> str:
        return f"{self.principal} 委托 {self.agent_name}"


WORKFLOW_CHANGE_STATUS = [("proposed", "待复核"), ("confirmed", "已生效"), ("rejected", "已退回")]


class WorkflowChangeQuerySet(models.QuerySet["WorkflowChange"]):
    def visible_to(self, user: Any) -> WorkflowChangeQuerySet:
        """The changes of the user's county (a city or province user: of its counties)."""
        if user.is_superuser:
            return self.all()
        if user.area is None:
            return self.none()
        return self.filter(county_code__startswith=user.area.prefix[:6])


class WorkflowChange(models.Model):  # 办理流程调整: who may fire one transition, per county (two-person rule)
    """A county's override of one row of the workflow table (``workflow.TRANSITIONS``): the
    row is named by transition, source states and preset; ``who`` replaces the row's roles
    (``role@level``); ``enabled`` False leaves out an optional step. A confirmed change applies
    from ``valid_from`` to every step taken on or after that day."""

    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    transition = models.CharField("操作", max_length=32)
    sources = models.CharField("起始状态", max_length=160, help_text="逗号分隔的状态代码")
    preset = models.CharField("流程模式", max_length=12)
    who = models.JSONField("可操作岗位", default=list)
    enabled = models.BooleanField("启用", default=True)
    valid_from = models.DateField("生效日期")
    source = models.CharField("文件依据", max_length=200)
    reason = models.TextField("调整理由")
    status = models.CharField("状态", max_length=12, choices=WORKFLOW_CHANGE_STATUS, default="proposed")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField("提出时间", default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decision_note = models.CharField("复核意见", max_length=200, blank=True)

    objects = WorkflowChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        indexes = [models.Index(fields=["county_code", "status", "valid_from"], name="workflow_change_county_idx")]
        verbose_name = verbose_name_plural = "办理流程调整"

    def __str__(self) -> str:
        return f"{self.county_code} {self.transition}@{self.sources}/{self.preset} {self.valid_from}"

    @property
    def source_states(self) -> tuple[str, ...]:
        return tuple(s for s in self.sources.split(",") if s)


NOTICE_JOB_STATUS = [("running", "生成中"), ("done", "已完成"), ("failed", "失败")]


class NoticeJob(JobModel):  # 文书生成任务 (issue 19 item 3: rendering that recovers)
    """A notice numbered in an action's transaction and rendered, signed and archived after it
    committed. The row is written with the number, so a worker killed before the PDF is kept
    leaves a job that is found dead and retried under the same number — never a second one.
    ``extra`` is what the notice says beyond the case (JSON; dates tagged), ``today`` its date."""

    number = models.CharField("文书编号", max_length=48, unique=True)
    kind = models.CharField("文书类型", max_length=16, choices=NOTICE_KINDS)
    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey(Application, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    today = models.DateField()
    extra = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=8, choices=NOTICE_JOB_STATUS, default="running")
    error = models.CharField(max_length=500, blank=True)
    notice = models.OneToOneField(Notice, null=True, blank=True, on_delete=models.PROTECT, related_name="job")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "文书生成任务"

    def __str__(self) -> str:
        return f"notice job {self.number} {self.status}"
