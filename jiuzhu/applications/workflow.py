"""The procedure as a table (ARCHITECTURE rule 3): which action moves a case from which
state to which, who may fire it, under which county preset. The UI shows the buttons this
table allows; actions call ``check`` before changing anything; tests walk every row.

``who`` entries are ``role@level``: ``window@town`` (镇窗口经办 or 镇审批 of the case's town),
``approver@town`` (镇审批), ``approver@county`` (县民政业务), ``village@village`` (村协理员 of
the case's village); ``approver@{level}`` takes the level from the county's configuration
for the case's program — or ``county`` once a 临时救助 has been sent up (报县级审批) or
decided by 一事一议 (``decision_level``).

临时救助 above the town's limit (STD-6, WF-17): the town approver sends the case up
(``escalate``, 报县级审批); the county officer decides it, or — for 重大生活困难 — first records
the county's 一事一议 (``special_deliberation``), whose decided amount the approval then pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jiuzhu.core.errors import DomainError, Forbidden

from .models import Application
from .procedure import ProcedureConfig

BOTH = frozenset({"devolved", "national"})
DEVOLVED = frozenset({"devolved"})
NATIONAL = frozenset({"national"})
OPEN = (
    "accepted",
    "returned",
    "investigating",
    "reviewing",
    "county_review",
    "publicizing",
    "deliberating",
    "decision_pending",
)
EXPENSE_KINDS = ("illness", "education")  # 支出型临时救助


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    who: tuple[str, ...]
    presets: frozenset[str] = BOTH
    danger: bool = False


TRANSITIONS: tuple[Transition, ...] = (
    Transition("start_investigation", "开始入户调查与核对", ("accepted",), "investigating", ("window@town",)),
    Transition("return_for_documents", "退回补正", ("accepted", "investigating"), "returned", ("window@town",)),
    Transition("resubmit", "补正完成", ("returned",), "accepted", ("window@town",)),
    Transition("refuse", "不予受理", ("accepted", "returned"), "not_accepted", ("window@town",), danger=True),
    Transition("withdraw", "申请人撤回", OPEN, "withdrawn", ("window@town",), danger=True),
    Transition(
        "record_investigation", "录入入户调查", ("investigating",), "investigating", ("window@town", "village@village")
    ),
    Transition("submit_review", "提交审核", ("investigating",), "reviewing", ("window@town",)),
    Transition("propose", "提出审核意见并公示", ("reviewing",), "publicizing", ("approver@town",), NATIONAL),
    Transition("approve", "批准并在村（居）公示结果", ("reviewing",), "publicizing", ("approver@{level}",), DEVOLVED),
    Transition(
        "approve", "审核确认（批准）", ("publicizing", "decision_pending"), "approved", ("approver@{level}",), NATIONAL
    ),
    Transition("approve", "维持批准", ("decision_pending",), "approved", ("approver@{level}",), DEVOLVED),
    Transition("escalate", "报县级审批", ("reviewing",), "county_review", ("approver@town",)),
    Transition(
        "approve", "县级批准并在村（居）公示结果", ("county_review",), "publicizing", ("approver@county",), DEVOLVED
    ),
    Transition("approve", "县级审批（批准）", ("county_review",), "approved", ("approver@county",), NATIONAL),
    Transition("special_deliberation", "一事一议", ("county_review",), "", ("approver@county",), DEVOLVED),
    Transition(
        "special_deliberation", "一事一议", ("publicizing", "decision_pending"), "", ("approver@county",), NATIONAL
    ),
    Transition("close_publicity", "公示期满无异议", ("publicizing",), "approved", ("window@town",), DEVOLVED),
    Transition("object", "登记公示异议", ("publicizing",), "deliberating", ("window@town", "village@village")),
    Transition("record_deliberation", "录入民主评议", ("deliberating",), "decision_pending", ("window@town",)),
    Transition(
        "reinvestigate",
        "重新调查",
        ("reviewing", "publicizing", "deliberating", "decision_pending"),
        "investigating",
        ("window@town",),
    ),
    Transition(
        "reject",
        "不予批准",
        ("reviewing", "county_review", "publicizing", "decision_pending"),
        "rejected",
        ("approver@{level}",),
        danger=True,
    ),
    Transition("advance_pay", "急难先行救助", ("accepted",), "advance_paid", ("window@town",)),
    Transition("register_formally", "补办登记", ("advance_paid",), "approved", ("window@town",)),
    Transition("extend", "延长办理时限", OPEN, "", ("approver@county",)),
    Transition(
        "supplement",
        "补充授权/补正材料",
        ("accepted", "returned", "investigating"),
        "",
        ("window@town", "village@village"),
    ),
)

ROLE_OF = {"window": ("town_clerk", "town_approver"), "approver": ("town_approver",), "village": ("village_assistant",)}
COUNTY_APPROVER = ("county_officer",)


def decision_level(application: Application, config: ProcedureConfig) -> str:
    """Who decides this case: the county's configuration for its program, raised to the
    county for a 临时救助 sent up (报县级审批) or decided by 一事一议."""
    if application.program == "temporary":
        level = ((application.facts or {}).get("temporary") or {}).get("approval_level")
        if level in ("county", "deliberation"):
            return "county"
    return config.approval_level(application.program)


def _matches(user: Any, application: Application, spec: str, config: ProcedureConfig) -> bool:
    role, _, level = spec.partition("@")
    if level == "{level}":
        level = decision_level(application, config)
    if user.area is None or not user.area.contains(application.area_code):
        return False
    if role == "approver" and level == "county":
        return user.role in COUNTY_APPROVER and user.area.level == "county"
    return user.role in ROLE_OF.get(role, ()) and user.area.level == level


def transitions_for(application: Application, config: ProcedureConfig) -> list[Transition]:
    """Rows of the table that apply to this case's state and county preset."""
    return [
        t
        for t in TRANSITIONS
        if application.state in t.sources and config.preset in t.presets and _applies(t, application, config)
    ]


