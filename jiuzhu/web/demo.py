"""Demo world: areas, departments, users and a few hundred synthetic households.

Everything is generated deterministically (fixed seeds), so running it twice changes
nothing. Names come from Faker (zh_CN); ID numbers are synthetic with valid checksums.
No real person, no official named in the seed documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.models import Permission
from django.db import transaction

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.system import SystemActor, system_user
from jiuzhu.areas.importer import import_areas
from jiuzhu.areas.models import Area
from jiuzhu.monitoring.demo_field import load_demo_field_reports
from jiuzhu.programs.catalog import sync_catalog
from jiuzhu.verification.demo import load_demo_sources

from .demo_households import SURNAMES as SURNAMES
from .demo_households import _Generator as _Generator  # the benches' generator
from .demo_households import demo_rows as demo_rows
from .demo_households import load_households
from .demo_population import DEMO_POPULATION as DEMO_POPULATION
from .demo_population import demo_population as demo_population
from .demo_population import load_demo_population

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
    from jiuzhu.monitoring.demo_emergency import load_demo_emergency

    load_demo_emergency()  # 应急期: a flood in 涧头集镇, three households relieved from the town's reserve
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
