"""一户一档: households (家庭), their members (成员), membership history and documents."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.areas.models import URBAN_RURAL_CHOICES, Area

RELATION_CHOICES = [
    ("self", "本人（户主）"),
    ("spouse", "配偶"),
    ("child", "子女"),
    ("parent", "父母"),
    ("grandchild", "孙子女"),
    ("sibling", "兄弟姐妹"),
    ("other", "其他"),
]
GENDER_CHOICES = [("M", "男"), ("F", "女")]
LABOUR_CHOICES = [  # 劳动能力
    ("full", "有劳动能力"),
    ("partial", "部分丧失劳动能力"),
    ("none", "无劳动能力"),
]
HEALTH_CHOICES = [  # 健康状况
    ("healthy", "健康"),
    ("chronic", "长期慢性病"),
    ("serious", "重病（重特大疾病）"),
    ("disabled", "残疾"),
]
DISABILITY_CATEGORY_CHOICES = [  # 残疾类别
    ("vision", "视力残疾"),
    ("hearing", "听力残疾"),
    ("speech", "言语残疾"),
    ("physical", "肢体残疾"),
    ("intellectual", "智力残疾"),
    ("mental", "精神残疾"),
    ("multiple", "多重残疾"),
]
DISABILITY_GRADE_CHOICES = [(1, "一级"), (2, "二级"), (3, "三级"), (4, "四级")]
MARITAL_CHOICES = [  # 婚姻状况
    ("unmarried", "未婚"),
    ("married", "已婚"),
    ("divorced", "离异"),
    ("widowed", "丧偶"),
]
SCHOOL_CHOICES = [  # 在校情况
    ("none", "非在校"),
    ("preschool", "学前教育"),
    ("primary", "小学"),
    ("junior", "初中"),
    ("senior", "高中"),
    ("vocational", "中职"),
    ("college", "大专"),
    ("university", "本科及以上"),
    ("dropout", "辍学"),
]
EMPLOYMENT_CHOICES = [  # 就业状况
    ("employed", "稳定就业"),
    ("flexible", "灵活就业"),
    ("farming", "务农"),
    ("unemployed", "失业"),
    ("retired", "退休"),
    ("none", "无（未成年、在校或无劳动能力）"),
]
POVERTY_CAUSE_CHOICES = [  # 致贫原因
    ("illness", "因病"),
    ("disability", "因残"),
    ("education", "因学"),
    ("disaster", "因灾"),
    ("no_labour", "缺劳动力"),
    ("unemployment", "失业"),
    ("accident", "意外事故"),
    ("other", "其他"),
]
HARDSHIP_DEGREE_CHOICES = [  # 困难程度
    ("", "未评估"),
    ("general", "一般困难"),
    ("serious", "较重困难"),
    ("extreme", "特别困难"),
]
DOCUMENT_KIND_CHOICES = [
    ("id_card", "身份证"),
    ("hukou", "户口簿"),
    ("disability_card", "残疾证"),
    ("medical", "病历/诊断证明"),
    ("income", "收入证明"),
    ("photo", "照片"),
    ("signature", "签名"),
    ("notice", "文书"),
    ("report", "核对报告"),
    ("other", "其他材料"),
]


def _choice_label(choices: list[tuple[Any, str]], value: Any) -> str:
    return str(dict(choices).get(value, ""))


# 低保对象、特困供养人员 follow from an approval (and end with its stop), never from a clerk's tick
DECIDED_CATEGORIES = ("dibao", "tekun")


class TargetCategory(models.Model):  # 救助对象类别标签 (REG-8: several per person/household)
    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=32)
    source = models.CharField("依据", max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = verbose_name_plural = "对象类别"

    def __str__(self) -> str:
        return self.name


class HouseholdQuerySet(AreaScopedQuerySet):
    area_field = "area_id"


class Household(models.Model):  # 家庭 / 共同生活家庭 (一户一档)
    area = models.ForeignKey(Area, verbose_name="所在村（社区）", on_delete=models.PROTECT, related_name="households")
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    address = models.CharField("家庭住址", max_length=200)
    urban_rural = models.CharField("城乡类别", max_length=5, choices=URBAN_RURAL_CHOICES)
    poverty_cause = models.CharField("主要致贫原因", max_length=16, choices=POVERTY_CAUSE_CHOICES, blank=True)
    hardship_degree = models.CharField("困难程度", max_length=16, choices=HARDSHIP_DEGREE_CHOICES, blank=True)
    rigid_expense_yearly_fen = models.BigIntegerField("年刚性支出（分）", default=0)
    remarks = models.TextField("备注", blank=True)
    categories = models.ManyToManyField(TargetCategory, verbose_name="对象类别", blank=True, related_name="households")
    head_name = models.CharField("户主姓名", max_length=32, db_index=True)
    member_count = models.PositiveSmallIntegerField("家庭人数", default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField("建档时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="建档人", null=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["area", "-id"], name="household_area_idx")]
        verbose_name = verbose_name_plural = "家庭"

    def __str__(self) -> str:
        return f"{self.head_name}户"

    def get_absolute_url(self) -> str:
        return reverse("registry:household_detail", args=[self.pk])

    @property
    def area_code(self) -> str:
        return self.area_id

    @property
    def rigid_expense_yuan(self) -> str:
        from jiuzhu.core.money import fen_to_yuan

        return fen_to_yuan(self.rigid_expense_yearly_fen)

    def current_members(self) -> models.QuerySet[Person]:
        return self.members.order_by("relation_order", "birth_date", "id")


class PersonQuerySet(AreaScopedQuerySet):
    pass


RELATION_ORDER = {code: i for i, (code, _) in enumerate(RELATION_CHOICES)}


class Person(models.Model):  # 成员 / 居民
    household = models.ForeignKey(
        Household, verbose_name="所在家庭", null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField("与户主关系", max_length=12, choices=RELATION_CHOICES, blank=True)
    relation_order = models.PositiveSmallIntegerField(default=0)
    area_code = models.CharField("区划", max_length=12, db_index=True)
    county_code = models.CharField("县级区划", max_length=6, db_index=True)
    name = models.CharField("姓名", max_length=32, db_index=True)
    gender = models.CharField("性别", max_length=1, choices=GENDER_CHOICES)
    birth_date = models.DateField("出生日期")
    # PII (rule 7): encrypted value, keyed blind index for exact lookup, masked copy for display.
    id_number_enc = models.BinaryField("身份证号（密文）")
    id_number_index = models.CharField(max_length=64, unique=True)
    # 18 for a masked ID; a person without an ID shows their 临时编号 here (up to 32)
    id_number_masked = models.CharField("身份证号", max_length=32)
    # 临时编号 of a person found without an ID number (身份不明、流浪乞讨, INT-24): the sealed value and
    # blind index above hold this number, which has letters and hyphens and never equals a real ID.
    temp_number = models.CharField("临时编号", max_length=32, unique=True, null=True, blank=True)
    # 身份认定后并入: the real registry person this temporary record was merged into (cases follow)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", verbose_name="并入人员"
    )
    phone_enc = models.BinaryField("联系电话（密文）", null=True, blank=True)
    phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    bank_name = models.CharField("开户银行", max_length=64, blank=True)
    bank_account_enc = models.BinaryField("银行账号（密文）", null=True, blank=True)
    bank_account_index = models.CharField(max_length=64, blank=True, db_index=True)
    bank_account_masked = models.CharField("银行账号", max_length=32, blank=True)
    labour_capacity = models.CharField("劳动能力", max_length=8, choices=LABOUR_CHOICES, default="full")
    health_status = models.CharField("健康状况", max_length=12, choices=HEALTH_CHOICES, default="healthy")
    disability_category = models.CharField("残疾类别", max_length=16, choices=DISABILITY_CATEGORY_CHOICES, blank=True)
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", choices=DISABILITY_GRADE_CHOICES, null=True, blank=True
    )
    marital_status = models.CharField("婚姻状况", max_length=12, choices=MARITAL_CHOICES, blank=True)
    school_status = models.CharField("在校情况", max_length=12, choices=SCHOOL_CHOICES, default="none")
    employment_status = models.CharField("就业状况", max_length=12, choices=EMPLOYMENT_CHOICES, blank=True)
    categories = models.ManyToManyField(TargetCategory, verbose_name="对象类别", blank=True, related_name="persons")
    death_date = models.DateField("死亡日期", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["relation_order", "birth_date", "id"]
        verbose_name = verbose_name_plural = "成员"
        # The few deceased members by household: the roster's death check reads them for every
        # household it pays without scanning the living (issue 20 item 4).
        indexes = [
            models.Index(
                fields=["household"], condition=models.Q(death_date__isnull=False), name="person_deceased_household_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: Any) -> int:
        years: int = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def relation_label(self) -> str:
        return _choice_label(RELATION_CHOICES, self.relation)


class Membership(models.Model):  # 成员变动记录: who lived in which household when
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="membership_history")
    relation = models.CharField("与户主关系", max_length=12, choices=RELATION_CHOICES)
    joined_on = models.DateField("迁入日期")
    left_on = models.DateField("迁出日期", null=True, blank=True)
    reason_joined = models.CharField("迁入原因", max_length=100, blank=True)
    reason_left = models.CharField("迁出原因", max_length=100, blank=True)

    class Meta:
        ordering = ["joined_on", "id"]
        constraints = [
            # A person is in at most one household at a time.
            models.UniqueConstraint(
                fields=["person"], condition=models.Q(left_on__isnull=True), name="membership_one_open_per_person"
            )
        ]
        verbose_name = verbose_name_plural = "成员变动记录"

    def __str__(self) -> str:
        return f"{self.person_id}@{self.household_id} {self.joined_on}–{self.left_on or ''}"


class DocumentQuerySet(AreaScopedQuerySet):
    pass


class Document(models.Model):  # 档案材料: scans and photos, stored by content hash
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="documents")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="documents")
    area_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField("材料类型", max_length=16, choices=DOCUMENT_KIND_CHOICES)
    title = models.CharField("材料名称", max_length=100)
    original_name = models.CharField("原文件名", max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("大小（字节）")
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField("上传时间", default=timezone.now)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["household", "sha256"], name="document_unique_per_household")]
        verbose_name = verbose_name_plural = "档案材料"

    def __str__(self) -> str:
        return self.title

    @property
    def storage_name(self) -> str:
        return f"documents/{self.sha256[:2]}/{self.sha256}"


class PopulationRecord(models.Model):  # 户籍人口: the 公安 户籍 register of the county (一证申请, INT-3)
    """One person of the 公安 户籍 snapshot of a county, as the department sent it.

    A full snapshot: each upload replaces the county's previous records. Read by the
    window's ID lookup to propose a household (部门数据预填) before anything is registered.
    """

    county_code = models.CharField("县级区划", max_length=6)
    household_no = models.CharField("户号", max_length=32)
    relation = models.CharField("与户主关系", max_length=12, choices=RELATION_CHOICES)
    relation_text = models.CharField("与户主关系（原文）", max_length=16)
    name = models.CharField("姓名", max_length=32)
    gender = models.CharField("性别", max_length=1, choices=GENDER_CHOICES)
    birth_date = models.DateField("出生日期")
    # PII (rule 7), sealed exactly as Person's: encrypted value, blind index, masked copy.
    id_number_enc = models.BinaryField("身份证号（密文）")
    id_number_index = models.CharField(max_length=64)
    id_number_masked = models.CharField("身份证号", max_length=18)
    address = models.CharField("户籍地址", max_length=200)
    area_code = models.CharField("户籍地区划代码", max_length=12)
    batch_sha256 = models.CharField("来源文件SHA-256", max_length=64)
    source_file = models.CharField("来源文件", max_length=200, blank=True)
    loaded_at = models.DateTimeField("入库时间", default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["county_code", "household_no", "id"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "id_number_index"], name="population_one_per_county")
        ]
        indexes = [models.Index(fields=["county_code", "household_no"], name="population_household_idx")]
        verbose_name = verbose_name_plural = "户籍人口"

    def __str__(self) -> str:
        return f"{self.name}（户号{self.household_no}）"
