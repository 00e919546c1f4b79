"""Demo households: a few hundred synthetic families, generated deterministically (fixed seeds)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from jiuzhu.accounts.system import system_user
from jiuzhu.areas.models import Area
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.registry.importer import import_rows
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)


class _Generator:
    def __init__(self, seed: int = 2026) -> None:
        from faker import Faker

        self.rng = random.Random(seed)
        self.faker = Faker("zh_CN")
        self.faker.seed_instance(seed)
        self.used: set[str] = set()
        self.seq = 0
        self.today = dt.date(2026, 11, 1)

    def name(self, surname: str | None = None, gender: str = "M") -> str:
        given = self.faker.first_name_male() if gender == "M" else self.faker.first_name_female()
        return (surname or self.rng.choice(SURNAMES)) + given

    def birth(self, age: int) -> dt.date:
        return self.today - dt.timedelta(days=age * 365 + self.rng.randint(0, 360))

    def id_number(self, county: str, age: int, gender: str) -> str:
        while True:
            self.seq += 1
            value = make_id_number(county, self.birth(age), self.rng.randint(0, 999), gender)
            if value not in self.used:
                self.used.add(value)
                return value

    def phone(self) -> str:
        return "170" + "".join(str(self.rng.randint(0, 9)) for _ in range(8))

    def account(self) -> str:
        return "6228" + "".join(str(self.rng.randint(0, 9)) for _ in range(15))

    def member(
        self, county: str, relation: str, age: int, gender: str, surname: str | None = None, **facts: Any
    ) -> dict[str, Any]:
        out = {
            "name": self.name(surname, gender),
            "id_number": self.id_number(county, age, gender),
            "relation": relation,
            "labour_capacity": "full" if 16 <= age < 60 else "none",
            "school_status": "none",
            "marital_status": "married" if age >= 25 else "unmarried",
        }
        if age < 60 and age >= 18:
            out["employment_status"] = self.rng.choice(["farming", "flexible", "employed", "farming"])
        elif age < 18:
            out["employment_status"] = "none"
            out["school_status"] = (
                "preschool" if age < 6 else "primary" if age < 12 else "junior" if age < 15 else "senior"
            )
        else:
            out["employment_status"] = "retired" if self.rng.random() < 0.2 else "none"
        out.update(facts)
        return out

    def household(self, county: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """One household of a randomly chosen kind; returns (members, household facts)."""
        rng = self.rng
        kind = rng.choices(
            ["elderly_alone", "elderly_couple", "severe_disability", "students", "illness", "unemployed", "general"],
            weights=[15, 10, 12, 25, 12, 10, 16],
        )[0]
        surname = rng.choice(SURNAMES)
        head_gender = rng.choice("MF") if kind == "elderly_alone" else "M"
        cause = {
            "elderly_alone": "no_labour",
            "elderly_couple": "no_labour",
            "severe_disability": "disability",
            "students": "education",
            "illness": "illness",
            "unemployed": "unemployment",
            "general": "",
        }[kind]
        facts: dict[str, Any] = {"poverty_cause": cause}
        if kind == "elderly_alone":
            members = [
                self.member(
                    county,
                    "self",
                    rng.randint(62, 92),
                    head_gender,
                    surname,
                    marital_status="widowed",
                    health_status=rng.choice(["chronic", "healthy", "chronic"]),
                    phone=self.phone(),
                )
            ]
        elif kind == "elderly_couple":
            members = [
                self.member(
                    county, "self", rng.randint(60, 85), "M", surname, health_status="chronic", phone=self.phone()
                ),
                self.member(county, "spouse", rng.randint(58, 83), "F"),
            ]
        elif kind == "severe_disability":
            age = rng.randint(20, 55)
            members = [
                self.member(county, "self", age + 25, "M", surname, phone=self.phone()),
                self.member(county, "spouse", age + 23, "F"),
                self.member(
                    county,
                    "child",
                    age,
                    rng.choice("MF"),
                    surname,
                    labour_capacity="none",
                    disability_category=rng.choice(["intellectual", "physical", "mental", "multiple"]),
                    disability_grade=rng.choice([1, 2]),
                    employment_status="none",
                    marital_status="unmarried",
                ),
            ]
        elif kind == "students":
            parent_age = rng.randint(35, 50)
            members = [
                self.member(county, "self", parent_age, "M", surname, phone=self.phone()),
                self.member(county, "spouse", parent_age - rng.randint(0, 4), "F"),
            ]
            for _ in range(rng.randint(1, 3)):
                child_age = rng.randint(7, 21)
                school = "university" if child_age >= 19 else None
                extra = (
                    {"school_status": school, "employment_status": "none", "marital_status": "unmarried"}
                    if school
                    else {}
                )
                members.append(self.member(county, "child", child_age, rng.choice("MF"), surname, **extra))
        elif kind == "illness":
            members = [
                self.member(
                    county,
                    "self",
                    rng.randint(40, 62),
                    "M",
                    surname,
                    health_status="serious",
                    labour_capacity="partial",
                    phone=self.phone(),
                ),
                self.member(county, "spouse", rng.randint(38, 60), "F"),
            ]
            if rng.random() < 0.6:
                members.append(self.member(county, "child", rng.randint(8, 17), rng.choice("MF"), surname))
            facts["rigid_expense_yuan"] = str(rng.randint(30_000, 150_000))
        elif kind == "unemployed":
            members = [
                self.member(
                    county,
                    "self",
                    rng.randint(30, 55),
                    "M",
                    surname,
                    employment_status="unemployed",
                    phone=self.phone(),
                ),
                self.member(county, "spouse", rng.randint(28, 52), "F", employment_status="unemployed"),
            ]
            if rng.random() < 0.7:
                members.append(self.member(county, "child", rng.randint(3, 15), rng.choice("MF"), surname))
        else:
            members = [
                self.member(county, "self", rng.randint(30, 65), "M", surname, phone=self.phone()),
                self.member(county, "spouse", rng.randint(28, 62), "F"),
            ]
            if rng.random() < 0.5:
                members.append(
                    self.member(
                        county, "parent", rng.randint(70, 88), rng.choice("MF"), surname, marital_status="widowed"
                    )
                )
        if rng.random() < 0.6:
            members[0]["bank_name"] = "台儿庄农商银行" if county == "370405" else "农村商业银行"
            members[0]["bank_account"] = self.account()
        return members, facts


def demo_rows(per_village: dict[str, int] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Deterministic import rows (one per member) for every demo village."""
    gen = _Generator()
    villages = list(Area.objects.filter(level="village", is_demo=True).order_by("code"))
    rows: list[tuple[int, dict[str, Any]]] = []
    ref = 0
    for village in villages:
        count = (per_village or {}).get(village.code, 16 if village.code.startswith("370405") else 5)
        for _ in range(count):
            ref += 1
            members, facts = gen.household(village.county_code)
            number = gen.rng.randint(1, 199)
            address = f"{village.parent.name if village.parent else ''}{village.name}{number}号"
            for i, member in enumerate(members):
                row = {"household_ref": str(ref), "area_code": village.code, "address": address, **member}
                if i == 0:
                    row.update(facts)
                rows.append((len(rows) + 2, row))
    return rows


def load_households() -> int:
    rows = demo_rows()
    indexes = [blind_index("id_number", r["id_number"]) for _, r in rows]
    existing = set(Person.objects.filter(id_number_index__in=indexes).values_list("id_number_index", flat=True))
    skip_refs = {r["household_ref"] for (_, r), idx in zip(rows, indexes, strict=True) if idx in existing}
    fresh = [(n, r) for n, r in rows if r["household_ref"] not in skip_refs]
    if not fresh:
        return 0
    return import_rows(fresh, by=system_user("系统（演示数据）"), source="演示数据").households
