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

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Count, Max
from django.utils import timezone

from jiuzhu.accounts.roles import ROLES
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput

from .models import PRESET_LABELS, STATE_CHOICES, Application, WorkflowChange
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
    change_id: int | None = None  # the confirmed WorkflowChange (办理流程调整) that set ``who``

    def key(self, preset: str) -> str:
        """The row's name in a county's override: transition, source states and preset."""
        return f"{self.name}:{','.join(self.sources)}:{preset}"


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
    """Rows of the county's table that apply to this case's state and preset."""
    return [t for t in table_for(config) if application.state in t.sources and _applies(t, application, config)]


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
    rows = [t for t in table_for(config) if t.name == name]
    if not rows:
        left_out = next((t.label for t in TRANSITIONS if t.name == name and config.preset in t.presets), None)
        if left_out is not None:
            raise DomainError("step_disabled", f"本县办理流程已停用“{left_out}”环节")
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


# ---------------------------------------------------------------------------------------------
# The county's own table (issue 16 item 2, GOV-5, WF-2): confirmed 办理流程调整 replace the roles
# of a row from their valid_from, or leave out an optional step. Each step is checked against
# the table in force on the day it is taken.

STATE_LABELS = dict(STATE_CHOICES)
SPEC_LABELS = {  # 可操作岗位 (role@level) as staff read them
    "window@town": "镇（街道）窗口经办人员",
    "approver@town": "镇（街道）审批人员",
    "approver@county": "县级民政部门审批人员",
    "approver@{level}": "审批人员（按审批层级设置，镇或县）",
    "village@village": "村（社区）协理员",
}
# Decisions (审核确认、不予批准、报县级审批、一事一议、提出审核意见): never by the intake clerk (受理经办)
# or the village assistant — who takes an application may not also decide it (WF-7).
DECISIONS = frozenset({"approve", "reject", "propose", "escalate", "special_deliberation"})
# Steps a county may leave out, by preset: under 民发〔2021〕57号 民主评议 is held only where the town
# finds it needed, so its record and the return to investigation are optional; seed 004 (devolved)
# sends every objection to 民主评议, so there only 重新调查 is optional.
OPTIONAL = {
    "national": frozenset({"record_deliberation", "reinvestigate"}),
    "devolved": frozenset({"reinvestigate"}),
}
ENTRY_STATES = ("accepted",)
CONCLUDED = ("approved", "rejected", "not_accepted")  # 办结 by staff (撤回 is the applicant's)


def _spec_levels() -> dict[str, frozenset[str]]:
    """The levels each workflow role can hold, from the roles themselves (accounts.roles)."""
    levels = {role: frozenset(ROLES[code].level for code in codes) for role, codes in ROLE_OF.items()}
    county = frozenset(ROLES[code].level for code in COUNTY_APPROVER)
    levels["approver"] = levels["approver"] | county | {"{level}"}
    return levels


SPEC_LEVELS = _spec_levels()
LEVEL_LABELS = {"village": "村（社区）", "town": "镇（街道）", "county": "县级", "{level}": "按审批层级"}
ROLE_LABELS = {"window": "窗口经办", "approver": "审批", "village": "协理员"}


@dataclass(frozen=True)
class Override:
    change_id: int
    key: str
    who: tuple[str, ...]
    enabled: bool
    valid_from: dt.date


_cache: tuple[tuple[Any, ...], dict[str, list[Override]], dict[tuple[str, dt.date, str], tuple[Transition, ...]]]
_cache = ((), {}, {})


def _overrides() -> tuple[dict[str, list[Override]], dict[tuple[str, dt.date, str], tuple[Transition, ...]]]:
    """Every confirmed change by county, and the memo of tables built from them (one small
    query when nothing changed since the last call, as ``programs.engine.parameter_store``)."""
    global _cache
    confirmed = WorkflowChange.objects.filter(status="confirmed")
    key = tuple(confirmed.aggregate(n=Count("id"), last=Max("id"), at=Max("decided_at")).values())
    if _cache[0] == key:
        return _cache[1], _cache[2]
    by_county: dict[str, list[Override]] = {}
    for c in confirmed.order_by("valid_from", "decided_at", "id"):
        key_ = f"{c.transition}:{c.sources}:{c.preset}"
        by_county.setdefault(c.county_code, []).append(Override(c.pk, key_, tuple(c.who), c.enabled, c.valid_from))
    _cache = (key, by_county, {})
    return by_county, _cache[2]


def build_table(preset: str, overrides: list[Override], day: dt.date) -> tuple[Transition, ...]:
    """The code table for ``preset`` with the overrides in force on ``day`` (the latest wins)."""
    latest: dict[str, Override] = {}
    for o in overrides:
        if o.valid_from <= day:
            latest[o.key] = o
    rows = []
    for t in TRANSITIONS:
        if preset not in t.presets:
            continue
        found = latest.get(t.key(preset))
        if found is None:
            rows.append(t)
        elif found.enabled:
            rows.append(replace(t, who=found.who, change_id=found.change_id))
    return tuple(rows)


def effective_table(county_code: str, day: dt.date, preset: str) -> tuple[Transition, ...]:
    """The county's table on ``day`` for ``preset``: code table + its confirmed changes."""
    by_county, memo = _overrides()
    found = memo.get((county_code, day, preset))
    if found is None:
        found = memo[(county_code, day, preset)] = build_table(preset, by_county.get(county_code, []), day)
    return found


def county_overrides(county_code: str) -> list[Override]:
    return list(_overrides()[0].get(county_code, []))


