"""Demo world: areas, departments, users and a few hundred synthetic households.

Everything is generated deterministically (fixed seeds), so running it twice changes
nothing. Names come from Faker (zh_CN); ID numbers are synthetic with valid checksums.
No real person, no official named in the seed documents.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.auth.models import Permission
from django.db import transaction

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.system import SystemActor, system_user
from jiuzhu.areas.importer import import_areas
from jiuzhu.areas.models import Area
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.monitoring.demo_field import load_demo_field_reports
from jiuzhu.programs.catalog import sync_catalog
from jiuzhu.registry.importer import import_rows
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index
from jiuzhu.verification.demo import load_demo_sources

DEMO_PASSWORD = "jiuzhu-demo-2026"
AREA_FILE = Path(__file__).resolve().parent.parent / "areas" / "data" / "demo_areas.csv"
TAIERZHUANG = "370405000000"

# Departments of seed 000 (台政字〔2020〕21号) that take part in assistance and verification.
DEPARTMENTS = [
    ("minzheng", "台儿庄区民政局"),
    ("yibao", "台儿庄区医疗保障局"),
    ("jiaoti", "台儿庄区教育和体育局"),
    ("zhujian", "台儿庄区住房和城乡建设局"),
    ("renshe", "台儿庄区人力资源和社会保障局"),
    ("weijian", "台儿庄区卫生健康局"),
    ("canlian", "台儿庄区残疾人联合会"),
    ("yingji", "台儿庄区应急管理局"),
    ("gongan", "枣庄市公安局台儿庄分局"),
    ("shuiwu", "国家税务总局台儿庄区税务局"),
    ("shichang", "台儿庄区市场监督管理局"),
    ("nongye", "台儿庄区农业农村局"),
    ("ziran", "台儿庄区自然资源局（不动产登记）"),
    ("gongjijin", "枣庄市住房公积金中心台儿庄管理部"),
    ("tuiyi", "台儿庄区退役军人事务局"),
    ("fupin", "台儿庄区扶贫开发办公室"),
    ("caizheng", "台儿庄区财政局"),
    ("sifa", "台儿庄区司法局"),
    ("zonggonghui", "台儿庄区总工会"),
    ("fulian", "台儿庄区妇女联合会"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    area: str
    department: str = ""
    staff: bool = False


USERS = [
    DemoUser("tez_admin", "系统管理员（演示）", "admin", TAIERZHUANG, "minzheng", staff=True),
    DemoUser("tez_county", "区民政业务员（演示）", "county_officer", TAIERZHUANG, "minzheng"),
    DemoUser("tez_zhangshanzi", "张山子镇窗口（演示）", "town_clerk", "370405101000"),
    DemoUser("tez_zhangshanzi_sp", "张山子镇审批（演示）", "town_approver", "370405101000"),
    DemoUser("tez_jiantouji", "涧头集镇窗口（演示）", "town_clerk", "370405103000"),
    DemoUser("tez_beiluo", "北洛村协理员（演示）", "village_assistant", "370405101201"),
    DemoUser("tez_hecha", "区核对中心核对员（演示）", "county_verifier", TAIERZHUANG, "minzheng"),
    DemoUser("tez_yibao", "区医保局经办（演示）", "department", TAIERZHUANG, "yibao"),
    DemoUser("tez_jiaoti", "区教体局经办（演示）", "department", TAIERZHUANG, "jiaoti"),
    DemoUser("tez_gongan", "区公安分局户政经办（演示）", "department", TAIERZHUANG, "gongan"),
    DemoUser("tez_viewer", "区纪检监督（演示）", "supervisor", TAIERZHUANG),
    # 枣庄市民政局: the city's own settings (市级标准、时限), proposed by one and confirmed by the other.
    DemoUser("zz_admin", "枣庄市民政局管理员（演示）", "city_admin", "370400000000"),
    DemoUser("zz_jiuzhu", "枣庄市民政局社会救助科（演示）", "city_admin", "370400000000"),
]

ADMIN_MODEL_PERMS = ["holidays", "areas", "accounts", "referrals", "programs"]


def load_areas() -> None:
    import_areas(AREA_FILE.read_bytes(), by=system_user("系统（演示数据）"))


def load_departments() -> None:
    county = Area.objects.get(code=TAIERZHUANG)
    for code, name in DEPARTMENTS:
        Department.objects.get_or_create(area=county, code=code, defaults={"name": name})


def load_users() -> None:
    for spec in USERS:
        if User.objects.filter(username=spec.username).exists():
            continue
        department = (
            Department.objects.filter(code=spec.department, area_id=TAIERZHUANG).first() if spec.department else None
        )
        user = User.objects.create_user(
            spec.username,
            password=DEMO_PASSWORD,
            full_name=spec.full_name,
            role=spec.role,
            area_id=spec.area,
            department=department,
            is_staff=spec.staff,
        )
        if spec.staff:
            user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_MODEL_PERMS))


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


def load_demo_programs() -> None:
    """The demo counties run every program of the catalog (本县开展的救助项目, PRG-2); 台儿庄区
    also shows one local program of its own and one abolished proof (取消的证明事项, INT-18)."""
    from jiuzhu.applications.config import DEMO_COUNTIES
    from jiuzhu.programs.models import AssistanceProgram, CountyProgram

    CountyProgram.objects.bulk_create(
        [
            CountyProgram(county_code=county, program=program)
            for county in DEMO_COUNTIES
            for program in AssistanceProgram.objects.filter(is_active=True, county_code="")
        ],
        ignore_conflicts=True,
    )
    local, _ = AssistanceProgram.objects.get_or_create(code=DEMO_LOCAL_PROGRAM["code"], defaults=DEMO_LOCAL_PROGRAM)
    CountyProgram.objects.get_or_create(county_code=TAIERZHUANG[:6], program=local)
    CountyProgram.objects.filter(
        county_code=TAIERZHUANG[:6], program__code__in=["dibao_urban", "dibao_rural"], abolished_proofs=[]
    ).update(abolished_proofs=[DEMO_ABOLISHED_PROOF])
    for county, phone in DEMO_CONTACT_PHONES.items():  # 咨询电话, shown in the 办事指南
        CountyProgram.objects.filter(county_code=county, contact_phone="").update(contact_phone=phone)


# The demo counties' 社会救助咨询电话 (演示数据, not real numbers).
DEMO_CONTACT_PHONES = {
    "370405": "0632-6612345",
    "370404": "0632-7712345",
    "370481": "0632-3312345",
    "370321": "0533-6912345",
}


# 台政字〔2020〕21号 (seed 000): proofs obtainable by internal investigation or data sharing are abolished.
DEMO_ABOLISHED_PROOF = {"name": "村（居）委会出具的家庭收入证明", "document": "台政字〔2020〕21号"}
DEMO_LOCAL_PROGRAM = {  # 本县自设项目 (PRG-2), the demo's
    "code": "tez_elderly_meal",
    "name": "困难老年人助餐补助（台儿庄区自设）",
    "layer": "social",
    "department_code": "local",
    "department_name": "台儿庄区民政局",
    "engine_program": "",
    "target_group": "本区低保、特困家庭中年满70周岁的老年人（演示数据）。",
    "conditions": "本区户籍，已纳入低保或特困供养，在社区长者食堂就餐。",
    "benefits": "每人每餐补助3元，按月结算至长者食堂（演示数据）。",
    "documents": ["居民身份证（一证申请，窗口只需出示）", "助餐补助申请表（可由社区代填）"],
    "legal_basis": ["台政字〔2020〕21号"],
    "procedure": "社区受理→镇（街道）审核→区民政局确认→按月结算。",
    "time_limit_working_days": 10,
    "approval_level": "county",
    "requirements": ["PRG-2"],
    "county_code": TAIERZHUANG[:6],
}


def load_demo_layouts() -> None:
    """The demo counties' bank layouts (银行文件格式): the standard ones, as onboarding installs them."""
    from jiuzhu.applications.config import DEMO_COUNTIES
    from jiuzhu.payments.actions.layouts import install_standard_layouts

    actor = SystemActor("系统（演示数据）")
    for county in DEMO_COUNTIES:
        install_standard_layouts(county, by=actor)  # type: ignore[arg-type]


