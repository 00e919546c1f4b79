"""Demo funds data for 台儿庄区 (370405): the 2026 budget by programme and source with monthly
plans, the fiscal-power list of the main programmes, a 十四五 plan, a few incentives, one
purchase-of-service contract and the charity account with one donation. Idempotent: each part
is skipped when it exists. Figures are illustrative, not the county's real budget."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jiuzhu.accounts.system import SystemActor

from . import actions
from .models import BudgetLine, CharityAccount, FiscalPower, FundPlan, Incentive, ServiceContract

COUNTY = "370405"
YEAR = 2026
WAN = 10_000 * 100  # 1万元 in fen

# (area, programme, source, 万元, tilted)
BUDGET = [
    (COUNTY, "dibao", "central", 3200, True),
    (COUNTY, "dibao", "provincial", 800, True),
    (COUNTY, "dibao", "city", 200, False),
    (COUNTY, "dibao", "local", 600, False),
    (COUNTY, "tekun", "central", 900, True),
    (COUNTY, "tekun", "local", 300, False),
    (COUNTY, "temporary", "provincial", 100, False),
    (COUNTY, "temporary", "local", 300, False),
    (COUNTY, "temporary", "donation", 50, False),
    (COUNTY, "dibao_edge", "local", 80, False),
    (COUNTY, "medical", "local", 200, False),
    (COUNTY, "services", "local", 150, False),
    ("370405101", "temporary", "local", 20, False),
    ("370405103", "temporary", "local", 20, False),
]
TILT_NOTE = "省级补助资金向财政困难县倾斜（演示）"
POWERS = [
    ("dibao", {"central": 70, "provincial": 15, "city": 5, "county": 10}, "区民政局"),
    ("tekun", {"central": 70, "provincial": 15, "city": 5, "county": 10}, "区民政局"),
    ("temporary", {"provincial": 20, "city": 10, "county": 60, "town": 10}, "区民政局、各镇（街道）"),
    ("dibao_edge", {"county": 100}, "区民政局"),
    ("medical", {"central": 50, "provincial": 20, "city": 10, "county": 20}, "区医疗保障局"),
    ("services", {"county": 100}, "区民政局"),
]
BASIS = (
    "《社会救助暂行办法》；《山东省社会救助办法》；《基本公共服务领域中央与地方共同财政事权和支出责任划分改革方案》"
    "（国办发〔2018〕6号）；台儿庄区社会救助财政事权清单（演示）"
)


def load_demo_funds() -> int:
    """Returns how many parts were created (0 on a second run)."""
    actor = SystemActor("系统（演示数据）")
    created = 0
    with transaction.atomic():
        if not BudgetLine.objects.filter(county_code=COUNTY, year=YEAR).exists():
            for area, program, source, wan, tilted in BUDGET:
                line = actions.create_budget_line(
                    by=actor,
                    year=YEAR,
                    area_code=area,
                    program=program,
                    source=source,
                    amount_fen=wan * WAN,
                    tilted=tilted,
                    tilt_note=TILT_NOTE if tilted else "",
                    note="演示：2026年社会救助资金预算",
                )
                monthly = line.amount_fen // 12
                months = {m: monthly for m in range(1, 12)}
                months[12] = line.amount_fen - monthly * 11
                actions.set_monthly_plan(line, by=actor, months=months)
            created += 1
        if not FiscalPower.objects.filter(county_code=COUNTY).exists():
            for program, shares, department in POWERS:
                actions.set_fiscal_power(
                    by=actor,
                    county_code=COUNTY,
                    program=program,
                    shares=shares,
                    department=department,
                    legal_basis=BASIS,
                )
            created += 1
        if not FundPlan.objects.filter(county_code=COUNTY).exists():
            plan = actions.create_fund_plan(
                by=actor, county_code=COUNTY, name="十四五社会救助资金规划", start_year=2021, end_year=2025, note="演示"
            )
            for program, base in (("dibao", 4200), ("tekun", 1000), ("temporary", 380)):
                actions.set_plan_targets(
                    plan,
                    by=actor,
                    program=program,
                    targets={y: (base + (y - 2021) * base // 20) * WAN for y in plan.years},
                )
            created += 1
        if not Incentive.objects.filter(county_code=COUNTY).exists():
            for kind, org, wan, day, basis in (
                (
                    "grant",
                    "台儿庄区阳光社会工作服务中心",
                    5,
                    dt.date(2026, 3, 15),
                    "社会组织参与社会救助奖补办法（演示）",
                ),
                ("tax", "台儿庄区某爱心企业", 12, dt.date(2026, 4, 30), "公益性捐赠支出企业所得税税前扣除"),
                ("fee", "台儿庄区颐养院", 2, dt.date(2026, 6, 1), "养老服务机构行政事业性收费减免（演示）"),
            ):
                actions.record_incentive(
                    by=actor,
                    area_code=COUNTY,
                    kind=kind,
                    organisation=org,
                    amount_fen=wan * WAN,
                    granted_on=day,
                    basis=basis,
                )
            created += 1
        if not ServiceContract.objects.filter(county_code=COUNTY).exists():
            line = BudgetLine.objects.get(county_code=COUNTY, year=YEAR, program="services", source="local")
            actions.create_contract(
                line,
                by=actor,
                number="TEZ-GM-2026-01",
                provider="台儿庄区阳光社会工作服务中心",
                content="特困人员、低保老年人探访关爱和照料护理服务",
                amount_fen=80 * WAN,
                start_on=dt.date(2026, 1, 1),
                end_on=dt.date(2026, 12, 31),
            )
            created += 1
        if not CharityAccount.objects.filter(county_code=COUNTY).exists():
            account = actions.open_charity_account(by=actor, area_code=COUNTY, manager="台儿庄区慈善总会")
            actions.charity_inflow(
                account,
                by=actor,
                amount_fen=30 * WAN,
                donor="台儿庄区某爱心企业（演示）",
                restricted_purpose="专项用于救助困难群众",
                received_on=dt.date(2026, 1, 20),
            )
            created += 1
    return created
