"""Duplicate and exclusive benefits (互斥救助, issue 14 item 4), checked at intake and at a decision."""

from __future__ import annotations

from typing import Any

from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError
from jiuzhu.programs.exclusivity import exclusions_of, register_codes, urban_of
from jiuzhu.registry.models import Household

from .. import lookups
from ..models import Application
from ._common import PROGRAM_NAMES, URBAN_LABEL, _today


def _check_no_duplicate(household: Household, program: str) -> None:
    existing = (
        Application.objects.filter(household=household, program=program)
        .exclude(state__in=("rejected", "not_accepted", "withdrawn"))
        .order_by("-id")
        .first()
    )
    if existing is None:
        return
    if existing.state == "approved" and program in ("temporary", "dibao_edge", "rigid_expense"):
        return  # one-off aid and status recognitions may be asked again
    what = "正在享受" if existing.state == "approved" else "已有在办的"
    raise DomainError(
        "duplicate_application",
        f"该家庭{what}{PROGRAM_NAMES[program]}申请（申请编号 {existing.number}，{existing.get_state_display()}），"
        "不能重复申请",
    )


def _conflicts(household: Household, program: str, *, at_intake: bool, exclude: Application | None = None) -> list[str]:
    """Why this household may not have ``program`` now (互斥救助, issue 14 item 4).

    At intake: an open application of the family for a program this one excludes or is
    excluded by; or a member who receives the program that is kept (特困 over 低保). Applying
    for the kept program while receiving the other (低保 → 特困) is accepted: the change is
    made at the decision. At a decision: a member receiving an exclusive program either way,
    or a decision of the family for one that is made and not yet closed."""
    reasons: list[str] = []
    today = _today()
    indexes = [
        i for i in household.members.filter(death_date__isnull=True).values_list("id_number_index", flat=True) if i
    ]
    for rule in exclusions_of(program):
        other, kept = rule.other(program), rule.preferred == program
        if at_intake:
            open_case = Application.objects.filter(household=household, program=other).open().order_by("-id").first()
            if open_case is not None:
                reasons.append(
                    f"该家庭已有在办的{PROGRAM_NAMES[other]}申请（申请编号 {open_case.number}，"
                    f"{open_case.get_state_display()}）。{rule.message}。如需改为申请{PROGRAM_NAMES[program]}，请先撤回该申请"
                )
            if kept:
                continue
        for r in lookups.receiving(indexes, register_codes(other), today):  # the 两清单 register (referrals)
            reason = (
                f"家庭成员{r.name}正在享受{r.program_name}（{r.source}，{day_label(r.start_on)}起）。{rule.message}"
            )
            if kept:
                reason += f"。须先办理{PROGRAM_NAMES[other]}停发后，方可批准{PROGRAM_NAMES[program]}"
            reasons.append(reason)
        if not at_intake:
            pending = Application.objects.filter(household=household, program=other, decision="approved").exclude(
                state__in=("approved", "rejected", "not_accepted", "withdrawn")
            )
            for a in pending.exclude(pk=getattr(exclude, "pk", None)):
                reasons.append(f"该家庭的{PROGRAM_NAMES[other]}（申请编号 {a.number}）已批准、正在公示。{rule.message}")
    return reasons


def _check_exclusive(household: Household, program: str, *, at_intake: bool = False, app: Any = None) -> None:
    reasons = _conflicts(household, program, at_intake=at_intake, exclude=app)
    if reasons:
        raise DomainError("exclusive_benefit", "；".join(reasons))


def _check_decision(app: Application) -> None:
    """Before a decision takes effect: no excluded benefit, and the household's 城乡类别 is the one
    the case was computed with."""
    urban = urban_of(app.household)
    if bool(app.urban) != urban or bool((app.facts or {}).get("urban", urban)) != urban:
        raise DomainError(
            "urban_rural_changed",
            f"家庭档案的城乡类别（{app.household.get_urban_rural_display()}）与本案测算所用的"
            f"{URBAN_LABEL[bool(app.urban)]}标准不一致，请重新调查核实后再审批",
        )
    _check_exclusive(app.household, app.program, app=app)
