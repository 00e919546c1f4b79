from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse


@functools.lru_cache(maxsize=256)
def _menu_url(name: str, prefix: str) -> str:
    """A menu entry's address, reversed once per process (and script prefix), not per page."""
    return reverse(name)


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from jiuzhu.registry.population import may_load as may_load_population

    can = user.has_perm_code
    village = getattr(user, "role", "") == "village_assistant"
    items = [("home", "首页", True), ("my_work", "我的待办", True)]
    items += [
        ("applications:intake", "受理申请", can("applications.intake") or user.is_superuser),
        # 掌上办申请 (issue 18 item 2): the town's queue of applications submitted online
        ("online_intake:queue", "掌上办待受理", (can("applications.intake") and not village) or user.is_superuser),
        ("applications:list", "救助申请", can("registry.view") or user.is_superuser),
        ("applications:overdue", "限时办理", can("registry.view") or user.is_superuser),
        (
            "referrals:inbox",
            "派单" if user.is_department_user else "一体联动",
            can("referrals.handle") or can("registry.view") or user.is_superuser,
        ),
        ("referrals:board", "派单督办", can("referrals.create") or can("audit.view") or user.is_superuser),
        ("referrals:import", "救助对象库", can("records.import") or can("registry.view") or user.is_superuser),
        ("verification:index", "核对中心", can("verification.view") or can("sources.upload") or user.is_superuser),
        ("payments:home", "资金发放", can("payments.view") or user.is_superuser),
        ("funds:home", "资金预算", can("funds.view") or user.is_superuser),
        ("monitoring:reviews", "复核管理", can("payments.review") or user.is_superuser),
        ("monitoring:conduct", "工作作风监督", can("monitoring.conduct") or user.is_superuser),
        ("monitoring:spot_checks", "抽查", can("monitoring.conduct") or user.is_superuser),  # SUP-5
        # 政策找人 (issue 17): warnings for town and county staff, grid tasks for every level
        ("discovery:warnings", "预警", (can("registry.view") and not village) or user.is_superuser),
        ("discovery:tasks", "我的核查任务" if village else "核查任务", can("registry.view") or user.is_superuser),
        ("discovery:campaigns", "摸底排查", can("registry.view") or user.is_superuser),  # DIS-2
        ("discovery:field_reports", "现场发现报告", can("registry.edit") or user.is_superuser),  # DIS-5
        ("discovery:emergencies", "应急期", (can("registry.view") and not village) or user.is_superuser),  # WF-12
        # 投诉举报 (SUP-4): towns and the county; departments see what is routed to them
        (
            "complaints:list",
            "投诉举报",
            (not village and (can("registry.view") or can("referrals.handle"))) or user.is_superuser,
        ),
        ("registry:household_list", "家庭档案", can("registry.view") or user.is_superuser),
        ("registry:person_lookup", "身份证查询", can("registry.view") or user.is_superuser),
        ("registry:import", "批量导入", can("registry.import") or user.is_superuser),
        ("registry:population", "户籍人口", may_load_population(user)),
        ("programs:eligibility", "救助测算", True),
        ("programs:catalog", "救助项目库", True),
        ("programs:county", "本县救助项目", can("programs.county") or user.is_superuser),
        ("programs:parameters", "救助标准与设置", True),
        ("areas:tree", "行政区划", True),
        ("audit:list", "审计日志", can("audit.view") or user.is_superuser),
        ("tokens", "接口令牌", True),
    ]
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match is not None else ""
    prefix = get_script_prefix()
    return {"nav_items": [(_menu_url(name, prefix), label, name == current) for name, label, shown in items if shown]}
