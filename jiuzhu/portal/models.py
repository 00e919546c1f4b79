"""掌上办 (issue 18): one-time codes, applicant sessions, the notice delivery log (SUP-16) and
the family's 补正 uploads."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.core.appendonly import AppendOnlyModel, AppendOnlyQuerySet


class LoginCode(models.Model):  # 短信验证码: one per request; an unknown ID number gets a row too
    id_index = models.CharField("身份证号索引", max_length=64, db_index=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField("验证码（摘要）", max_length=128)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    created_at = models.DateTimeField("发送时间", default=timezone.now, db_index=True)
    expires_at = models.DateTimeField("失效时间")
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    used_at = models.DateTimeField("使用时间", null=True, blank=True)
    # where the code went: the registry's number or one confirmed at first use (see actions.login_phone)
    phone_source = models.CharField("验证手机来源", max_length=12, blank=True)
    phone_masked = models.CharField("验证手机（脱敏）", max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "登录验证码"

    def __str__(self) -> str:
        return f"验证码 {self.created_at:%Y-%m-%d %H:%M}"


class LoginAttempt(models.Model):  # 登录尝试: failed and successful sign-ins, for lockout
    id_index = models.CharField(max_length=64, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    ok = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "登录尝试"

    def __str__(self) -> str:
        return f"{'成功' if self.ok else '失败'} {self.at:%Y-%m-%d %H:%M}"


class ApplicantSession(models.Model):  # 掌上办登录会话: the cookie of the site or the API's bearer token
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    channel = models.CharField("方式", max_length=8, choices=[("web", "网页"), ("api", "接口")])
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "掌上办登录会话"

    def __str__(self) -> str:
        return f"{self.person_id} {self.channel} {self.created_at:%Y-%m-%d %H:%M}"


DELIVERY_MODES = [("view", "在线查看"), ("download", "下载"), ("notify", "短信提醒")]
DELIVERY_CHANNELS = [("web", "掌上办网页"), ("api", "掌上办接口"), ("sms", "短信")]


class NoticeDelivery(AppendOnlyModel):  # 文书送达记录 (SUP-16): append-only, who/when/which notice
    notice = models.ForeignKey("applications.Notice", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    channel = models.CharField("送达渠道", max_length=8, choices=DELIVERY_CHANNELS)
    mode = models.CharField("方式", max_length=8, choices=DELIVERY_MODES)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    delivered_at = models.DateTimeField("送达时间", default=timezone.now)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["delivered_at", "id"]
        verbose_name = verbose_name_plural = "文书送达记录"

    def __str__(self) -> str:
        return f"{self.notice_id} {self.delivered_at:%Y-%m-%d %H:%M}"


class Supplement(models.Model):  # 掌上办补正材料: a photo the family uploaded for a returned case
    application = models.ForeignKey("applications.Application", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    item = models.CharField("补正事项", max_length=100)
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = verbose_name_plural = "掌上办补正材料"

    def __str__(self) -> str:
        return f"{self.item}（{self.application_id}）"


ONLINE_STATES = [
    ("draft", "填写中"),
    ("submitted", "已提交·待乡镇受理"),
    ("accepted", "已受理"),
    ("withdrawn", "已撤回"),
]


class OnlineApplication(models.Model):  # 掌上办申请: filled and signed on phones, accepted by the town window
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    applicant = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    area_code = models.CharField(max_length=12, db_index=True)
    programs = models.JSONField("申请项目", default=list)
    temporary_kind = models.CharField("临时救助类型", max_length=12, blank=True)
    reason = models.TextField("申请理由", blank=True)
    # 申报的收入和财产: member key ("p<person id>", or "c<DeclaredChange id>" for a member
    # declared new) → {"incomes": {type: 分/月}, "assets": {kind: 分 or count}}; amounts only
    finances = models.JSONField("申报收入财产", default=dict, blank=True)
    state = models.CharField("状态", max_length=12, choices=ONLINE_STATES, default="draft", db_index=True)
    created_at = models.DateTimeField("填写时间", default=timezone.now)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    intake = models.OneToOneField(
        "applications.Intake", null=True, blank=True, on_delete=models.PROTECT, related_name="online_application"
    )

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = verbose_name_plural = "掌上办申请"

    def __str__(self) -> str:
        return f"掌上办申请 {self.pk}"


PHONE_SOURCES = [
    ("registry", "登记的手机号"),
    ("first_use", "首次使用时提供"),
    ("declared", "申报新增成员时提供"),  # a member declared new gives his own number with the declaration
]

SIGN_DOCUMENTS = [("authorization", "家庭经济状况核对授权书"), ("commitment", "诚信承诺书")]


class OnlineSignature(models.Model):  # 掌上签署: one adult member's on-screen signature by link + SMS code
    application = models.ForeignKey(OnlineApplication, on_delete=models.CASCADE, related_name="signatures")
    # the registry member; empty for a member declared new until the town adopts him (``change``)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    change = models.OneToOneField(
        "DeclaredChange", null=True, blank=True, on_delete=models.CASCADE, related_name="signature"
    )
    documents = models.JSONField("签署文书", default=list)  # codes of SIGN_DOCUMENTS
    token_hash = models.CharField(max_length=64, unique=True)
    link_sent_at = models.DateTimeField("链接发送时间", null=True, blank=True)
    code_hash = models.CharField(max_length=128, blank=True)
    code_sent_at = models.DateTimeField(null=True, blank=True)
    codes_sent = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    typed_name = models.CharField("签署姓名", max_length=64, blank=True)
    phone_masked = models.CharField("验证手机（脱敏）", max_length=20, blank=True)
    # 首次使用时提供的手机号: a member with no phone in the registry gets the link and the code
    # at the number the applicant gave (sealed); the signature records where the number came from
    given_phone_enc = models.BinaryField("首次提供的手机号（加密）", null=True, blank=True)
    phones_given = models.PositiveSmallIntegerField(default=0)
    phone_source = models.CharField("验证手机来源", max_length=12, choices=PHONE_SOURCES, blank=True)
    ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    signed_at = models.DateTimeField("签署时间", null=True, blank=True)
    # 签署作废: the town did not adopt the declared member, or adopted his removal, at 受理
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "掌上办签署"
        constraints = [models.UniqueConstraint(fields=["application", "person"], name="one_signature_per_member")]

    def __str__(self) -> str:
        return f"{self.application_id}/{self.person_id or self.change_id}"

    @property
    def member_name(self) -> str:
        """The signer's name: the registry member's, or the name declared for a new member."""
        if self.person is not None:
            return str(self.person.name)
        change = self.change
        return change.name if change is not None else ""


class OnlineUpload(models.Model):  # 掌上办申请材料照片
    application = models.ForeignKey(OnlineApplication, on_delete=models.CASCADE, related_name="uploads")
    item = models.CharField("材料名称", max_length=100)
    document = models.ForeignKey("registry.Document", on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = verbose_name_plural = "掌上办申请材料"

    def __str__(self) -> str:
        return self.item


CHANGE_KINDS = [
    ("add_member", "新增家庭成员"),
    ("remove_member", "家庭成员迁出"),
    ("phone", "联系电话"),
    ("address", "家庭住址"),
]
CHANGE_STATES = [("declared", "已申报·待核实"), ("adopted", "已采纳·已更新登记"), ("declined", "未采纳")]


class DeclaredChange(models.Model):  # 申报变更: a change the family declared online, adopted only by the town clerk
    application = models.ForeignKey(OnlineApplication, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField("变更事项", max_length=16, choices=CHANGE_KINDS)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("姓名", max_length=32, blank=True)
    id_number_enc = models.BinaryField("身份证号码（加密）", null=True, blank=True)
    id_number_masked = models.CharField("身份证号码（脱敏）", max_length=24, blank=True)
    relation = models.CharField("与户主关系", max_length=16, blank=True)
    phone_enc = models.BinaryField("联系电话（加密）", null=True, blank=True)
    phone_masked = models.CharField("联系电话（脱敏）", max_length=20, blank=True)
    text = models.CharField("住址或原因", max_length=200, blank=True)
    first_use = models.BooleanField("首次使用时提供", default=False)
    state = models.CharField("处理结果", max_length=12, choices=CHANGE_STATES, default="declared")
    created_at = models.DateTimeField("申报时间", default=timezone.now)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "掌上办申报变更"

    def __str__(self) -> str:
        return f"{self.get_kind_display()}（{self.application_id}）"
