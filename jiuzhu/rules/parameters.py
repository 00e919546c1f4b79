"""Dated, per-area parameters (参数: 标准、倍数、限额), OpenFisca style.

Each parameter has a dotted name (``dibao.standard.urban``), a Chinese description, a
unit, and for each area code a list of versions ``{valid_from, value, source}``. The
value in force for a household is found by walking its area chain — village → town →
county → city → province → national default (``CN``) — and taking, at the first level
that has a version already in force on the evaluation date, the latest such version.
A county value set from 2026-01-01 therefore does not hide the provincial value for
2025 dates.

Parameters come from YAML files (``jiuzhu/rules/parameters/*.yaml``) and from database
overrides that the caller passes as plain ``ParameterRecord`` values; an override with
the same area and ``valid_from`` replaces the file version, any other is added.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from .areas import LEVEL_LENGTHS, NATIONAL, area_chain, normalize_area
from .errors import RulesInputError
from .money import e4_to_str, ratio_to_e4, yuan

DEFAULT_DIRECTORY = Path(__file__).with_name("parameters")

# Units (单位): how a value is written in YAML and held inside the engine.
UNITS: dict[str, str] = {
    "fen": "分/月",  # money per month, integer fen
    "fen_per_year": "分/年",  # money per year, integer fen
    "fen_once": "分/次",  # a one-off amount, integer fen
    "ratio": "倍/比例",  # decimal, at most 4 places; held in ten-thousandths
    "months": "个月",
    "days": "日",  # calendar days (自然日)
    "working_days": "个工作日",
    "hours": "小时",
    "percent": "%",
    "years": "周岁",
    "count": "个",
    "megabytes": "兆字节",  # a file size limit (上传照片; MB)
    "grade": "级",
    "bool": "是/否",
    "code": "代码",  # one of ``choices``; held as its index
    "text": "文字",  # a name or wording (出具单位, 行政复议机关); held as 0, never in a formula
}
TEXT_MAX_LENGTH = 100
CODE_LABELS = {
    "up": "向上取整",
    "down": "向下取整",
    "half_up": "四舍五入",
    "town": "镇（街道）审批",
    "county": "县级民政部门审批",
    "devolved": "审批权限下放镇（街道）",
    "national": "县级审核确认（全国通行流程）",
    "temporary_emergency": "仅急难型临时救助",  # intake.unidentified_programs
    "temporary": "临时救助（急难型、支出型）",
    "none": "不受理",
}


def display_value(value: JsonValue, unit: str) -> str:
    """A parameter's value in words (``800元``, ``1.5倍``, ``18周岁``, ``是``), for pages,
    notices and exports: never a code, ``True`` or an amount in 分."""
    if unit in ("fen", "fen_per_year", "fen_once") and isinstance(value, int) and not isinstance(value, bool):
        return yuan(value)
    if unit == "ratio":
        return f"{value}倍"
    if unit == "bool":
        return "是" if value else "否"
    if unit == "code":
        return CODE_LABELS.get(str(value), str(value))
    if unit == "text":
        return str(value)
    return f"{value}{UNITS.get(unit, '')}"


_INT_UNITS = frozenset(
    {
        "fen",
        "fen_per_year",
        "fen_once",
        "months",
        "days",
        "working_days",
        "hours",
        "percent",
        "years",
        "count",
        "grade",
        "megabytes",
    }
)
_MAX_INT = 10**13

JsonValue = int | bool | str


@dataclass(frozen=True, slots=True)
class ParameterRecord:
    """One dated value of one parameter for one area, as stored in the database
    (参数配置记录). ``area_code`` is ``"CN"`` for the national default."""

    name: str
    area_code: str
    valid_from: date
    value: object
    source: str = "数据库配置"
    valid_to: date | None = None


@dataclass(frozen=True, slots=True)
class ParameterVersion:
    area: str
    valid_from: date
    value: JsonValue
    internal: int
    source: str
    valid_to: date | None = None  # last day in force (a document valid for five years ends)


@dataclass(frozen=True, slots=True)
class ParameterValue:
    """A resolved parameter: the value used, and where and since when it came from."""

    name: str
    value: JsonValue
    internal: int
    unit: str
    area: str
    valid_from: date
    source: str
    description: str
    valid_to: date | None = None

    def to_trace(self) -> dict[str, JsonValue]:
        trace: dict[str, JsonValue] = {
            "name": self.name,
            "description": self.description,
            "value": self.value,
            "unit": self.unit,
            "area": self.area,
            "valid_from": self.valid_from.isoformat(),
            "source": self.source,
        }
        if self.valid_to is not None:
            trace["valid_to"] = self.valid_to.isoformat()
        return trace

    def display(self) -> str:
        """The value as a case worker reads it (``1000元``, ``1.5倍``, ``18周岁``)."""
        return display_value(self.value, self.unit)


@dataclass(frozen=True, slots=True)
class ParameterDefinition:
    name: str
    description: str
    unit: str
    choices: tuple[str, ...] = ()
    reference: str = ""
    versions: Mapping[str, tuple[ParameterVersion, ...]] = field(default_factory=dict)
    minimum: int | None = None  # bounds of an integer setting (a deadline of 0 or above the
    maximum: int | None = None  # national maximum is refused)
    # A change may not start before the day it is proposed: cases already decided or running
    # keep the value they were handled under (办理时限, 公示天数, 审批层级 …).
    no_backdating: bool = False

    def parse_value(self, raw: object, where: str) -> tuple[JsonValue, int]:
        """Validate a raw YAML/DB value; return its JSON form and internal integer."""
        unit = self.unit
        bad = RulesInputError("invalid_parameter", where, f"参数“{self.name}”的值“{raw}”不符合单位“{unit}”")
        if unit in _INT_UNITS:
            if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= _MAX_INT:
                raise bad
            low = self.minimum if self.minimum is not None else 0
            if raw < low or (self.maximum is not None and raw > self.maximum):
                bounds = f"{low}–{self.maximum}" if self.maximum is not None else f"不小于{low}"
                raise RulesInputError(
                    "out_of_range", where, f"“{self.description}”应为{bounds}{UNITS[unit]}，不能为{raw}"
                )
            return raw, raw
        if unit == "ratio":
            try:
                e4 = ratio_to_e4(raw)
            except ValueError:
                raise bad from None
            if e4 < 0:
                raise bad
            return e4_to_str(e4), e4
        if unit == "bool":
            if not isinstance(raw, bool):
                raise bad
            return raw, int(raw)
        if unit == "code":
            if not isinstance(raw, str) or raw not in self.choices:
                raise bad
            return raw, self.choices.index(raw)
        if unit == "text":
            if not isinstance(raw, str) or not raw.strip():
                raise RulesInputError("invalid_parameter", where, f"请填写“{self.description}”")
            if len(raw.strip()) > TEXT_MAX_LENGTH:
                raise RulesInputError(
                    "out_of_range",
                    where,
                    f"“{self.description}”不能超过{TEXT_MAX_LENGTH}个字，现为{len(raw.strip())}个字",
                )
            return raw.strip(), 0
        raise bad  # pragma: no cover - units are checked when loading


def _parse_date(raw: object, where: str) -> date:
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise RulesInputError("invalid_parameter", where, f"生效日期“{raw}”不是有效日期")


def _sorted_versions(versions: Iterable[ParameterVersion]) -> tuple[ParameterVersion, ...]:
    return tuple(sorted(versions, key=lambda v: v.valid_from))


# At most this many resolved lookups are remembered by a store.
_RESOLVED_MAX = 100_000


class ParameterStore:
    """All parameters known to the engine, with their versions by area and date.

    Build it with ``ParameterStore.from_directory()`` (the YAML files shipped with the
    engine) and pass database overrides as ``overrides=[ParameterRecord(...)]``.
    A store is immutable; ``with_overrides`` and ``as_of`` return new stores.
    """

    def __init__(self, definitions: Mapping[str, ParameterDefinition]) -> None:
        self._defs: dict[str, ParameterDefinition] = dict(definitions)
        self._dates: dict[tuple[str, str], list[date]] = {
            (name, area): [v.valid_from for v in versions]
            for name, d in self._defs.items()
            for area, versions in d.versions.items()
        }
        keys = {area for d in self._defs.values() for area in d.versions if area != NATIONAL}
        self.known_prefixes: dict[int, npt.NDArray[np.int64]] = {
            n: np.array(sorted(int(k) for k in keys if len(k) == n), dtype=np.int64) for n in LEVEL_LENGTHS
        }
        self.known_prefix_sets: dict[int, frozenset[int]] = {
            n: frozenset(int(k) for k in keys if len(k) == n) for n in LEVEL_LENGTHS
        }
        self._digest: str | None = None
        # resolved lookups (the store is immutable), bounded for long-lived processes
        self._resolved: dict[tuple[str, str, date], ParameterValue] = {}

    # ---- construction -------------------------------------------------------------

    @classmethod
    def from_directory(
        cls, path: str | Path | None = None, overrides: Sequence[ParameterRecord] = ()
    ) -> ParameterStore:
        """Load every ``*.yaml`` file of ``path`` (default: the engine's own
        ``parameters/`` directory), then apply ``overrides``."""
        directory = Path(path) if path is not None else DEFAULT_DIRECTORY
        data: dict[str, Any] = {}
        for file in sorted(directory.glob("*.yaml")):
            loaded = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            if not isinstance(loaded, dict):
                raise RulesInputError("invalid_parameter", file.name, "参数文件应为映射")
            for name, body in loaded.items():
                if name in data:
                    raise RulesInputError("invalid_parameter", f"{file.name}:{name}", f"参数“{name}”重复定义")
                data[name] = body
        return cls.from_mapping(data, overrides)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], overrides: Sequence[ParameterRecord] = ()) -> ParameterStore:
        """Build a store from the parsed YAML structure ``{name: {description, unit,
        values: {area: [{valid_from, value, source}]}}}``."""
        defs: dict[str, ParameterDefinition] = {}
        for name, body in data.items():
            where = str(name)
            if not isinstance(body, Mapping):
                raise RulesInputError("invalid_parameter", where, "参数定义应为映射")
            unit = body.get("unit")
            if unit not in UNITS:
                raise RulesInputError("invalid_parameter", f"{where}.unit", f"未知单位“{unit}”")
            choices = tuple(body.get("choices", ()))
            if unit == "code" and not choices:
                raise RulesInputError("invalid_parameter", f"{where}.choices", "代码型参数缺少可选值")
            description = body.get("description")
            if not isinstance(description, str) or not description:
                raise RulesInputError("invalid_parameter", f"{where}.description", "缺少参数说明")
            bounds = [body.get("min"), body.get("max")]
            if any(b is not None and (isinstance(b, bool) or not isinstance(b, int)) for b in bounds):
                raise RulesInputError("invalid_parameter", f"{where}.min", "取值范围应为整数")
            defn = ParameterDefinition(
                name=str(name),
                description=description,
                unit=str(unit),
                choices=choices,
                reference=str(body.get("reference", "")),
                minimum=bounds[0],
                maximum=bounds[1],
                no_backdating=bool(body.get("no_backdating", False)),
            )
            values = body.get("values")
            if not isinstance(values, Mapping) or not values:
                raise RulesInputError("invalid_parameter", f"{where}.values", "参数没有任何取值")
            versions: dict[str, tuple[ParameterVersion, ...]] = {}
            for raw_area, items in values.items():
                area = normalize_area(str(raw_area), f"{where}.values")
                if not isinstance(items, list) or not items:
                    raise RulesInputError("invalid_parameter", f"{where}.values.{area}", "取值应为非空列表")
                parsed = []
                for i, item in enumerate(items):
                    at = f"{where}.values.{area}[{i}]"
                    if not isinstance(item, Mapping):
                        raise RulesInputError("invalid_parameter", at, "取值应为映射")
                    source = item.get("source")
                    if not isinstance(source, str) or not source.strip():
                        raise RulesInputError("invalid_parameter", f"{at}.source", "每个取值必须注明来源")
                    value, internal = defn.parse_value(item.get("value"), f"{at}.value")
                    valid_from = _parse_date(item.get("valid_from"), at)
                    raw_to = item.get("valid_to")
                    valid_to = _parse_date(raw_to, f"{at}.valid_to") if raw_to is not None else None
                    if valid_to is not None and valid_to < valid_from:
                        raise RulesInputError("invalid_parameter", f"{at}.valid_to", "失效日期早于生效日期")
                    parsed.append(ParameterVersion(area, valid_from, value, internal, source, valid_to))
                ordered = _sorted_versions(parsed)
                if len({v.valid_from for v in ordered}) != len(ordered):
                    raise RulesInputError("invalid_parameter", f"{where}.values.{area}", "同一生效日期有多个取值")
                versions[area] = ordered
            defs[defn.name] = replace(defn, versions=versions)
        store = cls(defs)
        return store.with_overrides(overrides) if overrides else store

    def with_overrides(self, overrides: Sequence[ParameterRecord]) -> ParameterStore:
        """A new store with database overrides applied (same area and date: replaced)."""
        defs = dict(self._defs)
        for i, rec in enumerate(overrides):
            at = f"overrides[{i}]"
            defn = defs.get(rec.name)
            if defn is None:
                raise RulesInputError("unknown_parameter", f"{at}.name", f"未知参数“{rec.name}”")
            area = normalize_area(rec.area_code, f"{at}.area_code")
            if not isinstance(rec.valid_from, date):
                raise RulesInputError("invalid_parameter", f"{at}.valid_from", "生效日期无效")
            if not isinstance(rec.source, str) or not rec.source.strip():
                raise RulesInputError("invalid_parameter", f"{at}.source", "每个取值必须注明来源")
            value, internal = defn.parse_value(rec.value, f"{at}.value")
            if rec.valid_to is not None and rec.valid_to < rec.valid_from:
                raise RulesInputError("invalid_parameter", f"{at}.valid_to", "失效日期早于生效日期")
            new = ParameterVersion(area, rec.valid_from, value, internal, rec.source, rec.valid_to)
            kept = [v for v in defn.versions.get(area, ()) if v.valid_from != rec.valid_from]
            versions = dict(defn.versions)
            versions[area] = _sorted_versions([*kept, new])
            defs[rec.name] = replace(defn, versions=versions)
        return ParameterStore(defs)

    def as_of(self, on: date) -> ParameterStore:
        """The store as it was known on ``on``: versions starting later are dropped."""
        defs = {}
        for name, d in self._defs.items():
            versions = {area: tuple(v for v in vs if v.valid_from <= on) for area, vs in d.versions.items()}
            versions = {a: vs for a, vs in versions.items() if vs}
            defs[name] = replace(d, versions=versions)
        return ParameterStore(defs)

    # ---- reading ------------------------------------------------------------------

    def names(self) -> list[str]:
        return sorted(self._defs)

    def definition(self, name: str) -> ParameterDefinition:
        defn = self._defs.get(name)
        if defn is None:
            raise RulesInputError("unknown_parameter", "parameter", f"未知参数“{name}”")
        return defn

    def records(self) -> Iterator[ParameterRecord]:
        """Every version as a ``ParameterRecord`` (to seed or export the database)."""
        for name in self.names():
            for versions in self._defs[name].versions.values():
                for v in versions:
                    yield ParameterRecord(name, v.area, v.valid_from, v.value, v.source, v.valid_to)

    def describe(self) -> list[dict[str, Any]]:
        """The catalogue of parameters, JSON-serializable, for documentation and UIs."""
        out = []
        for name in self.names():
            d = self._defs[name]
            out.append(
                {
                    "name": name,
                    "description": d.description,
                    "unit": d.unit,
                    "choices": list(d.choices),
                    "reference": d.reference,
                    "values": {
                        area: [
                            {
                                "valid_from": v.valid_from.isoformat(),
                                "value": v.value,
                                "source": v.source,
                            }
                            | ({"valid_to": v.valid_to.isoformat()} if v.valid_to else {})
                            for v in vs
                        ]
                        for area, vs in sorted(d.versions.items())
                    },
                }
            )
        return out

    @property
    def digest(self) -> str:
        """SHA-256 of every definition and version: names the exact parameter set a
        decision was computed with."""
        if self._digest is None:
            blob = json.dumps(self.describe(), ensure_ascii=False, sort_keys=True)
            self._digest = "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()
        return self._digest

    def lookup(self, name: str, area_code: str, on: date) -> ParameterValue:
        """The version of ``name`` in force on ``on`` for ``area_code`` (remembered: a
        batch or a traced evaluation reads the same few values again and again)."""
        key = (name, area_code, on)
        value = self._resolved.get(key)
        if value is None:
            value = self._lookup(name, area_code, on)
            if len(self._resolved) >= _RESOLVED_MAX:
                self._resolved.clear()
            self._resolved[key] = value
        return value

    def _lookup(self, name: str, area_code: str, on: date) -> ParameterValue:
        """The version of ``name`` in force on ``on`` for ``area_code``.

        Raises ``RulesInputError`` with code ``unknown_parameter``, ``unknown_area`` (no
        version anywhere on the area's chain) or ``date_out_of_range`` (versions exist
        but all start after ``on``) or ``parameter_lapsed`` (the version in force has passed
        its ``valid_to`` and no level above has one). A lapsed version does not hide the
        level above: a county document that expired gives way to the city's, the
        province's or the national default.
        """
        defn = self.definition(name)
        key = area_code if area_code == NATIONAL else normalize_area(area_code)
        earliest: date | None = None
        lapsed: ParameterVersion | None = None
        for k in area_chain(key):
            versions = defn.versions.get(k)
            if not versions:
                continue
            i = bisect.bisect_right(self._dates[(name, k)], on)
            v = versions[i - 1] if i else None
            if v is not None and (v.valid_to is None or on <= v.valid_to):
                return ParameterValue(
                    name,
                    v.value,
                    v.internal,
                    defn.unit,
                    v.area,
                    v.valid_from,
                    v.source,
                    defn.description,
                    v.valid_to,
                )
            if v is not None:
                lapsed = lapsed or v
                continue  # the version in force here has lapsed: the level above applies
            first = versions[0].valid_from
            earliest = first if earliest is None or first < earliest else earliest
        if lapsed is not None and lapsed.valid_to is not None:
            raise RulesInputError(
                "parameter_lapsed",
                "date",
                f"参数“{defn.description}”（{name}）在区划{lapsed.area}的取值已于{lapsed.valid_to.isoformat()}"
                f"失效（{lapsed.source}），上级也未设置，请录入现行文件规定的取值",
            )
        if earliest is not None:
            raise RulesInputError(
                "date_out_of_range",
                "date",
                f"评估日期{on.isoformat()}早于参数“{defn.description}”（{name}）在区划{key}"
                f"的最早生效日期{earliest.isoformat()}",
            )
        raise RulesInputError(
            "unknown_area",
            "area_code",
            f"区划{key}未配置参数“{defn.description}”（{name}），无法计算",
        )
