"""Procedure presets per county (GOV-5, WF-*).

``devolved``: 峄政发〔2020〕14号 — towns approve 低保/特困/临时救助; verification and home visit
run together; no publicity at the review stage; the town publishes the *result* in the
village; objections lead to 民主评议; 12 working days in all.
``national``: 民发〔2021〕57号 — the town examines and publishes its proposal for 7 days; the
county approves (审核确认); 30 working days (20 where approval is devolved; 45 in special cases).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.areas.models import full_code
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.engine import parameter_store
from jiuzhu.programs.models import ParameterChange
from jiuzhu.programs.settings import settings_in_force
from jiuzhu.rules import RulesInputError
from jiuzhu.rules.parameters import ParameterStore, display_value

from .models import PRESET_LABELS, Application, ProcedureConfig

# Templates a new county starts from (issue 16 item 5): the values each preset enters as the
# county's own dated settings. What is in force is always read from the settings store.
PRESETS: dict[str, dict[str, object]] = {
    "devolved": {
        "procedure.preset": "devolved",
        **{f"procedure.approval.{p}": "town" for p in ("dibao", "tekun", "temporary", "dibao_edge", "rigid_expense")},
        "procedure.total_limit_days": 12,
        "procedure.investigation_days": 6,
    },
    "national": {
        "procedure.preset": "national",
        **{f"procedure.approval.{p}": "county" for p in ("dibao", "tekun", "temporary", "dibao_edge", "rigid_expense")},
        "procedure.total_limit_days": 30,
        "procedure.investigation_days": 10,
    },
}
APPROVAL_PROGRAMS = ("dibao", "tekun", "temporary", "dibao_edge", "rigid_expense")
# ProcedureConfig attribute ← setting key. Every one is a dated setting with its source.
SETTING_ATTRIBUTES = {
    "preset": "procedure.preset",
    "total_limit_days": "procedure.total_limit_days",
    "special_limit_days": "procedure.special_limit_days",
    "investigation_days": "procedure.investigation_days",
    "publicity_days": "procedure.publicity_days",
    "rejection_notice_days": "procedure.rejection_notice_days",
    "emergency_register_days": "procedure.emergency_register_days",
    "emergency_advance_hours": "procedure.emergency_advance_hours",
    "special_deliberation_min_participants": "procedure.special_deliberation_min_participants",
    "review_cycle_stable_months": "review.cycle_stable_months",
    "review_cycle_other_months": "review.cycle_other_months",
    "review_stable_age": "review.stable_age",
}

# The demo counties' procedure settings (devolved or national) are dated settings in
# jiuzhu/rules/parameters/procedure.yaml, each with its source.
DEMO_COUNTIES = {
    "370405": ("台民救", "台儿庄区民政局"),
    "370404": ("峄民救", "峄城区民政局"),
    "370481": ("滕民救", "滕州市民政局"),
    "370321": ("桓民救", "桓台县民政局"),
}
# 救济途径 of the demo counties: the county government reviews (行政复议) the decisions of its
# departments and towns; the county court hears the suits (行政诉讼).
DEMO_REMEDIES = {
    "370405": ("台儿庄区人民政府", "台儿庄区人民法院"),
    "370404": ("峄城区人民政府", "峄城区人民法院"),
    "370481": ("滕州市人民政府", "滕州市人民法院"),
    "370321": ("桓台县人民政府", "桓台县人民法院"),
}


def ensure_config(county_code: str, notice_prefix: str, issuer_name: str) -> ProcedureConfig:
    config = ProcedureConfig.objects.filter(county_code=county_code).first()
    if config is None:
        config = ProcedureConfig.objects.create(
            county_code=county_code, notice_prefix=notice_prefix, issuer_name=issuer_name
        )
    if county_code in DEMO_REMEDIES and not config.remedy_review_body:
        config.remedy_review_body, config.remedy_court = DEMO_REMEDIES[county_code]
        config.save(update_fields=["remedy_review_body", "remedy_court"])
    return config


def apply_preset(
    county_code: str, preset: str, *, by: User, confirmed_by: User, valid_from: dt.date, source: str
) -> list[ParameterChange]:
    """Enter a preset's values as the county's own dated settings (开通县区 or switching the
    county's procedure by its own document): each value entered by ``by`` and confirmed by
    ``confirmed_by`` (two persons), with the document ``source``, audited. Cases accepted
    before ``valid_from`` keep the settings of their day (``config_for_case``)."""
    if preset not in PRESETS:
        raise InvalidInput("invalid_choice", f"未知的流程模式“{preset}”", field="preset")
    if by.pk == confirmed_by.pk:
        raise DomainError("two_person_rule", "设置须由录入人以外的另一名工作人员确认")
    if not source.strip():
        raise InvalidInput("required", "请填写文件依据（文号和标题）", field="source")
    store = parameter_store()
    now = timezone.now()
    with transaction.atomic():
        changes = []
        for key, value in PRESETS[preset].items():
            store.definition(key).parse_value(value, key)
            change = ParameterChange.objects.create(
                name=key,
                area_code=county_code,
                area_full=full_code(county_code),
                valid_from=valid_from,
                value=value,
                reason=f"开通或调整办理流程模式：{PRESET_LABELS[preset]}",
                source=source.strip(),
                status="confirmed",
                proposed_by=by,
                decided_by=confirmed_by,
                decided_at=now,
            )
            changes.append(change)
        record(
            by,
            "programs.parameter.preset",
            changes[0],
            area_code=full_code(county_code),
            changes={"preset": preset, "area": county_code, "valid_from": valid_from, "source": source},
        )
    return changes


def config_for(county_code: str, on: dt.date | None = None) -> ProcedureConfig:
    """The county's procedure on ``on`` (today by default): its document numbering and
    救济途径 bodies, and every deadline, 公示 period, approval level and review cycle from
    the dated settings in force there (``programs.settings``)."""
    config = ProcedureConfig.objects.filter(county_code=county_code).first()
    if config is None:
        raise DomainError(
            "procedure_not_configured",
            f"县级区划{county_code}尚未配置文书字号和出具单位，请系统管理员完成县（区）开通",
        )
    return with_settings(config, on or timezone.localdate())


def with_settings(config: ProcedureConfig, day: dt.date, store: ParameterStore | None = None) -> ProcedureConfig:
    """``config`` filled with the settings in force on ``day`` (a list of cases reads the store
    and the county's row once and passes them here for each acceptance day)."""
    store = store or parameter_store()
    try:
        for attribute, key in SETTING_ATTRIBUTES.items():
            setattr(config, attribute, store.lookup(key, config.county_code, day).value)
        config.approval_levels = {
            p: str(store.lookup(f"procedure.approval.{p}", config.county_code, day).value) for p in APPROVAL_PROGRAMS
        }
    except RulesInputError as exc:
        raise DomainError("procedure_not_configured", f"{exc.message}。请在“救助标准与设置”中录入后再办理") from None
    config.settings_date = day
    return config


def config_for_case(application: Application) -> ProcedureConfig:
    """A case runs under the settings in force on the day it was accepted: a change of
    deadline or approval level applies to cases accepted from its valid_from on."""
    return config_for(application.county_code, timezone.localdate(application.accepted_at))


def load_demo_configs() -> None:
    for code, (prefix, issuer) in DEMO_COUNTIES.items():
        ensure_config(code, prefix, issuer)


CASE_SETTING_PREFIXES = ("procedure.", "review.")


def _row(
    key: str, label: str, value: Any, unit: str, valid_from: Any, valid_to: Any, area: str, source: str
) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "value": value,
        "display": display_value(value, unit),
        "unit": unit,
        "valid_from": str(valid_from)[:10],
        "valid_to": str(valid_to)[:10] if valid_to else None,
        "area_code": area,
        "source": source,
    }


def settings_snapshot(application: Application) -> list[dict[str, Any]]:
    """Every setting a decision on ``application`` used (GOV-5, GOV-8): the procedure and review
    settings in force on its acceptance day, then the rules parameters of its calculation (its
    trace), each with value, unit, validity, the area it came from and its source — JSON, kept on
    the case when it is decided."""
    day = timezone.localdate(application.accepted_at)
    rows = [
        _row(s.key, s.label, s.value, s.unit, s.valid_from, s.valid_to, s.area_code, s.source)
        for s in settings_in_force(application.county_code, day)
        if s.key.startswith(CASE_SETTING_PREFIXES)
    ]
    seen = {r["key"] for r in rows}
    for p in (application.trace or {}).get("parameters", []):
        if isinstance(p, dict) and p.get("name") not in seen:
            seen.add(p["name"])
            rows.append(
                _row(
                    p["name"],
                    str(p.get("description", "")),
                    p.get("value"),
                    str(p.get("unit", "")),
                    p.get("valid_from", ""),
                    p.get("valid_to"),
                    str(p.get("area", "")),
                    str(p.get("source", "")),
                )
            )
    return rows


def settings_used(application: Application) -> tuple[list[dict[str, Any]], bool]:
    """What the case page and API show as 办理依据: the snapshot kept at the decision for a
    decided case (``True``), else the settings in force on its acceptance day (``False``).
    Dates as ``datetime.date``."""
    stored = bool(application.decision_settings)
    rows = application.decision_settings if stored else settings_snapshot(application)
    out = []
    for r in rows:
        if not stored and not r["key"].startswith(CASE_SETTING_PREFIXES):
            continue
        out.append(
            {
                **r,
                "valid_from": dt.date.fromisoformat(r["valid_from"]) if r.get("valid_from") else None,
                "valid_to": dt.date.fromisoformat(r["valid_to"]) if r.get("valid_to") else None,
            }
        )
    return out, stored
