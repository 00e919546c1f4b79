"""Impact preview of a proposed setting change (影响预览, issue 16 item 2; GOV-8, WF-3): what
moves for the cases already in the system if the change were confirmed.

The programs app sits below the apps that hold cases and deadlines; each of them registers,
from its ``AppConfig.ready``, a function that answers the impact of a change on its own rows
(``register``). ``preview`` evaluates the change against the store in force and the same store
with the change overlaid in memory (nothing is saved) and asks every registered function.
``confirm_change`` applies the same moves in its transaction and audits how many moved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jiuzhu.core.dates import day_label
from jiuzhu.rules import ParameterStore, RulesInputError
from jiuzhu.rules.parameters import display_value

from .engine import _override, parameter_store
from .models import ParameterChange


@dataclass(frozen=True)
class ImpactLine:
    """One thing that differs for one case: 案件编号, 家庭 (as the case list shows it), 环节, old → new."""

    application_id: int
    number: str
    household: str
    step: str
    old: str
    new: str
    is_deadline: bool = True


@dataclass(frozen=True)
class NewCases:
    """What cases accepted from ``valid_from`` get in one county: old value → new value."""

    county_code: str
    county: str
    old: str
    new: str
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class ImpactPart:
    """What one app answers for a change."""

    open_cases: int = 0
    lines: list[ImpactLine] = field(default_factory=list)
    new_cases: list[NewCases] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    noun: str = "在办案件"
    apply: Callable[[], int] | None = None  # moves the stored dates; answers how many moved


@dataclass
class Impact:
    change_id: int
    name: str
    label: str
    open_cases: int
    changed_cases: int
    moved_deadlines: int
    lines: list[ImpactLine]
    new_cases: list[NewCases]
    summary: str
    reasons: list[str]
    parts: list[ImpactPart] = field(default_factory=list, repr=False)

    @property
    def nothing_moves(self) -> bool:
        return not self.lines


# provider(change, old store, new store, user or None for all cases) → its part, or None
# when the change's key is not one it reads.
Provider = Callable[[ParameterChange, ParameterStore, ParameterStore, Any], ImpactPart | None]

_providers: list[Provider] = []


def register(provider: Provider) -> None:
    """Declare an app's impact function (registering the same function again is a no-op)."""
    if provider not in _providers:
        _providers.append(provider)


def stores_for(change: ParameterChange) -> tuple[ParameterStore, ParameterStore]:
    """The store in force and the same store with ``change`` overlaid (in memory only)."""
    old = parameter_store()
    return old, old.with_overrides([_override(change)])


def display(store: ParameterStore, name: str, area_code: str, on: dt.date) -> str:
    """The value of ``name`` for ``area_code`` on ``on`` as a person reads it, or 未设置."""
    try:
        return store.lookup(name, area_code, on).display()
    except RulesInputError:
        return "未设置"


def value_of(store: ParameterStore, name: str, area_code: str, on: dt.date) -> Any:
    try:
        return store.lookup(name, area_code, on).value
    except RulesInputError:
        return None


def preview(change: ParameterChange, *, user: Any = None) -> Impact:
    """What confirming ``change`` would move: for the cases ``user`` may see (all when None)."""
    old, new = stores_for(change)
    parts = [p for p in (provider(change, old, new, user) for provider in _providers) if p is not None]
    definition = old.definition(change.name)
    lines = [line for p in parts for line in p.lines]
    new_cases = [n for p in parts for n in p.new_cases]
    reasons = [r for p in parts for r in p.reasons]
    open_cases = sum(p.open_cases for p in parts)
    changed = len({line.application_id for line in lines})
    moved = sum(1 for line in lines if line.is_deadline)
    noun = parts[0].noun if parts else "在办案件"
    summary = f"{noun}{open_cases}件，其中{changed}件{'时限' if moved else '办理设置'}变化"
    if new_cases:
        if len(new_cases) == 1:
            n = new_cases[0]
            summary += f"；{day_label(change.valid_from)}生效后新受理案件的{definition.description}由{n.old}变为{n.new}"
        else:
            shown = "、".join(f"{n.county}{n.old}→{n.new}" for n in new_cases)
            summary += f"；{day_label(change.valid_from)}生效后新受理案件的{definition.description}：{shown}"
    elif not parts:
        proposed = display_value(change.value, definition.unit)
        summary = f"该参数不影响在办案件的办理时限；{day_label(change.valid_from)}起按{proposed}执行"
    return Impact(
        change_id=change.pk,
        name=change.name,
        label=definition.description,
        open_cases=open_cases,
        changed_cases=changed,
        moved_deadlines=moved,
        lines=lines,
        new_cases=new_cases,
        summary=summary,
        reasons=reasons,
        parts=parts,
    )
