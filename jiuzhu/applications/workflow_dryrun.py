"""试运行 (dry run) of a 办理流程调整 over the county's open cases (issue 16 item 2; WF-2, GOV-17):
for each state, who could act before and after; the cases no one could move on any more, and
the cases whose present handlers lose the right to take the changed step. Set-based: one grouped count of the
open cases, one query for the numbers shown; the tables are compared per group, not per case."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncDate
from django.utils import timezone

from jiuzhu.accounts.roles import ROLES
from jiuzhu.programs.engine import parameter_store

from . import workflow
from .actions.workflow_changes import proposed_overrides
from .config import config_for, with_settings
from .models import Application, WorkflowChange
from .procedure import ProcedureConfig

SHOWN = 20  # case numbers listed per finding


@dataclass
class StateImpact:
    state: str
    label: str
    before: list[str]
    after: list[str]
    open_cases: int

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class CaseSet:
    count: int = 0
    numbers: list[str] = field(default_factory=list)


@dataclass
class DryRun:
    change_id: int
    county_code: str
    preset: str
    on: dt.date
    open_cases: int
    states: list[StateImpact]
    stranded: CaseSet
    losing: CaseSet
    lost_roles: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "change_id": self.change_id,
            "county_code": self.county_code,
            "preset": self.preset,
            "date": self.on,
            "open_cases": self.open_cases,
            "states": [
                {
                    "state": s.state,
                    "label": s.label,
                    "before": s.before,
                    "after": s.after,
                    "changed": s.changed,
                    "open_cases": s.open_cases,
                }
                for s in self.states
            ],
            "stranded": {"count": self.stranded.count, "numbers": self.stranded.numbers},
            "losing": {"count": self.losing.count, "numbers": self.losing.numbers, "roles": self.lost_roles},
        }


def _roles(spec: str, app: Application, config: ProcedureConfig) -> set[str]:
    """The role codes (accounts.roles) a ``role@level`` entry stands for on this case."""
    role, _, level = spec.partition("@")
    if level == "{level}":
        level = workflow.decision_level(app, config)
    if role == "approver" and level == "county":
        return set(workflow.COUNTY_APPROVER)
    return {code for code in workflow.ROLE_OF.get(role, ()) if ROLES[code].level == level}


def _movers(rows: tuple[workflow.Transition, ...], app: Application, config: ProcedureConfig) -> set[str]:
    """Who can move this kind of case on from its state (撤回 and side steps aside)."""
    return _roles_of([t for t in rows if workflow._moves(t, app.state)], app, config)


def _roles_of(rows: list[workflow.Transition], app: Application, config: ProcedureConfig) -> set[str]:
    found: set[str] = set()
    for t in rows:
        if app.state in t.sources and workflow._applies(t, app, config):
            for spec in t.who:
                found |= _roles(spec, app, config)
    return found


def _labels(rows: tuple[workflow.Transition, ...], state: str) -> list[str]:
    specs = [spec for t in rows if state in t.sources and t.name != "withdraw" for spec in t.who]
    return [workflow.describe_spec(s) for s in dict.fromkeys(sorted(specs))]


def dry_run(change: WorkflowChange) -> DryRun:
    today = timezone.localdate()
    on = max(change.valid_from, today)
    others = [o for o in workflow.county_overrides(change.county_code) if o.change_id != change.pk]
    own = proposed_overrides(change)[-1]
    changed = own.key
    before = workflow.build_table(change.preset, others, on)
    after = workflow.build_table(change.preset, [*others, own], on)

    open_cases = Application.objects.filter(county_code=change.county_code).open()
    groups = (
        open_cases.annotate(day=TruncDate("accepted_at"), level=KT("facts__temporary__approval_level"))
        .values("day", "state", "program", "temporary_kind", "level")
        .annotate(n=Count("id"))
        .order_by()
    )
    row = config_for(change.county_code, today)
    store = parameter_store()
    configs: dict[dt.date, ProcedureConfig] = {}
    per_state: dict[str, int] = {}
    stranded: list[dict[str, Any]] = []
    losing: list[dict[str, Any]] = []
    lost: set[str] = set()
    total = stranded_n = losing_n = 0
    for g in groups:
        day = g["day"]
        if day not in configs:
            configs[day] = with_settings(copy.copy(row), day, store)
        config = configs[day]
        if config.preset != change.preset:
            continue  # cases accepted under the other preset run under its table
        total += g["n"]
        per_state[g["state"]] = per_state.get(g["state"], 0) + g["n"]
        facts = {"temporary": {"approval_level": g["level"]}} if g["level"] else {}
        app = Application(state=g["state"], program=g["program"], temporary_kind=g["temporary_kind"], facts=facts)
        key = {k: g[k] for k in ("day", "state", "program", "temporary_kind", "level")}
        if _movers(before, app, config) and not _movers(after, app, config):
            stranded.append(key)
            stranded_n += g["n"]
        # Those who could take the changed step on this case and no longer can.
        had = _roles_of([t for t in before if t.key(change.preset) == changed], app, config)
        has = _roles_of([t for t in after if t.key(change.preset) == changed], app, config)
        if had - has:
            losing.append(key)
            losing_n += g["n"]
            lost |= had - has
    states = [
        StateImpact(s, workflow.STATE_LABELS.get(s, s), _labels(before, s), _labels(after, s), per_state.get(s, 0))
        for s in [*workflow.OPEN, "advance_paid"]
        if any(s in t.sources for t in before) or any(s in t.sources for t in after)
    ]
    return DryRun(
        change_id=change.pk,
        county_code=change.county_code,
        preset=change.preset,
        on=on,
        open_cases=total,
        states=states,
        stranded=CaseSet(stranded_n, _numbers(open_cases, stranded)),
        losing=CaseSet(losing_n, _numbers(open_cases, losing)),
        lost_roles=sorted(ROLES[code].name for code in lost),
    )


def _numbers(open_cases: Any, keys: list[dict[str, Any]]) -> list[str]:
    """The first case numbers of the affected groups (one query)."""
    if not keys:
        return []
    match = Q()
    for k in keys:
        level = Q(level__isnull=True) if k["level"] is None else Q(level=k["level"])
        match |= Q(day=k["day"], state=k["state"], program=k["program"], temporary_kind=k["temporary_kind"]) & level
    qs = open_cases.annotate(day=TruncDate("accepted_at"), level=KT("facts__temporary__approval_level"))
    return list(qs.filter(match).order_by("number").values_list("number", flat=True)[:SHOWN])
