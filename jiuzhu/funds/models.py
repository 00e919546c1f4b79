"""资金预算与统筹: budget lines of every assistance fund at county and town level with their
source of funds and monthly expenditure plans (FND-1, FND-5, FND-11), the county's list of
fiscal powers per programme (FND-6), multi-year fund plans such as 十四五 (FND-9), incentives
for social forces (FND-10), purchase-of-service contracts charged to a budget line (FND-12),
and two accounts with append-only passbooks (``accounts.py``): the town reserve for 先行救助
(FND-2, FND-3; tables ``payments_reserve*``, where they were born) and the charity assistance
fund (FND-15).

Money is integer fen. Actual spending is never stored here: it is read from the payments
ledger (``jiuzhu.payments.models.LedgerEntry``), payments minus reversals.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone

from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.payments.models import PROGRAM_LABELS

from .accounts import AccountEntry

# Budget programmes: the five paid through the payments ledger first (their actual spending is
# known), then the other assistance funds a county budgets for (FND-1: "all assistance funds").
LEDGER_PROGRAMS = tuple(PROGRAM_LABELS)
FUND_PROGRAM_LABELS = {
    **PROGRAM_LABELS,
    "medical": "医疗救助",
    "education": "教育救助",
    "housing": "住房救助",
    "employment": "就业救助",
    "disaster": "受灾人员救助",
    "services": "社会救助服务（政府购买服务）",
    "other": "其他救助",
}
FUND_PROGRAM_CHOICES = list(FUND_PROGRAM_LABELS.items())

FUND_SOURCES = [  # FND-11, FND-8
    ("local", "本级财政"),
    ("central", "上级补助（中央）"),
    ("provincial", "上级补助（省）"),
    ("city", "上级补助（市）"),
    ("donation", "社会捐赠"),
    ("other", "其他"),
]
FUND_SOURCE_LABELS = dict(FUND_SOURCES)
MONTHS = range(1, 13)


class CountyQuerySet(models.QuerySet[Any]):
    """County-wide documents (the fiscal-power list): every user of the county with
    ``funds.view`` reads them, towns included; other counties see nothing."""

    def visible_to(self, user: Any) -> Any:
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        if user.is_superuser:
            return self.all()
        if not user.has_perm_code("funds.view") or user.area is None:
            return self.none()
        return self.filter(county_code=user.area.code[:6])


class BudgetLine(models.Model):  # 预算科目: one year, area, programme and source of funds
    year = models.PositiveSmallIntegerField("预算年度")
    area_code = models.CharField("预算单位（区划）", max_length=12, db_index=True)  # a county or a town
    county_code = models.CharField(max_length=6, db_index=True)
    program = models.CharField("救助项目", max_length=16, choices=FUND_PROGRAM_CHOICES)
    source = models.CharField("资金来源", max_length=12, choices=FUND_SOURCES)
    amount_fen = models.BigIntegerField("年度预算（分）")
    tilted = models.BooleanField("财政困难县倾斜", default=False)
    tilt_note = models.CharField("倾斜说明", max_length=200, blank=True)
    note = models.CharField("预算文号或说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "area_code", "program", "source"]
        constraints = [
            models.UniqueConstraint(fields=["year", "area_code", "program", "source"], name="budget_line_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="budget_line_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["county_code", "year"], name="budget_line_county_year_idx")]
        verbose_name = verbose_name_plural = "预算科目"

    def __str__(self) -> str:
        return f"{self.year}年{self.get_program_display()}（{self.get_source_display()}）"


class MonthlyPlan(models.Model):  # 月度用款计划: one month of a budget line
    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="months")
    month = models.PositiveSmallIntegerField("月份", validators=[MinValueValidator(1), MaxValueValidator(12)])
    amount_fen = models.BigIntegerField("计划用款（分）")

    class Meta:
        ordering = ["line", "month"]
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="monthly_plan_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="monthly_plan_not_negative"),
        ]
        verbose_name = verbose_name_plural = "月度用款计划"

    def __str__(self) -> str:
        return f"{self.line} {self.month}月"


SHARE_LEVELS = [  # 支出责任分担层级 (FND-6)
    ("central", "中央"),
    ("provincial", "省"),
    ("city", "市"),
    ("county", "县（区）"),
    ("town", "镇（街道）"),
]


class FiscalPower(models.Model):  # 财政事权和支出责任清单条目: one programme of one county
    county_code = models.CharField("县级区划", max_length=6)
    program = models.CharField("救助项目", max_length=16, choices=FUND_PROGRAM_CHOICES)
    central_pct = models.PositiveSmallIntegerField("中央承担（%）", default=0)
    provincial_pct = models.PositiveSmallIntegerField("省承担（%）", default=0)
    city_pct = models.PositiveSmallIntegerField("市承担（%）", default=0)
    county_pct = models.PositiveSmallIntegerField("县（区）承担（%）", default=0)
    town_pct = models.PositiveSmallIntegerField("镇（街道）承担（%）", default=0)
    department = models.CharField("支出责任部门", max_length=64)
    legal_basis = models.TextField("政策依据")
    note = models.CharField("说明", max_length=200, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects = CountyQuerySet.as_manager()

    class Meta:
        ordering = ["county_code", "program"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "program"], name="fiscal_power_unique"),
            models.CheckConstraint(
                condition=Exact(
                    F("central_pct") + F("provincial_pct") + F("city_pct") + F("county_pct") + F("town_pct"), 100
                ),
                name="fiscal_power_shares_sum_100",
            ),
        ]
        verbose_name = verbose_name_plural = "财政事权清单"

    def __str__(self) -> str:
        return f"{self.county_code} {self.get_program_display()}"

    @property
    def area_code(self) -> str:
        return self.county_code.ljust(12, "0")

    @property
    def shares(self) -> dict[str, int]:
        return {level: getattr(self, f"{level}_pct") for level, _ in SHARE_LEVELS}


class FundPlan(models.Model):  # 资金规划 (十四五社会救助资金规划): multi-year targets of a county
    county_code = models.CharField(max_length=6, db_index=True)
    area_code = models.CharField("区划", max_length=12)  # the county's 12-digit code: county users only
    name = models.CharField("规划名称", max_length=64)
    start_year = models.PositiveSmallIntegerField("起始年度")
    end_year = models.PositiveSmallIntegerField("截止年度")
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_year", "name"]
        constraints = [
            models.UniqueConstraint(fields=["county_code", "name"], name="fund_plan_unique_name"),
            models.CheckConstraint(condition=Q(end_year__gte=F("start_year")), name="fund_plan_years"),
        ]
        verbose_name = verbose_name_plural = "资金规划"

    def __str__(self) -> str:
        return self.name

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))


class PlanTarget(models.Model):  # 规划年度目标: one programme and year of a fund plan
    plan = models.ForeignKey(FundPlan, on_delete=models.CASCADE, related_name="targets")
    program = models.CharField("救助项目", max_length=16, choices=FUND_PROGRAM_CHOICES)
    year = models.PositiveSmallIntegerField("年度")
    amount_fen = models.BigIntegerField("规划资金（分）")

    class Meta:
        ordering = ["plan", "program", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "program", "year"], name="plan_target_unique"),
            models.CheckConstraint(condition=Q(amount_fen__gte=0), name="plan_target_not_negative"),
        ]
        verbose_name = verbose_name_plural = "规划年度目标"

    def __str__(self) -> str:
        return f"{self.plan} {self.year} {self.program}"


INCENTIVE_KINDS = [("tax", "税收优惠"), ("grant", "资金奖补"), ("fee", "费用减免")]


class Incentive(models.Model):  # 社会力量参与激励记录 (FND-10)
    area_code = models.CharField("登记区划", max_length=12, db_index=True)
    county_code = models.CharField(max_length=6)
    kind = models.CharField("激励方式", max_length=8, choices=INCENTIVE_KINDS)
    organisation = models.CharField("受益社会组织或企业", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    amount_fen = models.BigIntegerField("金额（分）")
    granted_on = models.DateField("日期")
    basis = models.CharField("政策依据", max_length=200)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-granted_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="incentive_amount_positive")]
        verbose_name = verbose_name_plural = "社会力量激励记录"

    def __str__(self) -> str:
        return f"{self.organisation} {self.get_kind_display()}"


class ServiceContract(models.Model):  # 政府购买服务合同 (FND-12): charged to a budget line
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="contracts")
    area_code = models.CharField(max_length=12, db_index=True)  # the line's
    county_code = models.CharField(max_length=6)
    number = models.CharField("合同编号", max_length=48, blank=True)
    provider = models.CharField("服务承接方", max_length=100)
    provider_credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    content = models.CharField("服务内容", max_length=300)
    amount_fen = models.BigIntegerField("合同金额（分）")
    start_on = models.DateField("服务期起")
    end_on = models.DateField("服务期止")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-start_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="contract_amount_positive"),
            models.CheckConstraint(condition=Q(end_on__gte=F("start_on")), name="contract_period"),
        ]
        verbose_name = verbose_name_plural = "政府购买服务合同"

    def __str__(self) -> str:
        return f"{self.provider}：{self.content[:20]}"


class CharityAccount(models.Model):  # 慈善救助资金账户 (FND-15)
    area_code = models.CharField("区划", max_length=12, unique=True)
    county_code = models.CharField(max_length=6, db_index=True)
    name = models.CharField("账户名称", max_length=64)
    manager = models.CharField("管理单位", max_length=64, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        ordering = ["area_code"]
        verbose_name = verbose_name_plural = "慈善救助资金账户"

    def __str__(self) -> str:
        return self.name


CHARITY_KINDS = [("inflow", "捐赠收入"), ("outflow", "救助支出")]


class CharityEntry(AccountEntry):  # 慈善救助资金收支: append-only; the balance never goes below zero
    account_field = "account"

    account = models.ForeignKey(CharityAccount, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=8, choices=CHARITY_KINDS)
    donor = models.CharField("捐赠人", max_length=100, blank=True)
    restricted_purpose = models.CharField("限定用途", max_length=200, blank=True)
    purpose = models.CharField("支出用途", max_length=200, blank=True)
    occurred_on = models.DateField("日期")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="charity_amount_positive"),
            models.CheckConstraint(condition=Q(balance_after_fen__gte=0), name="charity_balance_not_negative"),
        ]
        verbose_name = verbose_name_plural = "慈善救助资金收支"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"


# ---- town reserve funds (临时救助备用金) -------------------------------------------------------------

RESERVE_SOURCES = [("fiscal", "财政资金"), ("donation", "社会捐赠"), ("other", "其他")]


class ReserveFund(models.Model):  # 临时救助备用金 (FND-2, FND-3): one account per town
    area_code = models.CharField("镇（街道）", max_length=12, unique=True)
    county_code = models.CharField(max_length=6, db_index=True)
    name = models.CharField("名称", max_length=64)
    account_note = models.CharField("专户说明", max_length=100, blank=True)
    low_balance_fen = models.BigIntegerField("余额预警线（分）")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AreaScopedQuerySet.as_manager()

    class Meta:
        db_table = "payments_reservefund"
        ordering = ["area_code"]
        verbose_name = verbose_name_plural = "临时救助备用金"

    def __str__(self) -> str:
        return self.name


RESERVE_KINDS = [("top_up", "拨付"), ("disbursement", "先行救助支出"), ("refund", "退回")]


class ReserveEntry(AccountEntry):  # 备用金收支: append-only passbook
    account_field = "fund"

    fund = models.ForeignKey(ReserveFund, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField("类型", max_length=12, choices=RESERVE_KINDS)
    source = models.CharField("资金来源", max_length=8, choices=RESERVE_SOURCES, blank=True)

    class Meta:
        db_table = "payments_reserveentry"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="reserve_amount_positive")]
        verbose_name = verbose_name_plural = "备用金收支"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen}"
