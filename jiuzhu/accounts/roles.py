"""Roles (岗位角色) and what each may do.

A role is fixed at one area level (GOV-1): the user's area must be of that level, and the
user's jurisdiction is that area's subtree. Permissions are plain strings checked by
actions (``require(user, "registry.edit")``); the UI hides what the role may not do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    level: str  # area level the user must belong to: village, town, county, city or province
    permissions: frozenset[str]
    read_only: bool = False  # 只读: no write of any kind, anywhere (issue 14 item 10)


# verification.view: the 核对报告 and 核对预警 of the jurisdiction
_READ = {"registry.view", "areas.view", "verification.view"}
_PARAMETERS = {"parameters.propose", "parameters.confirm"}
_CATALOG = {"programs.county"}  # 本县救助项目: choose programs, own materials and contacts (PRG-2)
_REFER = {"referrals.create"}
# 文书 (notices) are acts of the town (申请受理、审核确认, seeds 001 and 003) or the county: the
# roles that issue them may re-render one whose rendering failed (重试, issue 19); not the
# village assistant (政策宣传、入户核查服务) nor the system administrator.
_NOTICES = {"applications.notices"}
_WRITE = _READ | {"registry.edit", "registry.import", "registry.reveal_pii", "registry.documents"}
# 资金发放与动态管理 (issue 7): town roles run reviews and their reserve; the county pays.
_PAY_TOWN = {"payments.view", "payments.review", "payments.reserve"}
_PAY_COUNTY = _PAY_TOWN | {"payments.roster", "payments.lock", "payments.decide", "payments.fund"}
# 资金预算与统筹 (FND): the county's civil-affairs business and admin plan; towns and supervisors read.
_FUNDS_VIEW = {"funds.view"}
_FUNDS_EDIT = {"funds.view", "funds.edit"}
# 工作作风监督 (DIS-10): the supervisors, county civil affairs and each town's 审批 leadership.
_CONDUCT = {"monitoring.conduct"}
# 抽查 (SUP-5): the county draws and checks the towns' decisions; the towns answer with 整改.
_SPOT_CHECK = {"monitoring.spot_check"}

ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        # 村协理员/网格员 (GOV-6, GOV-9): registers families, helps apply, reports hardship.
        Role(
            "village_assistant",
            "村协理员/网格员",
            "village",
            frozenset((_WRITE - {"registry.import"}) | {"applications.intake"}),
        ),
        # 镇窗口经办 (GOV-4): one-door intake, investigation, registry upkeep.
        Role(
            "town_clerk",
            "镇窗口经办",
            "town",
            frozenset(_WRITE | {"applications.intake", *_REFER} | _NOTICES | _PAY_TOWN | _FUNDS_VIEW),
        ),
        # 镇审批: decides devolved programs (seed 004); also keeps the registry.
        Role(
            "town_approver",
            "镇审批",
            "town",
            frozenset(
                _WRITE
                | {"applications.intake", "payments.decide", *_REFER}
                | _NOTICES
                | _PAY_TOWN
                | _FUNDS_VIEW
                | _CONDUCT
            ),
        ),
        # 县民政业务 (GOV-15): county civil affairs, oversight of towns.
        Role(
            "county_officer",
            "县民政业务",
            "county",
            frozenset(
                _WRITE
                | {"audit.view", *_PARAMETERS, *_CATALOG, *_REFER}
                | _NOTICES
                | _PAY_COUNTY
                | _FUNDS_EDIT
                | _CONDUCT
                | _SPOT_CHECK
            ),
        ),
        # 县核对员: economic-status verification centre.
        Role("county_verifier", "县核对员", "county", frozenset(_READ | {"registry.reveal_pii", "verification.run"})),
        # 部门用户 (GOV-14): a department stationed in the county centre; sees only what
        # referrals and data exchange expose to it.
        Role(
            "department",
            "部门用户",
            "county",
            frozenset({"areas.view", "referrals.handle", "records.import", "sources.upload"}),
        ),
        # 监督/只读: supervisors and discipline inspection; read everything, change nothing.
        Role(
            "supervisor",
            "监督/只读",
            "county",
            frozenset(_READ | {"audit.view", "payments.view"} | _FUNDS_VIEW | _CONDUCT),
            read_only=True,
        ),
        # 系统管理员: accounts, areas, calendar, tokens of the county.
        Role(
            "admin",
            "系统管理员",
            "county",
            frozenset(
                _WRITE
                | {
                    "audit.view",
                    "accounts.manage",
                    "areas.edit",
                    "calendar.edit",
                    "sources.manage",
                    *_PARAMETERS,
                    *_CATALOG,
                }
                | {"payments.view", "payments.lock"}
                | _FUNDS_EDIT
            ),
        ),
        # 市级、省级民政管理员 (GOV-3, GOV-17): set the settings of their level (市、省规定的
        # 标准和时限), two of them by the two-person rule; read their subtree, change no case.
        Role("city_admin", "市级民政管理员", "city", frozenset(_READ | _PARAMETERS | {"audit.view"})),
        Role("province_admin", "省级民政管理员", "province", frozenset(_READ | _PARAMETERS | {"audit.view"})),
    ]
}

ROLE_CHOICES = [(r.code, r.name) for r in ROLES.values()]