def load_demo() -> dict[str, int]:
    with transaction.atomic():
        load_areas()
        load_departments()
        load_users()
        programs = sync_catalog()
        load_demo_programs()
        load_demo_layouts()
    households = load_households()
    load_demo_sources()  # 核对: department files for the demo households, authorizations, requests
    load_demo_population()  # 一证申请: 户籍人口 of families not yet registered, with department facts
    load_reserves()
    from jiuzhu.funds.demo import load_demo_funds

    load_demo_funds()  # 资金预算与统筹: 2026 budget, fiscal powers, plan, incentives, contract, charity
    from jiuzhu.monitoring.demo_discovery import load_demo_discovery

    load_demo_discovery()  # 政策找人: 台儿庄区's monitoring rules; 北洛村 (tez_beiluo) gets open 核查任务
    load_demo_field_reports()  # 现场发现报告 (DIS-5): one man without an ID, one known old woman, 北洛村
    from jiuzhu.web.demo_cases import load_demo_cases

    cases = load_demo_cases()  # 救助申请: the day's cases of 张山子镇 and 涧头集镇, in every stage
    return {"households": households, "programs": programs, "cases": cases}


def load_reserves() -> int:
    """临时救助备用金: 5万元 per town of the demo counties (seed 003's figure); idempotent."""
    from jiuzhu.funds.actions import open_reserve, top_up_reserve
    from jiuzhu.funds.models import ReserveFund

    actor = SystemActor("系统（演示数据）")
    opened = 0
    with transaction.atomic():
        for town in Area.objects.filter(level="town", code__startswith="370405").order_by("code"):
            if ReserveFund.objects.filter(area_code=town.code).exists():
                continue
            fund = open_reserve(by=actor, town_code=town.code, low_balance_fen=1_000_000)
            top_up_reserve(
                fund, by=actor, amount_fen=5_000_000, source="fiscal", note="演示：镇（街道）设立5万元临时救助备用金"
            )
            opened += 1
    return opened


