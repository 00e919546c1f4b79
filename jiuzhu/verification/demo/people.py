"""The demo residents (registry households and people from elsewhere) and the harmless
variations departments write (15-digit IDs, date and money formats)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

from jiuzhu.core.idnumber import make_id_number
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

TODAY = dt.date(2026, 11, 1)
DEMO_COUNTY = "370405"
TO_15 = 0.03  # share of ID numbers written in the legacy 15-digit form


@dataclass
class Resident:
    id_number: str
    name: str
    birth: dt.date
    gender: str
    in_registry: bool
    health: str = "healthy"
    disability: tuple[str, int] | None = None
    school: str = "none"
    employment: str = ""

    @property
    def age(self) -> int:
        years = TODAY.year - self.birth.year
        return years - ((TODAY.month, TODAY.day) < (self.birth.month, self.birth.day))


@dataclass
class GeneratedFile:
    source: str
    path: Path
    rows: int
    defective: bool


def residents(county: str, rng: random.Random, outsiders: int) -> list[Resident]:
    people = []
    qs = Person.objects.filter(county_code=county, death_date__isnull=True, household__isnull=False)
    qs = qs.filter(temp_number__isnull=True).order_by("id")  # no department knows a 临时编号 (INT-24)
    for p in qs:
        people.append(
            Resident(
                unseal("id_number", p.id_number_enc),
                p.name,
                p.birth_date,
                p.gender,
                True,
                p.health_status,
                (p.disability_category, p.disability_grade) if p.disability_grade else None,
                p.school_status,
                p.employment_status,
            )
        )
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    for i in range(outsiders):
        gender = "MF"[i % 2]
        birth = dt.date(1950 + rng.randint(0, 55), rng.randint(1, 12), rng.randint(1, 28))
        people.append(
            Resident(
                make_id_number(county, birth, 500 + i, gender),
                rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                birth,
                gender,
                False,
            )
        )
    return people


def _legacy(id_number: str) -> str:
    """The 15-digit form of an 18-digit number born in the 1900s."""
    return id_number[:6] + id_number[8:17]


def _write_id(r: Resident, rng: random.Random) -> str:
    if r.birth.year < 2000 and rng.random() < TO_15:
        return _legacy(r.id_number)
    if r.id_number.endswith("X") and rng.random() < 0.5:
        return r.id_number[:-1] + "x"
    return r.id_number


def _date(d: dt.date, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.6:
        return d.isoformat()
    if style < 0.8:
        return f"{d.year}/{d.month}/{d.day}"
    if style < 0.95:
        return d.strftime("%Y%m%d")
    return f"{d.year}年{d.month}月{d.day}日"


def _money(fen: int, rng: random.Random) -> str:
    yuan = fen / 100
    style = rng.random()
    if yuan >= 10000 and style < 0.2:
        return f"{yuan / 10000:.4f}".rstrip("0").rstrip(".") + "万元"
    if style < 0.5:
        return f"{yuan:,.2f}"
    return f"{yuan:.2f}"


def _months(n: int) -> list[dt.date]:
    out = []
    year, month = TODAY.year, TODAY.month
    for _ in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(dt.date(year, month, 1))
    return out
