"""摸底排查 coverage (issue 17 item 5, DIS-2): 镇不漏村、村不漏户、户不漏人 — by town and village, with
the households still to visit, and its Excel."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import Substr

from jiuzhu.accounts.models import User
from jiuzhu.areas.models import Area
from jiuzhu.core.errors import InvalidInput
from jiuzhu.core.masking import mask_name

from .models import (
    Campaign,
    CampaignVisit,
)

# ---- coverage: 镇不漏村、村不漏户、户不漏人 --------------------------------------------------------

FOUND = ("difficulty", "not_found", "moved")


@dataclass
class CoverageRow:
    code: str
    name: str
    households: int
    visited: int
    persons: int
    persons_visited: int
    villages: int = 0
    villages_done: int = 0
    villages_untouched: int = 0
    # what the visits found: 发现困难 (each a 核查任务), 未找到, 已搬迁
    difficulty: int = 0
    not_found: int = 0
    moved: int = 0

    @property
    def percent(self) -> float:
        return round(100 * self.visited / self.households, 1) if self.households else 0.0


@dataclass
class Coverage:
    total: CoverageRow
    towns: list[CoverageRow] = field(default_factory=list)
    villages: list[CoverageRow] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    missing_count: int = 0


def _prefix(area_code: str) -> str:
    """A 12-digit code cut to its level's length (county 6, town 9, village 12)."""
    if not area_code:
        return ""
    if not area_code.isdigit() or len(area_code) > 12:
        raise InvalidInput("invalid_area_code", "区划代码须为不超过12位的数字", field="area_code")
    if len(area_code) == 12:
        return next((area_code[:n] for n in (2, 4, 6, 9) if not area_code[n:].strip("0")), area_code)
    return area_code


def coverage(campaign: Campaign, *, by: User, area_code: str = "", missing_limit: int = 200) -> Coverage:
    """Counts by town and village (SQL aggregates), and who is not yet visited (names masked)."""
    prefix = _prefix(area_code)
    qs = CampaignVisit.objects.visible_to(by).filter(campaign=campaign)
    if prefix:
        qs = qs.filter(area_code__startswith=prefix)
    done = Q(visited_on__isnull=False)
    agg = {
        "households": Count("pk"),
        "visited": Count("pk", filter=done),
        "persons": Sum("household__member_count"),
        "persons_visited": Sum("household__member_count", filter=done),
        **{found: Count("pk", filter=Q(result=found)) for found in FOUND},
    }
    village_rows = list(qs.order_by().values("area_code").annotate(**agg).order_by("area_code"))
    town_rows = list(
        qs.order_by().annotate(town=Substr("area_code", 1, 9)).values("town").annotate(**agg).order_by("town")
    )
    codes = [r["area_code"] for r in village_rows] + [r["town"].ljust(12, "0") for r in town_rows]
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))

    def row(code: str, r: dict[str, Any]) -> CoverageRow:
        return CoverageRow(
            code=code,
            name=names.get(code.ljust(12, "0"), code),
            households=r["households"],
            visited=r["visited"],
            persons=r["persons"] or 0,
            persons_visited=r["persons_visited"] or 0,
            **{found: r[found] for found in FOUND},
        )

    villages = [row(r["area_code"], r) for r in village_rows]
    towns = [row(r["town"], r) for r in town_rows]
    for t in towns:
        mine = [v for v in villages if v.code.startswith(t.code)]
        t.villages = len(mine)
        t.villages_done = sum(1 for v in mine if v.visited == v.households)
        t.villages_untouched = sum(1 for v in mine if v.visited == 0)
    total = CoverageRow(
        code=prefix or campaign.county_code,
        name="合计",
        households=sum(t.households for t in towns),
        visited=sum(t.visited for t in towns),
        persons=sum(t.persons for t in towns),
        persons_visited=sum(t.persons_visited for t in towns),
        villages=len(villages),
        villages_done=sum(t.villages_done for t in towns),
        villages_untouched=sum(t.villages_untouched for t in towns),
        **{found: sum(getattr(t, found) for t in towns) for found in FOUND},
    )
    pending = qs.filter(visited_on__isnull=True).select_related("household").order_by("area_code", "household_id")
    missing = [
        {
            "household_id": v.household_id,
            "head_name": mask_name(v.household.head_name),
            "area_code": v.area_code,
            "village": names.get(v.area_code, v.area_code),
            "member_count": v.household.member_count,
        }
        for v in (pending[:missing_limit] if missing_limit else pending)
    ]
    return Coverage(
        total=total, towns=towns, villages=villages, missing=missing, missing_count=total.households - total.visited
    )


def area_choices(campaign: Campaign, *, by: User) -> list[tuple[str, str]]:
    """The towns and villages of the campaign the user may read, for the coverage page's filter."""
    villages = set(
        CampaignVisit.objects.visible_to(by)
        .filter(campaign=campaign)
        .order_by()
        .values_list("area_code", flat=True)
        .distinct()
    )
    towns = {code[:9].ljust(12, "0") for code in villages}
    names = dict(Area.objects.filter(code__in=villages | towns).values_list("code", "name"))
    choices: list[tuple[str, str]] = []
    for town in sorted(towns):
        choices.append((town[:9], names.get(town, town)))
        choices += [
            (v, f"{names.get(town, town)}{names.get(v, v)}") for v in sorted(villages) if v.startswith(town[:9])
        ]
    return choices


def coverage_xlsx(campaign: Campaign, cov: Coverage) -> bytes:
    """The coverage as a workbook: one row per village, then the households not yet visited."""
    from jiuzhu.web.files import xlsx

    headers = [
        "乡镇（街道）",
        "村（社区）",
        "区划代码",
        "排查户数",
        "已走访户数",
        "走访率（%）",
        "排查人数",
        "已走访人数",
        "发现困难户数",
        "未找到户数",
        "已搬迁户数",
    ]
    towns = {t.code: t.name for t in cov.towns}
    rows: list[list[Any]] = [
        [
            towns.get(v.code[:9], ""),
            v.name,
            v.code,
            v.households,
            v.visited,
            v.percent,
            v.persons,
            v.persons_visited,
            v.difficulty,
            v.not_found,
            v.moved,
        ]
        for v in cov.villages
    ]
    rows.append(
        [
            "合计",
            "",
            "",
            cov.total.households,
            cov.total.visited,
            cov.total.percent,
            cov.total.persons,
            cov.total.persons_visited,
            cov.total.difficulty,
            cov.total.not_found,
            cov.total.moved,
        ]
    )
    rows.append([])
    rows.append(["未走访家庭", "户主（脱敏）", "家庭编号", "家庭人数"])
    rows.extend([[m["village"], m["head_name"], str(m["household_id"]), m["member_count"]] for m in cov.missing])
    return xlsx(headers, rows, sheet=f"{campaign.name}排查覆盖"[:31], text={2})
