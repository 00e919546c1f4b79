"""家庭经济状况核对: authorizations and verification requests.

先授权、后核对；无委托、不核对；只核对、不认定. An adult member's signed 授权书 is the only
key to department data about the household; a request is answered by a 核对报告.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.core.jobs import JobModel

METHOD_CHOICES = [("pad", "电子签名"), ("scan", "纸质签字扫描件")]


class AuthorizationQuerySet(AreaScopedQuerySet):
    def valid(self) -> AuthorizationQuerySet:
        return self.filter(revoked_at__isnull=True)


class Authorization(models.Model):  # 家庭经济状况核对授权书 (one per adult member)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="authorizations")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="authorizations")
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="authorizations"
    )
    area_code = models.CharField(max_length=12, db_index=True)
    method = models.CharField("签署方式", max_length=8, choices=METHOD_CHOICES)
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField("签署时间", default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    objects = AuthorizationQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        verbose_name = verbose_name_plural = "核对授权书"

    def __str__(self) -> str:
        return f"{self.person} 授权书 {self.signed_at:%Y-%m-%d}"


REQUEST_STATUS = [("pending", "待核对"), ("done", "已出具报告"), ("refused", "不予核对")]


class VerificationRequestQuerySet(AreaScopedQuerySet):
    def visible_to(self, user: Any) -> Any:
        # The county verification centre sees the requests of its county.
        return super().visible_to(user)


class VerificationRequest(models.Model):  # 核对申请 (委托核对)
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verification_requests",
    )
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="verification_requests")
    program = models.CharField("核对项目", max_length=32)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    status = models.CharField("状态", max_length=12, choices=REQUEST_STATUS, default="pending")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField("委托时间", default=timezone.now)
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    refusal_code = models.CharField(max_length=32, blank=True)
    refusal_message = models.CharField(max_length=200, blank=True)
    # The 核对报告 that answered this request (set when status becomes "done").
    report = models.ForeignKey(
        "verification.Report", null=True, blank=True, on_delete=models.PROTECT, related_name="answered_requests"
    )

    objects = VerificationRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = verbose_name_plural = "核对申请"

    def __str__(self) -> str:
        return f"核对申请#{self.pk} {self.program}"


# ---- the source catalog (核对数据目录) -------------------------------------------------------


class Provider(models.Model):  # 数据提供部门 (seed 000's numbered list, Appendix A)
    code = models.CharField(
        "部门代码", max_length=32, unique=True, help_text="与“部门”的部门代码一致，如 gongan、yibao"
    )
    name = models.CharField("部门名称", max_length=64)
    seed_item = models.CharField("文件依据", max_length=64, blank=True, help_text="如：000（2）")
    duties = models.TextField("应提供的核对信息", blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = "数据提供部门"

    def __str__(self) -> str:
        return self.name


SOURCE_MODE_CHOICES = [
    ("snapshot", "全量快照（每批为部门当前全部数据）"),
    ("records", "逐条记录（每批追加记录，同一记录以最新批次为准）"),
]


class Source(models.Model):  # 核对数据类型（数据源）
    code = models.CharField("数据类型代码", max_length=48, unique=True, help_text="如 gongan.vehicle")
    provider = models.ForeignKey(Provider, verbose_name="提供部门", on_delete=models.PROTECT, related_name="sources")
    name = models.CharField("数据类型名称", max_length=64)
    description = models.TextField("说明", blank=True)
    mode = models.CharField("数据方式", max_length=12, choices=SOURCE_MODE_CHOICES, default="snapshot")
    # How facts of this type enter the verification: a list of rules
    # {"kind": income|asset|expense|status|info, "measure": ..., "basis": ..., "categories": [...], "exclude": [...]}.
    effect = models.JSONField("核对口径", default=list, blank=True)
    stale_after_days = models.PositiveIntegerField("数据时效（天）", default=35, help_text="超过该天数未更新即视为过期")
    bank_data = models.BooleanField("金融数据（须本人书面授权）", default=False)
    approval = models.CharField(
        "批准依据", max_length=200, blank=True, help_text="新增数据类型须经县级政府批准（VER-9）"
    )
    active = models.BooleanField("启用", default=True)
    order = models.PositiveSmallIntegerField("排序", default=0)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = verbose_name_plural = "核对数据类型"

    def __str__(self) -> str:
        return f"{self.provider.name if self.provider_id else ''}·{self.name}"

    @property
    def current_schema(self) -> SourceSchema | None:
        return self.schemas.order_by("-version").first()


FIELD_TYPE_CHOICES = [
    ("id_number", "身份证号码"),
    ("str", "文本"),
    ("date", "日期"),
    ("month", "年月"),
    ("money", "金额"),
    ("int", "整数"),
]


class SourceSchema(models.Model):  # 数据格式（版本）: declared columns of a data type
    source = models.ForeignKey(Source, verbose_name="数据类型", on_delete=models.PROTECT, related_name="schemas")
    version = models.PositiveIntegerField("版本")
    # [{"key", "header", "type", "required", "unit", "aliases"}] in file order
    fields = models.JSONField("字段")
    id_field = models.CharField("身份证号码字段", max_length=32, default="id_number")
    # {"field": k} (a date or a month), {"start": k, "end": k}, or {} (the batch's period)
    period = models.JSONField("数据期间字段", default=dict, blank=True)
    record_key = models.JSONField("记录标识字段", default=list, help_text="同一人同一标识的记录，以最新批次为准")
    category_field = models.CharField("类别字段", max_length=32, blank=True)
    amount_field = models.CharField("金额字段", max_length=32, blank=True)
    state_field = models.CharField("状态字段", max_length=32, blank=True)
    inactive_states = models.JSONField("失效状态取值", default=list, blank=True)
    detail_fields = models.JSONField("明细展示字段", default=list, blank=True)
    note = models.CharField("版本说明", max_length=200, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)

    class Meta:
        ordering = ["source", "-version"]
        constraints = [models.UniqueConstraint(fields=["source", "version"], name="source_schema_version_unique")]
        verbose_name = verbose_name_plural = "数据格式版本"

    def __str__(self) -> str:
        return f"{self.source.code} v{self.version}"

    @property
    def headers(self) -> list[str]:
        return [f["header"] for f in self.fields]

    def field(self, key: str) -> dict[str, Any] | None:
        return next((f for f in self.fields if f["key"] == key), None)


# ---- ingest batches and facts ----------------------------------------------------------------

BATCH_STATUS_CHOICES = [
    ("queued", "排队待处理"),
    ("processing", "处理中"),
    ("loaded", "已入库"),
    ("rejected", "校验未通过"),
    ("failed", "处理出错"),
]
BATCH_KIND_CHOICES = [
    ("full", "全量（替换此前数据）"),
    ("increment", "增量或更正"),
]
CHANNEL_CHOICES = [("ui", "页面上传"), ("api", "接口推送"), ("demo", "演示数据")]
PROCESSING_STATES = ("queued", "processing")


class BatchQuerySet(models.QuerySet["Batch"]):
    def visible_to(self, user: Any) -> BatchQuerySet:
        """Department users see their department's batches; the verification centre and the
        administrator see every batch of their county."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.is_superuser:
            return self.all()
        area = getattr(user, "area", None)
        if area is None:
            return self.none()
        county = area.code[:6]
        if user.has_perm_code("sources.manage") or user.has_perm_code("verification.run"):
            return self.filter(county_code=county)
        if user.has_perm_code("sources.upload") and user.department_id:
            return self.filter(county_code=county, provider_code=user.department.code)
        return self.none()


