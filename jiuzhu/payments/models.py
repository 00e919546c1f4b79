"""资金发放与动态管理: the append-only ledger (资金台账), monthly rosters (花名册) and bank
files, benefits in force (渐退, stops), recoveries and 失信 records. Reviews (复核) live in
``jiuzhu.monitoring``, the town reserve funds (备用金) in ``jiuzhu.funds`` (their tables keep the
``payments_`` names).

Money is integer fen. The ledger is append-only (``jiuzhu.core.appendonly``): the model layer
refuses updates and deletes, and on PostgreSQL a trigger refuses them too (migration 0002, which
also guards the reserve passbook's table).
A double payment is made impossible by a unique index on the payment "slot"
(person, program, month, attempt): attempt *n* may only be written after *n* reversals.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.applications.models import PROGRAM_CHOICES as APPLICATION_PROGRAMS
from jiuzhu.core.appendonly import AppendOnly, AppendOnlyModel
from jiuzhu.core.dates import month_label
from jiuzhu.core.jobs import JobModel

MONTHLY_PROGRAMS = ("dibao", "tekun")  # programs paid every month through the roster
PROGRAM_LABELS = dict(APPLICATION_PROGRAMS)  # the rules engine's names (issue 15 item 3)
PROGRAM_CHOICES = list(PROGRAM_LABELS.items())


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


# ---- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentConfig:  # 资金发放与动态管理设置 (DYN-8, FND-2): dated settings with sources
    """The county's payment and review settings on a day, read from the settings store
    (``payments.roster.config_for``)."""

    county_code: str
    gradual_exit_months: int  # 渐退期（月）, 0–6
    amount_jump_percent: int  # 金额变化提示阈值（%）
    review_lead_days: int  # 复核任务提前生成（天）
    review_limit_days: int  # 复核办理时限（工作日）
    reserve_low_balance_fen: int  # 备用金余额预警线（分）
    roster_months_ahead: int  # 花名册最多可提前生成的月数（当月之后）
    recovery_due_days: int  # 追回款未约定分期时的缴回期限（天）


FIELD_CHOICES = [  # what a bank-file column may carry
    ("seq", "序号"),
    ("reference", "业务编号"),
    ("name", "姓名"),
    ("id_number", "身份证号码"),
    ("account", "银行账号"),
    ("bank_name", "开户银行"),
    ("amount_yuan", "金额（元）"),
    ("amount_fen", "金额（分）"),
    ("month", "发放月份"),
    ("program", "救助项目"),
    ("area", "村（社区）"),
    ("members", "保障人数"),
    ("remark", "摘要"),
]
RESULT_KEYS = ("reference", "account", "amount", "status", "message")


FILE_FORMATS = [  # 文件类型
    ("csv", "CSV"),
    ("xlsx", "Excel（.xlsx）"),
    ("txt", "文本（分隔符）"),
    ("fixed", "文本（定长）"),
]
DELIMITERS = [("comma", "逗号"), ("pipe", "竖线"), ("tab", "制表符")]  # 分隔符
DELIMITER_CHARS = {"comma": ",", "pipe": "|", "tab": "\t"}
RESULT_FORMATS = [  # 回盘文件类型
    ("table", "表格（CSV或Excel，按列名识别）"),
    ("txt", "文本（分隔符，按列顺序）"),
    ("fixed", "文本（定长，按字节宽度）"),
]


class BankLayout(models.Model):  # 银行文件格式: column layout of one bank's files
    county_code = models.CharField("县级区划", max_length=6)
    code = models.CharField("代码", max_length=32)
    name = models.CharField("名称", max_length=64)
    file_format = models.CharField("文件类型", max_length=8, choices=FILE_FORMATS)
    encoding = models.CharField(
        "文件编码", max_length=12, default="gb18030", choices=[("gb18030", "GBK/GB18030"), ("utf-8-sig", "UTF-8")]
    )
    delimiter = models.CharField("分隔符", max_length=8, default="comma", choices=DELIMITERS)
    # [{"header": "账号", "field": "account"}, ...] — fields from FIELD_CHOICES; a fixed-width
    # layout adds "width" (bytes in the file's encoding), "align" (left/right), "pad" (" "/"0").
    columns = models.JSONField("导出列")
    column_header = models.BooleanField("写出列名行", default=True)  # CSV/text: the line of headers
    # 表头行/表尾行 (汇总行): templates with {total_count}, {total_amount_yuan}, ... placeholders.
    header_rows = models.JSONField("表头行", default=list, blank=True)
    footer_rows = models.JSONField("表尾行", default=list, blank=True)
    file_name = models.CharField("文件命名", max_length=128, default="", blank=True)  # e.g. {county_code}_{month}.txt
    amount_grouping = models.BooleanField("金额千分位", default=False)  # 1,520.00 instead of 1520.00
    # {"reference": "业务编号", "account": "账号", "amount": "金额", "status": "处理结果", "message": "失败原因"}
    result_columns = models.JSONField("回盘文件列")
    result_format = models.CharField("回盘文件类型", max_length=8, default="table", choices=RESULT_FORMATS)
    # text results, in file order: [{"key": "account", "width": 19}, {"key": "skip", "width": 20}, ...]
    result_fields = models.JSONField("回盘文件列（文本）", default=list, blank=True)
    result_skip_head = models.PositiveSmallIntegerField("回盘表头行数", default=0)
    result_skip_tail = models.PositiveSmallIntegerField("回盘表尾行数", default=0)
    success_values = models.JSONField("表示成功的处理结果", default=list)
    amount_unit = models.CharField(
        "回盘金额单位", max_length=4, default="yuan", choices=[("yuan", "元"), ("fen", "分")]
    )
    is_default = models.BooleanField("默认格式", default=False)

    class Meta:
        ordering = ["county_code", "-is_default", "code"]
        constraints = [models.UniqueConstraint(fields=["county_code", "code"], name="bank_layout_unique_code")]
        verbose_name = verbose_name_plural = "银行文件格式"

    def __str__(self) -> str:
        return self.name


# ---- benefits and their basis ----------------------------------------------------------------

BENEFIT_STATUS = [("active", "正常发放"), ("gradual", "渐退期"), ("suspended", "暂停发放"), ("stopped", "已停发")]
STOP_REASONS = [
    ("death", "死亡"),
    ("moved", "迁出本辖区"),
    ("income", "家庭收入超过标准"),
    ("refused_review", "拒不配合复核"),
    ("fraud", "以虚报、隐瞒、伪造等手段骗取救助"),
    ("voluntary", "本人申请退出"),
    ("gradual_end", "渐退期满"),
    ("other", "其他"),
]


# 暂停发放: payment is held from a month on until the county resumes it (or stops it).
SUSPEND_REASONS = [
    ("payee_died", "领款人死亡，待确定新的领款人"),
    ("unreachable", "无法联系本人"),
    ("review_pending", "未按期配合复核"),
    ("custody", "服刑或被羁押"),
    ("other", "其他"),
]


class BenefitQuerySet(AreaScopedQuerySet):
    def in_force(self, month: dt.date) -> BenefitQuerySet:
        """Benefits payable for ``month``: started, not ended before it, not suspended from
        that month or earlier."""
        return (
            self.filter(start_month__lte=month)
            .filter(Q(end_month__isnull=True) | Q(end_month__gte=month))
            .exclude(status="suspended", suspended_from__lte=month)
        )


class Benefit(models.Model):  # 救助待遇: the monthly benefit of one approved case
    application = models.OneToOneField(
        "applications.Application", primary_key=True, on_delete=models.PROTECT, related_name="benefit"
    )
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")  # 领款人
    program = models.CharField("救助项目", max_length=16, choices=PROGRAM_CHOICES)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    status = models.CharField("状态", max_length=10, choices=BENEFIT_STATUS, default="active")
    start_month = models.DateField("起始发放月份")
    end_month = models.DateField("最后发放月份", null=True, blank=True)
    gradual_amount_fen = models.BigIntegerField("渐退期月发放金额（分）", null=True, blank=True)
    stop_reason = models.CharField("停发原因", max_length=16, choices=STOP_REASONS, blank=True)
    stop_note = models.CharField("停发说明", max_length=200, blank=True)
    suspended_from = models.DateField("暂停发放起始月份", null=True, blank=True)
    suspend_reason = models.CharField("暂停原因", max_length=16, choices=SUSPEND_REASONS, blank=True)
    suspend_note = models.CharField("暂停说明", max_length=200, blank=True)
    next_review_on = models.DateField("下次复核日期", null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = BenefitQuerySet.as_manager()
    pulled: Any = None  # not a field: what the last stop or suspension did to the roster lines

    class Meta:
        verbose_name = verbose_name_plural = "救助待遇"

    def __str__(self) -> str:
        return f"待遇 {self.application_id} {self.get_status_display()}"

    def covers(self, month: dt.date) -> bool:
        """Whether the benefit is payable for ``month`` (the same rule as ``in_force``)."""
        if month < self.start_month or (self.end_month is not None and month > self.end_month):
            return False
        return not (self.status == "suspended" and self.suspended_from is not None and self.suspended_from <= month)


class CaseBasis(models.Model):
    """测算基础: a case's facts in the rules engine's column form, so a roster evaluates every
    case in one vectorized call. Derived data, rebuilt when the case's version changes.

    No foreign-key constraint in the database: checking one for each of a county's 100,000 new
    rows at commit cost ~0.3 s of the first roster (issue 20 item 4). A row is only ever read by
    its case's id together with the case's version, and Django still deletes it with its case."""

    application = models.OneToOneField(
        "applications.Application", primary_key=True, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    version = models.PositiveIntegerField()  # Application.version the columns were built from
    layout = models.CharField(max_length=16)  # digest of the engine's column list
    members = models.PositiveSmallIntegerField()
    supporters = models.PositiveSmallIntegerField()
    data = models.BinaryField()  # int64 little-endian: household, member and supporter columns

    def __str__(self) -> str:
        return f"basis {self.application_id}"


# ---- rosters and bank files ---------------------------------------------------------------------

ROSTER_STATUS = [
    ("generated", "已生成·待核查"),
    ("checked", "已核查·待锁定"),
    ("lock_requested", "待复核锁定"),
    ("locked", "已锁定·待导出"),
    ("exported", "已导出银行文件"),
    ("settled", "已回盘"),
]


class Roster(models.Model):  # 花名册: the payments of one month for one county or town
    area_code = models.CharField("区域", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    month = models.DateField("发放月份")
    status = models.CharField("状态", max_length=16, choices=ROSTER_STATUS, default="generated")
    line_count = models.PositiveIntegerField("人数", default=0)
    total_fen = models.BigIntegerField("应发总额（分）", default=0)
    exception_count = models.PositiveIntegerField("异常数", default=0)
    parameters_digest = models.CharField(max_length=80, blank=True)
    summary = models.JSONField("与上月比较", default=dict, blank=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField("生成时间", default=timezone.now)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    lock_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lock_requested_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    locked_at = models.DateTimeField(null=True, blank=True)
    # Lines withdrawn after locking (停发、暂停、死亡): no bank file until someone re-confirms.
    reconfirm_required = models.BooleanField("撤出明细待重新确认", default=False)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "area_code"]
        constraints = [models.UniqueConstraint(fields=["area_code", "month"], name="roster_unique_area_month")]
        verbose_name = verbose_name_plural = "花名册"

    def __str__(self) -> str:
        from jiuzhu.web.labels import area_label

        return f"{month_label(self.month)}花名册（{area_label(self.area_code)}）"

    @property
    def month_label(self) -> str:
        return month_label(self.month)

    @property
    def editable(self) -> bool:
        return self.status in ("generated", "checked")


RUN_STATUS = [("queued", "排队中"), ("running", "生成中"), ("done", "已完成"), ("failed", "失败")]


class RosterRun(JobModel):  # 花名册生成任务 (progress of a long generation)
    area_code = models.CharField(max_length=12, db_index=True)
    month = models.DateField()
    refresh = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=RUN_STATUS, default="queued")
    phase = models.CharField("阶段", max_length=32, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    roster = models.ForeignKey(Roster, null=True, blank=True, on_delete=models.SET_NULL, related_name="runs")
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "花名册生成任务"

    def __str__(self) -> str:
        return f"run {self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, int(self.done * 100 / self.total)) if self.total else 0


class AdjustmentNoticeJob(JobModel):  # 调整告知书生成任务 (DYN-4; issue 19 item 3: a job that recovers)
    """The 调整告知书 of a locked roster, issued after the lock. A notice is issued at most once
    per case and month, so a retry after a dead worker goes on where it stopped; ``done`` is how
    many the last attempt issued."""

    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="notice_jobs")
    area_code = models.CharField(max_length=12, db_index=True)
    status = models.CharField(max_length=8, choices=RUN_STATUS, default="queued")
    done = models.PositiveIntegerField("已生成告知书", default=0)
    error = models.CharField(max_length=500, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "调整告知书生成任务"

    def __str__(self) -> str:
        return f"adjustment notices {self.pk} {self.status}"


SCHEDULED_KINDS = [("transition", "过渡期生活救助"), ("back_pay", "补发")]


class ScheduledPayment(models.Model):  # 专项发放: an amount set on a case for one month, paid by that month's roster
    """A one-month amount a higher app sets on a case (过渡期生活救助 of an 应急期, PRG-12). It is
    paid like every benefit: the roster of its month carries it on the case's line (with the
    case's own amount, if any), the lock books the entitlement (应发) and the bank's result the
    payment (实发) — one line, one entitlement, one payment, never booked beside the roster."""

    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    program = models.CharField("救助项目", max_length=16, choices=PROGRAM_CHOICES)
    kind = models.CharField("发放类型", max_length=16, choices=SCHEDULED_KINDS)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    month = models.DateField("发放月份")
    amount_fen = models.BigIntegerField("金额（分）")
    note = models.CharField("说明", max_length=120)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["month", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "month"], name="scheduled_payment_once")]
        indexes = [models.Index(fields=["month", "area_code"], name="scheduled_payment_month_idx")]
        verbose_name = verbose_name_plural = "专项发放"

    def __str__(self) -> str:
        return f"{self.kind} {self.application_id} {self.month}"


LINE_STATUS = [
    ("pending", "待发放"),
    ("held", "暂缓发放"),
    ("sent", "已送银行"),
    ("paid", "已发放"),
    ("failed", "发放失败"),
    ("pulled", "已撤出（不再发放）"),  # withdrawn by a stop, suspension or death before export
]
EXCEPTION_LABELS = {
    "no_account": "缺少银行账户",
    "amount_jump": "金额较上月变化超过阈值",
    "deceased": "领款人已死亡（部门数据）",
    "member_deceased": "家庭成员死亡，需复核",
    "duplicate_account": "银行账户与其他家庭重复",
    "ineligible": "按当月标准测算已不符合条件",
    # 临时编号 (INT-24): a person registered without an ID; a bank file needs a real ID number
    "unidentified": "临时编号人员，待核实身份后发放",
}
BLOCKING = ("no_account", "deceased", "ineligible", "unidentified")  # must be held (or fixed) before locking
# The exceptions about the payee himself, redone whenever the payee or his record changes.
PAYEE_CHECKS = ("no_account", "duplicate_account", "deceased", "unidentified")
CHANGE_REASONS = [
    ("new", "新增"),
    ("same", "无变化"),
    ("standard", "救助标准调整"),
    ("facts", "家庭情况变化（复核或变更）"),
    ("category", "分类施保等随年龄变化"),
    ("gradual", "渐退期"),
]


class RosterLine(models.Model):  # 花名册明细: one case in one month
    # status is in no index and the table has free space per page (fillfactor, migration 0003),
    # so the status changes of 100,000 lines at export and bank results are HOT updates.
    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="lines")
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    month = models.DateField()
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    payee = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    program = models.CharField("救助项目", max_length=16, choices=PROGRAM_CHOICES)
    area_code = models.CharField(max_length=12)
    members = models.PositiveSmallIntegerField("保障人数")
    amount_fen = models.BigIntegerField("金额（分）")
    previous_fen = models.BigIntegerField("上月金额（分）", null=True, blank=True)
    basis_version = models.PositiveIntegerField(default=0)
    change = models.CharField("变化原因", max_length=10, choices=CHANGE_REASONS)
    change_note = models.CharField("变化说明", max_length=200, blank=True)
    exceptions = models.JSONField("异常", default=list, blank=True)
    status = models.CharField("状态", max_length=8, choices=LINE_STATUS, default="pending")
    resolution_note = models.CharField("处理说明", max_length=200, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["application", "month"], name="roster_line_one_per_case_month")]
        verbose_name = verbose_name_plural = "花名册明细"

    def __str__(self) -> str:
        return f"{self.roster_id}/{self.application_id} {self.amount_fen}"

    @property
    def exception_labels(self) -> list[str]:
        return [EXCEPTION_LABELS.get(c, c) for c in self.exceptions]

    @property
    def change_detail(self) -> str:
        """The 变化说明 to show beside the change label: empty when it only repeats the label
        (a new case's note is 新增)."""
        return "" if self.change_note == self.get_change_display() else self.change_note

    @property
    def unresolved(self) -> bool:
        return bool(self.exceptions) and self.status == "pending" and not self.resolution_note

    @property
    def blocked(self) -> bool:
        """An exception that cannot be paid through (no account, payee dead …): hold or fix it."""
        return any(e in BLOCKING for e in self.exceptions)


class BankBatch(models.Model):  # 发放批次: one bank file (first issue or re-issue of failures)
    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="batches")
    seq = models.PositiveSmallIntegerField("批次号")
    kind = models.CharField("类型", max_length=8, choices=[("initial", "首次发放"), ("reissue", "重新发放")])
    layout = models.ForeignKey(BankLayout, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12)
    status = models.CharField("状态", max_length=8, choices=[("sent", "待回盘"), ("settled", "已回盘")], default="sent")
    line_count = models.PositiveIntegerField("笔数")
    total_fen = models.BigIntegerField("金额（分）")
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    exported_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["roster", "seq"]
        constraints = [models.UniqueConstraint(fields=["roster", "seq"], name="bank_batch_unique_seq")]
        verbose_name = verbose_name_plural = "发放批次"

    def __str__(self) -> str:
        return f"{self.roster} 第{self.seq}批"

    @property
    def number(self) -> str:
        return f"{self.area_code[:6]}{self.roster.month:%Y%m}{self.seq:02d}"