# 一证申请 (issue 14 item 16): families of 张山子镇 known to the departments but not yet
# registered, so that the window's ID lookup shows 部门数据预填. One member's 户籍 lies in
# 峄城区 (flagged 户籍不在本县), one grandmother has died (not proposed).
_POP_ADDRESS = {"370405101201": "张山子镇北洛村", "370405101202": "张山子镇侯孟村"}
DEMO_POPULATION: list[tuple[str, str, str, dt.date, str, str]] = [
    # 户号, 与户主关系, 姓名, birth, gender, 户籍地区划代码
    ("3704051012010901", "户主", "孙建国", dt.date(1968, 3, 4), "M", "370405101201"),
    ("3704051012010901", "妻", "李秀英", dt.date(1970, 5, 6), "F", "370405101201"),
    ("3704051012010901", "子", "孙小明", dt.date(2012, 7, 8), "M", "370405101201"),
    ("3704051012010901", "母亲", "王桂兰", dt.date(1941, 9, 10), "F", "370405101201"),
    ("3704051012010901", "儿媳", "赵丽", dt.date(1992, 1, 2), "F", "370404101201"),
    ("3704051012020902", "户主", "周大海", dt.date(1975, 11, 1), "M", "370405101202"),
    ("3704051012020902", "女", "周晓雨", dt.date(2009, 4, 18), "F", "370405101202"),
    ("3704051012020902", "父亲", "周长林", dt.date(1946, 2, 27), "M", "370405101202"),
]


def demo_population() -> list[list[str]]:
    """The 公安 file's rows (户号, 与户主关系, 姓名, 身份证号码, 户籍地址, 户籍地区划代码)."""
    rows = []
    for i, (number, relation, name, birth, gender, code) in enumerate(DEMO_POPULATION):
        address = _POP_ADDRESS.get(code, "峄城区阴平镇阴平村") + f"{number[-2:]}号"
        rows.append([number, relation, name, make_id_number(code[:6], birth, 870 + 2 * i, gender), address, code])
    return rows


def load_demo_population() -> int:
    """Load the demo 户籍人口 and a few department facts about those families; idempotent."""
    import csv
    import hashlib
    import io

    from jiuzhu.registry.models import PopulationRecord
    from jiuzhu.registry.population import HEADERS, load_population
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.ingest import process_batch
    from jiuzhu.verification.models import Source

    rows = demo_population()
    registered = set(
        Person.objects.filter(id_number_index__in=[blind_index("id_number", r[3]) for r in rows]).values_list(
            "id_number_index", flat=True
        )
    )
    rows = [r for r in rows if blind_index("id_number", r[3]) not in registered]

    def csv_of(headers: list[str], body: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([headers, *body])
        return out.getvalue().encode("utf-8")

    system = system_user("系统（演示数据）")
    data = csv_of(HEADERS, rows)
    county = TAIERZHUANG[:6]
    if rows and not PopulationRecord.objects.filter(batch_sha256=hashlib.sha256(data).hexdigest()).exists():
        load_population(data, "演示户籍人口.csv", by=system, county_code=county)
    ids = {r[2]: r[3] for r in rows}
    facts = {
        "canlian.disability": [
            {
                "name": "王桂兰",
                "cert": "37040519410910C1",
                "category": "肢体残疾",
                "grade": "二级",
                "issued_on": "2019-06-01",
                "state": "正常",
            },
            {
                "name": "周长林",
                "cert": "37040519460227C2",
                "category": "视力残疾",
                "grade": "一级",
                "issued_on": "2021-03-15",
                "state": "正常",
            },
        ],
        "jiaoti.student": [
            {"name": "孙小明", "school": "张山子镇中心中学", "stage": "初中", "grade": "八年级", "state": "在读"},
            {"name": "周晓雨", "school": "台儿庄区第二中学", "stage": "高中", "grade": "高二", "state": "在读"},
        ],
        "renshe.employment": [
            {
                "name": "孙建国",
                "employer": "枣庄某建材有限公司",
                "job_type": "灵活就业",
                "started_on": "2025-03-01",
                "wage": "2100",
                "state": "在职",
            },
        ],
        "gongan.hukou": [{"name": "王桂兰", "event": "死亡注销", "event_on": "2026-10-02", "place": ""}],
    }
    for code, items in facts.items():
        source = Source.objects.filter(code=code).first()
        body = [item | {"id_number": ids[item["name"]]} for item in items if item["name"] in ids]
        if source is None or not body:
            continue
        schema = source.current_schema
        if schema is None:
            continue
        data = csv_of(schema.headers, [[str(b.get(f["key"], "")) for f in schema.fields] for b in body])
        batch, created = receive_batch(
            source,
            [data],
            by=system,
            filename=f"演示-一证申请-{code}.csv",
            channel="demo",
            county_code=county,
            kind="increment",
        )
        if created or batch.status in ("queued", "processing"):
            process_batch(batch.pk)
    return len(rows)
