"""The rules engine as the platform uses it: YAML parameters plus confirmed database
changes, one cached ``ParameterStore`` rebuilt only when a change is confirmed."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import Count, Max
from django.db.models.signals import post_delete, post_save

from jiuzhu.areas.models import Area, full_code
from jiuzhu.core.errors import InvalidInput
from jiuzhu.rules import (
    PROGRAMS,
    ParameterRecord,
    ParameterStore,
    RulesInputError,
    evaluate_one,
    household_from_dict,
    household_variable,
)

from .exclusivity import annotate_screening
from .models import ParameterChange

_lock = threading.Lock()
_base: ParameterStore | None = None
_cache: tuple[tuple[Any, ...], ParameterStore] | None = None
# The store a request has read, inside ``one_store_per_request`` (a list holding it or nothing).
_request_store: ContextVar[list[ParameterStore] | None] = ContextVar("request_parameter_store", default=None)


def base_store() -> ParameterStore:
    """Parameters from ``jiuzhu/rules/parameters/*.yaml`` (loaded once per process)."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                _base = ParameterStore.from_directory()
    return _base


def _override(change: ParameterChange) -> ParameterRecord:
    return ParameterRecord(
        change.name, change.area_code, change.valid_from, change.value, change.source, change.valid_to
    )


@contextmanager
def one_store_per_request() -> Iterator[None]:
    """Within the block (a request, ``web.middleware.ParameterStoreMiddleware``), every
    ``parameter_store()`` after the first returns the store the first one read, without asking
    the database again whether a change was confirmed meanwhile (an intake asked six times).
    A change saved or deleted within the block is seen by the next call."""
    token = _request_store.set([])
    try:
        yield
    finally:
        _request_store.reset(token)


def _forget_request_store(**kwargs: Any) -> None:
    held = _request_store.get()
    if held:
        held.clear()


post_save.connect(_forget_request_store, sender=ParameterChange, dispatch_uid="parameter_store_saved")
post_delete.connect(_forget_request_store, sender=ParameterChange, dispatch_uid="parameter_store_deleted")


def parameter_store() -> ParameterStore:
    """The parameters in force: YAML + every confirmed change (one small query when cached,
    none after the first in a request)."""
    held = _request_store.get()
    if held:
        return held[0]
    store = _current_store()
    if held is not None:
        held.append(store)
    return store


def _current_store() -> ParameterStore:
    global _cache
    confirmed = ParameterChange.objects.filter(status="confirmed")
    key = tuple(confirmed.aggregate(n=Count("id"), last=Max("id"), at=Max("decided_at")).values())
    cached = _cache
    if cached is not None and cached[0] == key:
        return cached[1]
    store = base_store().with_overrides([_override(c) for c in confirmed.order_by("id")])
    _cache = (key, store)
    return store


def rules_error(exc: RulesInputError, prefix: str = "household") -> InvalidInput:
    """A rules-engine input error as the platform's 422, with the field path of the request."""
    field = exc.field or ""
    if field in ("date", "on"):
        path = "date"
    elif field in ("area_code", "programs", "program", "parameter") or not field:
        path = field or prefix
    else:
        path = f"{prefix}.{field}" if prefix else field
    return InvalidInput(exc.code, exc.message, field=path)


def resolve_area(area_code: str) -> Area:
    code = (area_code or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        raise InvalidInput("unknown_area", f"区划代码“{code}”格式不正确，应为6位县级或12位区划代码", field="area_code")
    area = Area.objects.filter(code=full_code(code)).first()
    if area is None:
        raise InvalidInput("unknown_area", f"区划代码{code}不存在", field="area_code")
    return area


def evaluate_household(area_code: str, on: dt.date, programs: list[str], household: dict[str, Any]) -> dict[str, Any]:
    """救助测算 (INT-4, STD-8): evaluate a family against programs, with reasons and trace.

    ``household`` is the engine's JSON form; ``urban`` may be left out when the area is a
    village or community (its 城乡分类 decides).
    """
    area = resolve_area(area_code)
    if not programs:
        raise InvalidInput("required", "请至少选择一个救助项目", field="programs")
    for i, code in enumerate(programs):
        if code not in PROGRAMS:
            known = "、".join(f"{c}（{p.name}）" for c, p in PROGRAMS.items())
            raise InvalidInput("unknown_program", f"未知救助项目“{code}”，可选：{known}", field=f"programs[{i}]")
    data = _with_urban(dict(household or {}), area)
    by_program = {code: data for code in programs}
    if data.get("alone") is True and len(data.get("members") or []) > 1:
        # 单独申请 given with the whole family: 低保 for the applicant alone (参照单人户), with the
        # family's 低保边缘 finding; every other program for the family as it is
        family = {k: v for k, v in data.items() if k not in ("alone", "family_edge")}
        single, _ = alone_facts(area_code, on, family)
        by_program = {code: single if code == "dibao" else family for code in programs}
    try:
        params = parameter_store()
        parsed: dict[int, Any] = {}
        results = {}
        for code, facts in by_program.items():
            if id(facts) not in parsed:
                parsed[id(facts)] = household_from_dict(facts)
            results[code] = evaluate_one(code, parsed[id(facts)], area.short_code, on, params)
    except RulesInputError as exc:
        raise rules_error(exc) from None
    return annotate_screening(
        {
            code: {
                "program": code,
                "name": PROGRAMS[code].name,
                "eligible": r.eligible,
                "reasons": [
                    {"code": x.code, "message": x.message, "passed": x.passed} for x in r.reasons if x.applicable
                ],
                "monthly_amount_fen": r.monthly_amount_fen,
                "amount_kind": PROGRAMS[code].amount_kind,
                "trace": r.trace,
            }
            for code, r in results.items()
        }
    )


def work_income_rose(area_code: str, on: dt.date, before: dict[str, Any], after: dict[str, Any]) -> bool:
    """渐退 (DYN-8): did the household's work income (the income types the parameters in force
    on ``on`` mark as work income, income.work.*) rise between two sets of facts?"""
    area = resolve_area(area_code)
    params = parameter_store()
    try:
        households = [household_from_dict(_with_urban(facts, area)) for facts in (before, after)]
        values = [household_variable("work_income", h, area.short_code, on, params) for h in households]
    except RulesInputError as exc:
        raise rules_error(exc) from None
    return values[1] > values[0]


def _with_urban(facts: dict[str, Any], area: Area) -> dict[str, Any]:
    data = {k: v for k, v in (facts or {}).items() if k != "area_code"}
    if "urban" not in data and area.level == "village" and area.urban_rural:
        data["urban"] = area.urban_rural == "urban"
    return data


def alone_facts(area_code: str, on: dt.date, household: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """单独申请 (PRG-1, catalog: 低保边缘家庭中的重度残疾人、重病患者可单独申请): the facts of the
    applicant alone (参照单人户, the member whose relation is ``self``), with ``family_edge`` as
    the rules engine finds the whole family on ``on``; and that 低保边缘 result of the family."""
    area = resolve_area(area_code)
    data = _with_urban({k: v for k, v in (household or {}).items() if k not in ("alone", "family_edge")}, area)
    applicants = [m for m in data.get("members") or [] if isinstance(m, dict) and m.get("relation") == "self"]
    if len(applicants) != 1:
        raise InvalidInput(
            "invalid_value", "单独申请须在家庭成员中指明申请人本人（与申请人关系为“本人”）", field="household.members"
        )
    edge = evaluate_household(area_code, on, ["dibao_edge"], data)["dibao_edge"]
    alone = {k: v for k, v in data.items() if k not in ("members", "supporters")}
    alone.update({"alone": True, "family_edge": bool(edge["eligible"]), "members": applicants})
    return alone, edge