class Batch(models.Model):  # 数据批次: one file from a department, loaded all or nothing
    source = models.ForeignKey(Source, verbose_name="数据类型", on_delete=models.PROTECT, related_name="batches")
    schema = models.ForeignKey(SourceSchema, verbose_name="数据格式", on_delete=models.PROTECT, related_name="+")
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    area_code = models.CharField("上报单位区划", max_length=12)
    provider_code = models.CharField("部门代码", max_length=32)
    kind = models.CharField("批次类型", max_length=12, choices=BATCH_KIND_CHOICES)
    channel = models.CharField("上报方式", max_length=8, choices=CHANNEL_CHOICES)
    original_name = models.CharField("文件名", max_length=200, blank=True)
    file_format = models.CharField("文件格式", max_length=8)
    sha256 = models.CharField("文件SHA-256", max_length=64)
    size = models.BigIntegerField("文件大小（字节）")
    spool_name = models.CharField(max_length=200)
    encoding_declared = models.CharField("声明编码", max_length=16, default="auto")
    encoding = models.CharField("实际编码", max_length=16, blank=True)
    period_start = models.DateField("数据期间起", null=True, blank=True)
    period_end = models.DateField("数据期间止", null=True, blank=True)
    expected_rows = models.PositiveIntegerField("声明行数", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=BATCH_STATUS_CHOICES, default="queued", db_index=True)
    rows_total = models.PositiveIntegerField("数据行数", default=0)
    rows_loaded = models.PositiveIntegerField("入库行数", default=0)
    matched_rows = models.PositiveIntegerField("匹配在册人员的行数", null=True, blank=True)
    matched_persons = models.PositiveIntegerField("匹配在册人员数", null=True, blank=True)
    persons = models.PositiveIntegerField("涉及人数", null=True, blank=True)
    touched_households = models.PositiveIntegerField("涉及在保家庭数", null=True, blank=True)
    error_count = models.PositiveIntegerField("错误数", default=0)
    errors = models.JSONField("错误明细", default=list, blank=True)
    message = models.CharField("处理结果", max_length=300, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上报人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField("接收时间", default=timezone.now)
    started_at = models.DateTimeField("开始处理", null=True, blank=True)
    loaded_at = models.DateTimeField("入库时间", null=True, blank=True)
    finished_at = models.DateTimeField("处理完成", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("处理次数", default=0)
    worker = models.CharField("处理进程", max_length=120, blank=True)  # host:pid of the worker loading it

    objects = BatchQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["source", "sha256"], name="batch_unique_file_per_source")]
        indexes = [models.Index(fields=["source", "county_code", "status", "-id"], name="batch_source_county_idx")]
        verbose_name = verbose_name_plural = "数据批次"

    def __str__(self) -> str:
        return f"批次#{self.pk} {self.source.code if self.source_id else ''}"

    @property
    def is_processing(self) -> bool:
        return self.status in PROCESSING_STATES