def table_for(config: ProcedureConfig) -> tuple[Transition, ...]:
    """The table a case of this county runs under today (cached on the config: the buttons
    of one page or one list read it once)."""
    cached: tuple[Transition, ...] | None = config.__dict__.get("workflow_table")
    if cached is None:
        cached = effective_table(config.county_code, timezone.localdate(), config.preset)
        config.__dict__["workflow_table"] = cached
    return cached


def code_row(name: str, sources: tuple[str, ...], preset: str) -> Transition:
    """The row of the code table a change names, or a refusal naming the field."""
    if preset not in PRESET_LABELS:
        raise InvalidInput("invalid_choice", f"流程模式“{preset}”不存在，应为devolved或national", field="preset")
    for t in TRANSITIONS:
        if t.name == name and t.sources == sources and preset in t.presets:
            return t
    raise InvalidInput(
        "unknown_transition",
        f"{PRESET_LABELS[preset]}流程中没有从“{'、'.join(STATE_LABELS.get(s, s) for s in sources)}”出发的“{name}”操作",
        field="transition",
    )


def describe_spec(spec: str) -> str:
    return SPEC_LABELS.get(spec, spec)


def check_row(row: Transition, who: tuple[str, ...], enabled: bool, preset: str) -> None:
    """The bounds of one row (WF-7): a role for every step, real roles at levels they can hold,
    decisions never by the intake clerk or the village assistant, only optional steps left out."""
    if not enabled:
        if row.name not in OPTIONAL.get(preset, frozenset()):
            raise InvalidInput(
                "required_step",
                f"“{row.label}”是{PRESET_LABELS[preset]}流程的必经环节，不能停用",
                field="enabled",
            )
        return
    if not who:
        raise InvalidInput("no_role", f"“{row.label}”至少须有一个可操作岗位", field="who")
    for spec in who:
        role, _, level = spec.partition("@")
        if role not in SPEC_LEVELS:
            raise InvalidInput(
                "unknown_role",
                f"“{row.label}”的可操作岗位“{spec}”不存在，可选：{'、'.join(SPEC_LABELS.values())}",
                field="who",
            )
        if level not in SPEC_LEVELS[role]:
            held = "、".join(LEVEL_LABELS[x] for x in sorted(SPEC_LEVELS[role]))
            raise InvalidInput(
                "invalid_level",
                f"“{row.label}”的可操作岗位“{spec}”无效：{ROLE_LABELS[role]}岗位只设在{held}",
                field="who",
            )
    if row.name in DECISIONS and any(spec.split("@")[0] in ("window", "village") for spec in who):
        raise InvalidInput(
            "clerk_cannot_decide",
            f"“{row.label}”是审批决定，不能由镇（街道）窗口经办人员或村（社区）协理员办理：受理与审批须由不同人员承担",
            field="who",
        )


def _moves(t: Transition, state: str) -> bool:
    """A step that takes a case on from ``state`` towards a decision (撤回 is the applicant's)."""
    return state in t.sources and t.target not in ("", state, "withdrawn") and bool(t.who)


def check_table(rows: tuple[Transition, ...], preset: str, changed: Transition) -> None:
    """No state stranded (WF-2): every state a case can reach has a step that moves it on,
    and from every such state a decision (批准、不予批准、不予受理) can still be reached."""
    reached: list[str] = list(ENTRY_STATES)
    for state in reached:
        for t in rows:
            if state in t.sources and t.target and t.target not in reached:
                reached.append(t.target)
    concluding = set(CONCLUDED)
    grew = True
    while grew:
        grew = False
        for t in rows:
            for s in t.sources:
                if s not in concluding and t.target in concluding and _moves(t, s):
                    concluding.add(s)
                    grew = True
    for state in reached:
        if state in CONCLUDED or state == "withdrawn":
            continue
        if state not in concluding:
            raise DomainError(
                "stranded_state",
                f"调整“{changed.label}”后，{PRESET_LABELS[preset]}流程中处于“{STATE_LABELS.get(state, state)}”"
                "状态的案件将无人能够继续办理（除申请人撤回外没有后续操作），不能这样调整",
                field="enabled",
            )


@dataclass(frozen=True)
class Listed:
    """One row of a county's table as the settings page and the API show it."""

    row: Transition  # the code row (its roles before any change)
    preset: str
    who: tuple[str, ...]
    enabled: bool
    change_id: int | None
    optional: bool

    @property
    def key(self) -> str:
        return self.row.key(self.preset)

    @property
    def sources_label(self) -> str:
        return "、".join(STATE_LABELS.get(s, s) for s in self.row.sources)

    @property
    def target_label(self) -> str:
        return STATE_LABELS.get(self.row.target, self.row.target) if self.row.target else "（状态不变）"

    @property
    def who_label(self) -> str:
        return "、".join(describe_spec(s) for s in self.who) if self.enabled else "（本县已停用）"


def listing(county_code: str, day: dt.date, preset: str) -> list[Listed]:
    """Every row of the preset, with the county's roles in force on ``day``; rows the county
    left out are listed as such, ordered by the first state they start from."""
    effective = {t.key(preset): t for t in effective_table(county_code, day, preset)}
    order = {s: i for i, (s, _) in enumerate(STATE_CHOICES)}
    rows = []
    for t in TRANSITIONS:
        if preset not in t.presets:
            continue
        e = effective.get(t.key(preset))
        rows.append(
            Listed(
                row=t,
                preset=preset,
                who=e.who if e else (),
                enabled=e is not None,
                change_id=e.change_id if e else None,
                optional=t.name in OPTIONAL.get(preset, frozenset()),
            )
        )
    return sorted(rows, key=lambda r: min(order.get(s, 99) for s in r.row.sources))
