"""Which department programs a household may qualify for, and why (LNK-6, 两库匹配).

The 低保/特困/边缘/刚性支出 tests are the rules engine's; the department programs below are
matched on what the registry knows about the family, as each program's conditions in the
救助项目库 describe them. A condition proposes a referral; the department decides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from jiuzhu.registry.models import Household, Person

BASIC = ("dibao", "tekun")  # 认定为低保、特困后联动的专项救助
IN_SCHOOL = ("primary", "junior", "senior", "vocational", "college", "university")


@dataclass(frozen=True)
class Context:
    household: Household
    members: list[Person]
    programs: frozenset[str]  # programs the household has been approved for (engine codes)

    def ages(self) -> list[int]:
        today = timezone.localdate()
        return [m.age_on(today) for m in self.members]


Rule = Callable[[Context], list[str]]


def _names(people: list[Person]) -> str:
    return "、".join(p.name[0] + "*" * (len(p.name) - 1) for p in people)


def _medical_insurance(ctx: Context) -> list[str]:
    if ctx.programs & set(BASIC):
        return ["低保、特困人员参加城乡居民基本医疗保险，个人缴费部分给予资助"]
    return []


def _major_illness(ctx: Context) -> list[str]:
    ill = [m for m in ctx.members if m.health_status in ("serious", "chronic")]
    if ill and ctx.programs & set(BASIC):
        return [f"家庭成员{_names(ill)}患重病或长期慢性病，纳入重特大疾病医疗救助"]
    return []


def _education(ctx: Context) -> list[str]:
    students = [m for m in ctx.members if m.school_status in IN_SCHOOL]
    if students and ctx.programs & set(BASIC):
        return [f"家庭有在校学生{_names(students)}，按学段落实教育救助"]
    return []


def _housing_rural(ctx: Context) -> list[str]:
    if ctx.household.urban_rural == "rural" and ctx.programs & set(BASIC):
        return ["农村低保、特困家庭，开展房屋安全鉴定，危房纳入改造"]
    return []


def _housing_urban(ctx: Context) -> list[str]:
    if ctx.household.urban_rural == "urban" and ctx.programs & set(BASIC):
        return ["城镇低保、特困家庭住房困难的，优先保障公租房"]
    return []


def _employment(ctx: Context) -> list[str]:
    today = timezone.localdate()
    jobless = [
        m
        for m in ctx.members
        if m.employment_status == "unemployed" and 16 <= m.age_on(today) < 60 and m.labour_capacity != "none"
    ]
    if jobless:
        return [f"有劳动能力的失业成员{_names(jobless)}，提供就业援助"]
    return []


def _zero_employment(ctx: Context) -> list[str]:
    today = timezone.localdate()
    working_age = [m for m in ctx.members if 16 <= m.age_on(today) < 60 and m.labour_capacity != "none"]
    if (
        working_age
        and ctx.household.urban_rural == "urban"
        and not any(m.employment_status in ("employed", "flexible") for m in working_age)
    ):
        return ["城镇家庭劳动年龄内成员均未就业，认定零就业家庭并帮扶就业"]
    return []


def _rehabilitation(ctx: Context) -> list[str]:
    disabled = [m for m in ctx.members if m.disability_category]
    if disabled and ctx.programs & set(BASIC):
        return [f"残疾成员{_names(disabled)}，纳入残疾人康复救助"]
    return []


def _disability_living(ctx: Context) -> list[str]:
    disabled = [m for m in ctx.members if m.disability_category]
    if disabled and "dibao" in ctx.programs:
        return [f"低保家庭中的残疾人{_names(disabled)}，发放困难残疾人生活补贴"]
    return []


def _disability_care(ctx: Context) -> list[str]:
    severe = [m for m in ctx.members if m.disability_grade in (1, 2)]
    if severe:
        return [f"一级、二级重度残疾人{_names(severe)}，发放重度残疾人护理补贴"]
    return []


def _elderly(ctx: Context) -> list[str]:
    today = timezone.localdate()
    old = [m for m in ctx.members if m.age_on(today) >= 80]
    if old and ctx.programs & set(BASIC):
        return [f"经济困难的80周岁以上老年人{_names(old)}，发放经济困难老年人补贴"]
    return []


RULES: dict[str, Rule] = {
    "medical_insurance_subsidy": _medical_insurance,
    "medical_major_illness": _major_illness,
    "education_assistance": _education,
    "housing_rural_renovation": _housing_rural,
    "housing_public_rental": _housing_urban,
    "employment_assistance": _employment,
    "zero_employment_family": _zero_employment,
    "rehabilitation_assistance": _rehabilitation,
    "disability_living_subsidy": _disability_living,
    "disability_care_subsidy": _disability_care,
    "elderly_subsidy": _elderly,
}


def context_for(household: Household, programs: set[str] | None = None) -> Context:
    from jiuzhu.applications.models import Application

    approved = set(
        Application.objects.filter(household=household, state="approved", program__in=BASIC).values_list(
            "program", flat=True
        )
    )
    members = list(household.members.filter(death_date__isnull=True))
    return Context(household, members, frozenset(approved | (programs or set())))


def matching_programs(ctx: Context) -> dict[str, list[str]]:
    """Catalog code → reasons, for every department program whose conditions the family meets."""
    out = {}
    for code, rule in RULES.items():
        reasons = rule(ctx)
        if reasons:
            out[code] = reasons
    return out
