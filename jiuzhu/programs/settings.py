"""Settings in force (设置): every dated value the platform uses for an area on a date —
benefit parameters and procedure settings alike — grouped by topic, each with its source
and validity, and the warnings an administrator must act on (MIL-1: a document that
lapsed, one about to lapse, a demo value standing in for the county's own)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from jiuzhu.rules import PROGRAMS, RulesInputError
from jiuzhu.rules.areas import area_chain
from jiuzhu.rules.parameters import ParameterStore, ParameterValue, ParameterVersion

from .engine import parameter_store

# Topic of a setting: the first part of its key; program keys take the program's name.
TOPICS: dict[str, str] = {
    "procedure": "办理流程、时限与审批层级",
    "documents": "文书与救济途径",
    "review": "动态管理（复核与渐退）",
    "monitoring": "政策找人（预警核查）",
    "complaints": "投诉举报",
    "payments": "资金发放与备用金",
    "income": "家庭收入计算",
    "standard_formula": "救助标准测算",
    "rounding": "金额取整",
}
LAPSE_WARNING_DAYS = 180  # warn half a year before a document runs out
DEMO_MARK = "示例值"
DEMO_WARNING = "示例值：请按本地文件录入并注明文号"


def topic_of(key: str) -> str:
    head = key.split(".", 1)[0]
    program = PROGRAMS.get(head)
    return program.name if program is not None else TOPICS.get(head, "其他")


@dataclass(frozen=True)
class Setting:
    key: str
    label: str
    topic: str
    value: object
    display: str
    unit: str
    valid_from: dt.date
    valid_to: dt.date | None
    area_code: str
    source: str
    warning: str

    @property
    def demo(self) -> bool:
        """A demo value (示例值) with nothing more pressing to say about it."""
        return self.warning == DEMO_WARNING


def _lapsed_below(store: ParameterStore, value: ParameterValue, area: str, on: dt.date) -> ParameterVersion | None:
    """A nearer level's version that has lapsed, which is why ``value`` (from a level
    above) applies now."""
    definition = store.definition(value.name)
    for level in area_chain(area):
        if level == value.area:
            return None
        started = [v for v in definition.versions.get(level, ()) if v.valid_from <= on]
        if started and started[-1].valid_to is not None and started[-1].valid_to < on:
            return started[-1]
    return None


def _warning(store: ParameterStore, value: ParameterValue, area: str, on: dt.date) -> str:
    gone = _lapsed_below(store, value, area, on)
    if gone is not None:
        return f"{gone.source}已于{gone.valid_to}失效，现按上级规定执行；请录入现行文件"
    if value.valid_to is not None and (value.valid_to - on).days <= LAPSE_WARNING_DAYS:
        return f"依据文件将于{value.valid_to}失效，请及时录入延续或新的文件"
    if DEMO_MARK in value.source:
        return DEMO_WARNING
    return ""


def settings_in_force(area_code: str, on: dt.date, store: ParameterStore | None = None) -> list[Setting]:
    """Every setting in force for ``area_code`` (short code, e.g. ``370405``) on ``on``,
    sorted by topic and key. A setting with no value there (none entered, or only lapsed
    ones) is left out; ``missing_settings`` names those."""
    store = store or parameter_store()
    rows = []
    for key in store.names():
        try:
            v = store.lookup(key, area_code, on)
        except RulesInputError:
            continue
        rows.append(
            Setting(
                key=key,
                label=v.description,
                topic=topic_of(key),
                value=v.value,
                display=v.display(),
                unit=v.unit,
                valid_from=v.valid_from,
                valid_to=v.valid_to,
                area_code=v.area,
                source=v.source,
                warning=_warning(store, v, area_code, on),
            )
        )
    order = ["procedure", "documents", "review", "payments", *PROGRAMS, *TOPICS]
    rows.sort(key=lambda s: (order.index(head) if (head := s.key.split(".", 1)[0]) in order else len(order), s.key))
    return rows


def missing_settings(area_code: str, on: dt.date, prefix: str = "procedure.") -> list[tuple[str, str]]:
    """Procedure settings with no value in force for the area: ``(key, reason)``. A county
    cannot take an application while one is missing."""
    store = parameter_store()
    out = []
    for key in store.names():
        if not key.startswith(prefix):
            continue
        try:
            store.lookup(key, area_code, on)
        except RulesInputError as exc:
            out.append((key, exc.message))
    return out
