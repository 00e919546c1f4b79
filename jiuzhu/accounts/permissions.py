"""Permission checks used by actions."""

from __future__ import annotations

from typing import Any

from jiuzhu.core.errors import Forbidden

_ACTION_NAMES = {
    "registry.view": "查看家庭档案",
    "registry.edit": "登记或修改家庭档案",
    "registry.import": "批量导入家庭档案",
    "registry.reveal_pii": "查看完整个人信息",
    "registry.documents": "管理档案材料",
    "applications.notices": "重新生成文书",
    "audit.view": "查看审计日志",
    "accounts.manage": "管理用户和令牌",
    "areas.edit": "维护行政区划",
    "calendar.edit": "维护节假日安排",
    "applications.intake": "受理救助申请",
    "referrals.create": "派单",
    "referrals.handle": "办理派单",
    "records.import": "导入救助对象",
    "parameters.propose": "提出救助标准等参数调整",
    "parameters.confirm": "复核救助标准等参数调整",
    "programs.county": "管理本县开展的救助项目",
    "payments.view": "查看资金发放信息",
    "payments.review": "办理复核和变更报告",
    "payments.reserve": "管理临时救助备用金",
    "payments.roster": "生成和发放花名册",
    "payments.lock": "锁定花名册",
    "payments.decide": "作出复核、停发和追回决定",
    "payments.fund": "拨付备用金",
    "funds.view": "查看资金预算与统筹",
    "funds.edit": "编制资金预算、登记资金收支",
    "monitoring.conduct": "查看工作作风监督（超期、无理由改变决定、未入户即办结）",
    "monitoring.spot_check": "抽查乡镇（街道）的审批决定",
}


def require(user: Any, code: str) -> None:
    """Raise ``Forbidden`` unless the user's role grants ``code``."""
    if getattr(user, "is_superuser", False):
        return
    if not getattr(user, "is_authenticated", False) or not user.has_perm_code(code):
        role = getattr(getattr(user, "role_info", None), "name", "当前角色")
        raise Forbidden("permission_denied", f"{role}无权{_ACTION_NAMES.get(code, '执行此操作')}")


READ_ONLY_MESSAGE = "只读账号只能查看，不能新增、修改或删除任何数据"
# What a read-only user may still do (each is audited as a view): the last part of the
# audit action names the kind of access.
READ_VERBS = frozenset({"view", "reveal", "export", "download", "print", "read"})


# Posts that read: a search or lookup by ID number (posted so that the number stays out of
# URLs), 救助测算, signing out, the public verification page.
READ_POSTS = (
    "/login/",
    "/logout/",
    "/public/",
    "/households/",
    "/persons/lookup/",
    "/eligibility/",
    "/api/v1/persons/lookup",
    "/api/v1/persons/prefill",
    "/api/v1/eligibility/evaluate",
)


def posts_to_read(path: str) -> bool:
    return path in READ_POSTS or path.startswith("/public/")


def is_read_only(user: Any) -> bool:
    return bool(getattr(user, "is_read_only", False))
