"""行政区划: the area tree of 12-digit statistical codes (统计用区划代码).

A code's first 2/4/6/9/12 digits name its province/city/county/town/village, so a
subtree is a contiguous range of codes: one indexed range filter, no recursion.
"""

from __future__ import annotations

from django.db import models

LEVELS = ("province", "city", "county", "town", "village")
LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "town": 9, "village": 12}
LEVEL_NAMES = {"province": "省", "city": "市", "county": "县（区）", "town": "镇（街道）", "village": "村（社区）"}

URBAN, RURAL = "urban", "rural"
URBAN_RURAL_CHOICES = [(URBAN, "城镇"), (RURAL, "乡村")]


def level_of(code: str) -> str:
    """Level of a 12-digit code from where its trailing zeros start."""
    if code[9:] != "000":
        return "village"
    if code[6:9] != "000":
        return "town"
    if code[4:6] != "00":
        return "county"
    if code[2:4] != "00":
        return "city"
    return "province"


def full_code(code: str) -> str:
    """``370405`` → ``370405000000``; a 12-digit code is returned unchanged."""
    return code.ljust(12, "0")


def prefix_of(code: str) -> str:
    """The significant digits of a code: its level's length (never "strip the zeros")."""
    return code[: LEVEL_DIGITS[level_of(code)]]


def code_range(prefix: str) -> tuple[str, str]:
    """Lowest and highest 12-digit code in the subtree named by ``prefix``."""
    pad = 12 - len(prefix)
    return prefix + "0" * pad, prefix + "9" * pad


def in_subtree(field: str, prefix: str) -> models.Q:
    """Q object selecting rows whose 12-digit area code ``field`` lies under ``prefix``."""
    low, high = code_range(prefix)
    return models.Q(**{f"{field}__gte": low, f"{field}__lte": high})


class AreaQuerySet(models.QuerySet["Area"]):
    def under(self, prefix: str) -> AreaQuerySet:
        return self.filter(in_subtree("code", prefix))

    def visible_to(self, user: object) -> AreaQuerySet:
        """Areas a user may pick: the user's own subtree (a superuser sees all)."""
        if getattr(user, "is_superuser", False):
            return self.all()
        area = getattr(user, "area", None)
        if area is None:
            return self.none()
        return self.under(area.prefix)


class Area(models.Model):  # 行政区划
    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=8, choices=[(lv, LEVEL_NAMES[lv]) for lv in LEVELS])
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # 城乡分类: urban or rural, meaningful for villages/communities (drives 城市/农村低保).
    urban_rural = models.CharField("城乡分类", max_length=5, blank=True, choices=URBAN_RURAL_CHOICES)
    # 统计用城乡分类代码 (111 主城区 … 220 村庄) when the source file gives it.
    urban_rural_code = models.CharField("城乡分类代码", max_length=3, blank=True)
    is_demo = models.BooleanField("演示数据", default=False)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "行政区划"

    def __str__(self) -> str:
        return self.name

    @property
    def prefix(self) -> str:
        return self.code[: LEVEL_DIGITS[self.level]]

    @property
    def county_code(self) -> str:
        return self.code[:6]

    @property
    def short_code(self) -> str:
        """The code as people write it: ``370405`` for a county, 12 digits for a village."""
        return self.prefix if self.level in ("province", "city", "county") else self.code

    def contains(self, other: Area | str) -> bool:
        code = other if isinstance(other, str) else other.code
        return code.startswith(self.prefix)

    def ancestors(self) -> list[Area]:
        """From the root down to the parent, one query."""
        codes = [full_code(self.code[:n]) for n in (2, 4, 6, 9) if n < LEVEL_DIGITS[self.level]]
        by_code = {a.code: a for a in Area.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]

    def full_name(self) -> str:
        return "".join(a.name for a in self.ancestors()[1:]) + self.name