class Fact(models.Model):  # 部门数据事实: one row of a loaded batch (append-only)
    """A department's record about one person, keyed by the first 128 bits of the blind
    index of the ID number (``person``); its texts (category, record key, detail) are
    stored once per batch in ``FactText``.

    Never updated or deleted (a correction is a newer batch with the same record key).
    On PostgreSQL the table is partitioned by ``slot`` (see migration 0005): the source's
    id, or minus the batch id for a large batch loaded into its own partition; UPDATE and
    DELETE are refused. No foreign-key constraints: rows arrive by COPY, checked by the
    loader.
    """

    pk = models.CompositePrimaryKey("batch_id", "row_number")
    slot = models.BigIntegerField()
    source = models.ForeignKey(Source, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    batch = models.ForeignKey(Batch, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    county_code = models.CharField(max_length=6)
    person = models.UUIDField()  # 人员标识: blind index of the normalized ID number, first 128 bits
    row_number = models.PositiveIntegerField()
    period_start = models.DateField(null=True)
    period_end = models.DateField(null=True)
    amount_fen = models.BigIntegerField(null=True)
    active = models.BooleanField(default=True)
    text_number = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["person"], name="fact_person_idx"),
            models.Index(fields=["batch"], name="fact_batch_block_idx"),
        ]
        verbose_name = verbose_name_plural = "部门数据"

    def __str__(self) -> str:
        return f"{self.batch_id}#{self.row_number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("force_insert"):
            raise AppendOnly("部门数据只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("部门数据只能追加，不能删除")


class FactText(models.Model):  # 事实文本: the texts of a batch's facts, each distinct triple once
    pk = models.CompositePrimaryKey("batch_id", "number")
    batch = models.ForeignKey(Batch, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+")
    number = models.PositiveIntegerField()
    category = models.CharField(max_length=40, blank=True)
    record_key = models.CharField(max_length=100, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        db_table = "verification_fact_text"
        verbose_name = verbose_name_plural = "部门数据文本"

    def __str__(self) -> str:
        return self.detail[:30]


def person_key(blind_index: str) -> str:
    """The fact table's person key of a registry blind index (hex, first 128 bits)."""
    return blind_index[:32]


class AppendOnly(Exception):
    pass


class Upload(models.Model):  # 分段上传: a large department file sent in parts of at most 20 MB
    key = models.CharField(max_length=32, unique=True)
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=200, blank=True)
    declared_size = models.BigIntegerField()
    received = models.BigIntegerField(default=0)
    parts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    completed_batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "分段上传"

    def __str__(self) -> str:
        return self.key


# ---- reports, snapshots, re-verification, findings ------------------------------------------------


class ReportQuerySet(AreaScopedQuerySet):
    pass


class Report(models.Model):  # 核对报告 (immutable; 只核对、不认定)
    number = models.CharField("报告编号", max_length=40, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="verification_reports")
    application = models.ForeignKey(
        "applications.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="verification_reports",
    )
    program = models.CharField("核对项目", max_length=16)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    content = models.JSONField("报告内容")
    content_sha256 = models.CharField("内容摘要", max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核对人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("出具时间", default=timezone.now)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "核对报告"

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnly("核对报告出具后不能修改；如需重新核对，请再次发起核对")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("verification:report", args=[self.pk])

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnly("核对报告不能删除")


class ReportSequence(models.Model):  # 报告编号: per county and year
    county_code = models.CharField(max_length=6)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["county_code", "year"], name="report_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.county_code}/{self.year}: {self.last}"


RUN_STATUS_CHOICES = [("queued", "排队中"), ("running", "复核中"), ("done", "已完成"), ("failed", "出错")]
RUN_TRIGGER_CHOICES = [("manual", "手动发起"), ("scheduled", "定期复核"), ("batch", "新数据入库")]


class ReverificationRunQuerySet(AreaScopedQuerySet):
    pass


class ReverificationRun(JobModel):  # 批量复核（动态核对）
    area_code = models.CharField("复核范围", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    trigger = models.CharField("发起方式", max_length=12, choices=RUN_TRIGGER_CHOICES)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField("状态", max_length=12, choices=RUN_STATUS_CHOICES, default="queued")
    total = models.PositiveIntegerField("应复核家庭数", default=0)
    done = models.PositiveIntegerField("已复核家庭数", default=0)
    findings = models.PositiveIntegerField("发现问题数", default=0)
    last_household_id = models.BigIntegerField(default=0)
    summary = models.JSONField("汇总", default=dict, blank=True)
    message = models.CharField(max_length=300, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("发起时间", default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)

    objects = ReverificationRunQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "批量复核"

    def __str__(self) -> str:
        return f"批量复核#{self.pk}"

    @property
    def percent(self) -> int:
        return int(self.done * 100 / self.total) if self.total else (100 if self.status == "done" else 0)


class Snapshot(models.Model):  # 核对快照: what department data said about a household at one time
    household = models.ForeignKey(
        "registry.Household", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    county_code = models.CharField(max_length=6)
    run = models.ForeignKey(
        ReverificationRun, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    report = models.ForeignKey(Report, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    program = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    income_fen = models.BigIntegerField(default=0)  # counted monthly income
    deposits_fen = models.BigIntegerField(default=0)
    securities_fen = models.BigIntegerField(default=0)
    vehicles = models.IntegerField(default=0)
    houses = models.IntegerField(default=0)
    businesses = models.IntegerField(default=0)
    employed = models.IntegerField(default=0)  # members with employment, payroll or employee insurance
    deceased = models.IntegerField(default=0)
    moved_out = models.IntegerField(default=0)
    assistance = models.IntegerField(default=0)  # members receiving assistance elsewhere
    failed_tests = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["household", "-id"], name="snapshot_household_idx")]
        verbose_name = verbose_name_plural = "核对快照"

    def __str__(self) -> str:
        return f"快照#{self.pk} 家庭{self.household_id}"


FINDING_KIND_CHOICES = [
    ("vehicle", "新增车辆"),
    ("house", "新增房产"),
    ("business", "新增企业或个体工商户"),
    ("employment", "新增就业或工资收入"),
    ("income", "收入超过标准"),
    ("deposits", "存款等金融资产超过标准"),
    ("death", "成员死亡"),
    ("moved_out", "户籍迁出"),
    ("assistance", "在外地享受救助"),
]
FINDING_STATUS_CHOICES = [("open", "待处理"), ("handled", "已处理")]


class FindingQuerySet(AreaScopedQuerySet):
    pass


class Finding(models.Model):  # 核对预警: a change found by re-verification, for case workers
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="verification_findings")
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(ReverificationRun, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    kind = models.CharField("类型", max_length=16, choices=FINDING_KIND_CHOICES)
    message = models.CharField("内容", max_length=300)
    area_code = models.CharField(max_length=12, db_index=True)
    county_code = models.CharField(max_length=6, db_index=True)
    created_at = models.DateTimeField("发现时间", default=timezone.now)
    status = models.CharField("状态", max_length=8, choices=FINDING_STATUS_CHOICES, default="open")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handling_note = models.CharField("处理说明", max_length=300, blank=True)

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "核对预警"

    def __str__(self) -> str:
        return self.message


# ---- cross-county verification (跨县核对) -------------------------------------------------------


class Peer(models.Model):  # 对端实例: another county's jiuzhu, with a shared key and/or an SM2 public key
    code = models.CharField("对端县级区划代码", max_length=6, unique=True)
    name = models.CharField("对端名称", max_length=64)
    base_url = models.URLField("对端地址", help_text="如 https://jiuzhu.yicheng.example.gov.cn")
    our_code = models.CharField("本方代码", max_length=6, help_text="对端登记的本县代码（请求头 X-Jiuzhu-Peer）")
    # HMAC scheme: the shared key, sealed (empty for a peer that signs with SM2 only)
    key_enc = models.BinaryField("共享密钥（密文）", blank=True, default=b"")
    # 国密 SM2 scheme: the peer's public key, 128 hex digits x ‖ y (core.sm2.normalized_public_key)
    sm2_public_key = models.CharField(
        "对端SM2公钥", max_length=128, blank=True, default="", help_text="对端县提供的本系统签名公钥（128位十六进制）"
    )
    active = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = verbose_name_plural = "跨县核对对端"

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class PeerNonce(models.Model):  # replay protection: every request id a peer has used
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["peer", "request_id"], name="peer_nonce_unique")]

    def __str__(self) -> str:
        return self.request_id


class PeerQueryQuerySet(AreaScopedQuerySet):
    pass


class PeerQuery(models.Model):  # 跨县核对请求（本县发出）
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="queries")
    request_id = models.CharField(max_length=64, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    authorization = models.ForeignKey(Authorization, on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    status = models.CharField(max_length=12, choices=[("answered", "已答复"), ("failed", "失败")])
    answer = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=300, blank=True)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)

    objects = PeerQueryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "跨县核对请求"

    def __str__(self) -> str:
        return f"{self.peer.code}:{self.request_id}"