class BankLine(models.Model):  # 批次明细: one transfer in a bank file
    # like RosterLine: status and bank message are in no index, so results are HOT updates
    batch = models.ForeignKey(BankBatch, on_delete=models.PROTECT, related_name="lines", db_index=False)
    line = models.ForeignKey(RosterLine, on_delete=models.PROTECT, related_name="bank_lines")
    reference = models.CharField("业务编号", max_length=32, unique=True)
    account_index = models.CharField(max_length=64)
    account_masked = models.CharField("账号", max_length=32)
    account_enc = models.BinaryField("账号（密文）")  # as exported: the file can be re-created exactly
    amount_fen = models.BigIntegerField("金额（分）")
    status = models.CharField(
        "状态", max_length=8, choices=[("sent", "待回盘"), ("paid", "成功"), ("failed", "失败")], default="sent"
    )
    bank_message = models.CharField("银行反馈", max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="bank_line_unique")]
        verbose_name = verbose_name_plural = "批次明细"

    def __str__(self) -> str:
        return self.reference


class BankResultImport(models.Model):  # 银行回盘导入
    batch = models.ForeignKey(BankBatch, on_delete=models.PROTECT, related_name="imports")
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField()
    paid_count = models.PositiveIntegerField(default=0)
    paid_fen = models.BigIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    failed_fen = models.BigIntegerField(default=0)
    unchanged = models.PositiveIntegerField("已处理过的行", default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["batch", "sha256"], name="bank_result_unique_file")]
        verbose_name = verbose_name_plural = "银行回盘导入"

    def __str__(self) -> str:
        return f"{self.batch} 回盘 {self.file_name}"