def _applies(t: Transition, application: Application, config: ProcedureConfig) -> bool:
    emergency = application.program == "temporary" and application.temporary_kind == "emergency"
    expense = application.program == "temporary" and application.temporary_kind in EXPENSE_KINDS
    if t.name == "advance_pay":
        return emergency
    if t.name == "start_investigation":
        return not emergency
    if t.name == "escalate":
        return expense and decision_level(application, config) == "town"
    if t.name == "special_deliberation":
        return expense and decision_level(application, config) == "county"
    return True


def allowed(application: Application, config: ProcedureConfig, user: Any) -> list[Transition]:
    """The buttons this user may press on this case now."""
    return [
        t
        for t in transitions_for(application, config)
        if user.is_superuser or any(_matches(user, application, spec, config) for spec in t.who)
    ]


def check(application: Application, name: str, user: Any, config: ProcedureConfig) -> Transition:
    """The transition ``name`` from the case's current state, or a precise refusal."""
    rows = [t for t in TRANSITIONS if t.name == name and config.preset in t.presets]
    if not rows:
        raise DomainError("unknown_action", f"当前流程配置下没有“{name}”操作")
    # Rights before state: someone who may never take this step hears that, not the case's state.
    specs = [spec for t in rows for spec in t.who]
    if not user.is_superuser and not any(_matches(user, application, spec, config) for spec in specs):
        who = "、".join(dict.fromkeys(_describe(spec, application, config) for spec in specs))
        raise Forbidden("permission_denied", f"“{rows[0].label}”须由{who}办理")
    row = next((t for t in rows if application.state in t.sources and _applies(t, application, config)), None)
    if row is None:
        raise DomainError(
            "invalid_state", f"案件当前状态为“{application.get_state_display()}”，不能执行“{rows[0].label}”"
        )
    if not user.is_superuser and not any(_matches(user, application, spec, config) for spec in row.who):
        who = "、".join(_describe(spec, application, config) for spec in row.who)
        raise Forbidden("permission_denied", f"“{row.label}”须由{who}办理")
    return row


def _describe(spec: str, application: Application, config: ProcedureConfig) -> str:
    role, _, level = spec.partition("@")
    if level == "{level}":
        level = decision_level(application, config)
    if role == "approver":
        return "县级民政部门审批人员" if level == "county" else "镇（街道）审批人员"
    return {"window": "镇（街道）窗口经办人员", "village": "村（社区）协理员"}.get(role, spec)