# ---- the ledger -------------------------------------------------------------------------------

ENTRY_KINDS = [
    ("entitlement", "应发"),
    ("payment", "实发"),
    ("reversal", "冲回"),
    ("recovery", "追回"),
    ("adjustment", "调整"),
]
# Effect of each kind on the balance owed to the family (应发未发 > 0, 多发待追 < 0).
SIGN = {"entitlement": 1, "adjustment": 1, "payment": -1, "reversal": 1, "recovery": 1}
ENTRY_SOURCES = [
    ("roster", "花名册"),
    ("bank", "银行回盘"),
    ("reserve", "备用金先行救助"),
    ("decision", "决定"),
    ("correction", "更正"),
    ("repayment", "退款"),
]


class LedgerQuerySet(AppendOnly, AreaScopedQuerySet):
    """The ledger's rows: append-only, read through ``visible_to(user)``."""


class LedgerEntry(AppendOnlyModel):  # 资金台账: append-only; a balance is a sum
    kind = models.CharField("类型", max_length=12, choices=ENTRY_KINDS)
    # application and roster are served by the (application, kind) and (roster, kind) indexes
    application = models.ForeignKey(
        "applications.Application", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    # Provenance links (household, roster, line, bank line, author) carry no database foreign-key
    # check: a bank result books 100,000 payments at once and five per-row RI checks cost seconds
    # at commit. The actions write them from rows read in the same transaction, and the rows they
    # point to have no delete path (docs/decisions.md, Payments). Case and person stay checked.
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    program = models.CharField("救助项目", max_length=16, choices=PROGRAM_CHOICES)
    area_code = models.CharField(max_length=12)
    county_code = models.CharField(max_length=6)
    period = models.DateField("所属月份", null=True, blank=True)  # null for one-off aid
    amount_fen = models.BigIntegerField("金额（分）")
    attempt = models.PositiveSmallIntegerField(default=0)  # payments: n-th payment of the slot
    reason = models.CharField("事由", max_length=200)
    source = models.CharField("来源", max_length=12, choices=ENTRY_SOURCES)
    roster = models.ForeignKey(
        Roster, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    # never searched by themselves: a roster's entries are found by (roster, kind)
    roster_line = models.ForeignKey(
        RosterLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    bank_line = models.ForeignKey(
        BankLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    # plan is set on few rows: a partial index (Meta) instead of a full one
    plan = models.ForeignKey(
        "payments.RepaymentPlan",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
        db_index=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField("记账时间", default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="adjustment") & ~Q(amount_fen=0)) | Q(amount_fen__gt=0),
                name="ledger_amount_sign",
            ),
            # No person is paid twice for the same month and program: attempt n needs n reversals.
            models.UniqueConstraint(
                fields=["person", "program", "period", "attempt"],
                condition=Q(kind="payment", period__isnull=False),
                name="ledger_one_payment_per_slot",
            ),
            models.UniqueConstraint(
                fields=["application", "attempt"],
                condition=Q(kind="payment", period__isnull=True),
                name="ledger_one_payment_per_one_off",
            ),
            models.UniqueConstraint(
                fields=["application", "period"],
                condition=Q(kind="entitlement"),
                name="ledger_one_entitlement_per_month",
            ),
            models.UniqueConstraint(
                fields=["reverses"], condition=Q(kind="reversal"), name="ledger_one_reversal_per_payment"
            ),
        ]
        indexes = [
            models.Index(fields=["application", "kind"], name="ledger_case_kind_idx"),
            models.Index(fields=["county_code", "period", "program"], name="ledger_county_period_idx"),
            models.Index(fields=["roster", "kind"], name="ledger_roster_kind_idx"),
            models.Index(fields=["plan"], condition=Q(plan__isnull=False), name="ledger_plan_idx"),
        ]
        verbose_name = verbose_name_plural = "资金台账"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"

    @property
    def effect_fen(self) -> int:
        return SIGN[self.kind] * self.amount_fen


PLAN_STATUS = [("open", "追回中"), ("settled", "已追回")]


class RepaymentPlan(models.Model):  # 追回计划: an overpayment to be repaid in instalments
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    total_fen = models.BigIntegerField("应追回金额（分）")
    reason = models.CharField("原因", max_length=16, choices=STOP_REASONS)
    note = models.CharField("说明", max_length=200)
    months = models.JSONField("涉及月份", default=list)
    installments = models.JSONField("分期计划", default=list)  # [{"due_on": "2027-01-31", "amount_fen": 50000}]
    status = models.CharField("状态", max_length=8, choices=PLAN_STATUS, default="open")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "追回计划"

    def __str__(self) -> str:
        return f"追回 {self.application_id} {self.total_fen}"


FRAUD_CATEGORIES = [  # SUP-8
    ("false_report", "虚报"),
    ("concealment", "隐瞒"),
    ("forgery", "伪造"),
    ("false_materials", "提供虚假材料"),
    ("impersonation", "冒用救助对象身份"),
]


class CreditRecord(models.Model):  # 失信记录 (SUP-6, SUP-7, DYN-3)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    plan = models.ForeignKey(RepaymentPlan, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    category = models.CharField("失信类型", max_length=16, choices=FRAUD_CATEGORIES)
    facts = models.TextField("失信事实")
    amount_fen = models.BigIntegerField("涉及金额（分）", default=0)
    decided_on = models.DateField("认定日期")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    reported_at = models.DateTimeField("报送信用平台时间", null=True, blank=True)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = verbose_name_plural = "失信记录"

    def __str__(self) -> str:
        return f"失信 {self.person_id} {self.get_category_display()}"


class PaymentNotice(models.Model):  # 调整（停发）告知书 issued by this app, one per case, kind and month
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    notice = models.ForeignKey("applications.Notice", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16)
    month = models.DateField()
    area_code = models.CharField(max_length=12)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "kind", "month"], name="payment_notice_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.application_id} {self.month}"


BANK_BATCH_KINDS = [("initial", "首次发放"), ("reissue", "重新发放")]
EXPORT_JOB_STATUS = [("running", "导出中"), ("done", "已完成"), ("failed", "失败")]


class BankExportJob(JobModel):  # 银行文件导出任务 (issue 19 item 3: a job that recovers)
    """One request to write a bank batch (首批导出 or 重新发放). The batch, the lines' status and
    this row's ``done`` are written in one transaction, so a killed worker leaves the job
    ``running`` with nothing exported; it is found dead, marked failed and can be retried."""

    roster = models.ForeignKey(Roster, on_delete=models.PROTECT, related_name="export_jobs")
    area_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField(max_length=8, choices=BANK_BATCH_KINDS, default="initial")
    layout = models.ForeignKey("BankLayout", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=8, choices=EXPORT_JOB_STATUS, default="running")
    error = models.CharField(max_length=500, blank=True)
    batch = models.OneToOneField(
        "BankBatch", null=True, blank=True, on_delete=models.PROTECT, related_name="export_job"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "银行文件导出任务"
        constraints = [
            models.UniqueConstraint(
                fields=["roster"], condition=Q(status="running"), name="bank_export_one_running_per_roster"
            )
        ]

    def __str__(self) -> str:
        return f"bank export {self.pk} {self.status}"
