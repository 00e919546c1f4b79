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

from .models import PRESET_LABELS, Application
from .procedure import ProcedureConfig

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

# The demo counties: their procedure and document settings (devolved or national; 文书字号,
# 出具单位, 救济途径) are dated settings in jiuzhu/rules/parameters/procedure.yaml and
# documents.yaml, each with its source.
DEMO_COUNTIES = ("370405", "370404", "370481", "370321")
# What a county's documents say (文书与救济途径, GOV-8): attribute ← setting key. The four texts
# are the county's own (no national default); the two periods are the law's (national).
DOCUMENT_TEXTS = {
    "notice_prefix": "documents.notice_prefix",
    "issuer_name": "documents.issuer_name",
    "remedy_review_body": "documents.remedy_review_body",
    "remedy_court": "documents.remedy_court",
}
DOCUMENT_ATTRIBUTES = {
    **DOCUMENT_TEXTS,
    "remedy_review_days": "documents.remedy_review_days",
    "remedy_litigation_months": "documents.remedy_litigation_months",
}


def _enter_settings(
    county_code: str,
    values: dict[str, object],
    *,
    by: User,
    confirmed_by: User,
    valid_from: dt.date,
    source: str,
    reason: str,
    action: str,
    summary: dict[str, object],
) -> list[ParameterChange]:
    """Enter ``values`` as the county's own dated settings, entered by ``by`` and confirmed by
    ``confirmed_by`` (two persons), with the document ``source``, in one transaction, audited."""
    if by.pk == confirmed_by.pk:
        raise DomainError("two_person_rule", "设置须由录入人以外的另一名工作人员确认")
    if not source.strip():
        raise InvalidInput("required", "请填写文件依据（文号和标题）", field="source")
    store = parameter_store()
    parsed = {}
    for key, value in values.items():
        try:
            parsed[key] = store.definition(key).parse_value(value, key)[0]
        except RulesInputError as exc:
            raise InvalidInput(exc.code, exc.message, field=key.rsplit(".", 1)[-1]) from None
    now = timezone.now()
    with transaction.atomic():
        changes = [
            ParameterChange.objects.create(
                name=key,
                area_code=county_code,
                area_full=full_code(county_code),
                valid_from=valid_from,
                value=value,
                reason=reason,
                source=source.strip(),
                status="confirmed",
                proposed_by=by,
                decided_by=confirmed_by,
                decided_at=now,
            )
            for key, value in parsed.items()
        ]
        record(
            by,
            action,
            changes[0],
            area_code=full_code(county_code),
            changes={**summary, "area": county_code, "valid_from": valid_from, "source": source},
        )
    return changes


def apply_preset(
    county_code: str, preset: str, *, by: User, confirmed_by: User, valid_from: dt.date, source: str
) -> list[ParameterChange]:
    """Enter a preset's values as the county's own dated settings (开通县区 or switching the
    county's procedure by its own document): each value entered by ``by`` and confirmed by
    ``confirmed_by`` (two persons), with the document ``source``, audited. Cases accepted
    before ``valid_from`` keep the settings of their day (``config_for_case``)."""
    if preset not in PRESETS:
        raise InvalidInput("invalid_choice", f"未知的流程模式“{preset}”", field="preset")
    return _enter_settings(
        county_code,
        PRESETS[preset],
        by=by,
        confirmed_by=confirmed_by,
        valid_from=valid_from,
        source=source,
        reason=f"开通或调整办理流程模式：{PRESET_LABELS[preset]}",
        action="programs.parameter.preset",
        summary={"preset": preset},
    )


def set_documents(
    county_code: str,
    texts: dict[str, str],
    *,
    by: User,
    confirmed_by: User,
    valid_from: dt.date,
    source: str,
) -> list[ParameterChange]:
    """Enter what the county's documents say (``texts``: notice_prefix, issuer_name,
    remedy_review_body, remedy_court) as its own dated settings, two persons, with the
    document ``source``: notices of cases accepted from ``valid_from`` on use them."""
    unknown = sorted(set(texts) - set(DOCUMENT_TEXTS))
    if unknown:
        raise InvalidInput("invalid_choice", f"未知的文书设置“{unknown[0]}”", field=unknown[0])
    return _enter_settings(
        county_code,
        {DOCUMENT_TEXTS[k]: v for k, v in texts.items()},
        by=by,
        confirmed_by=confirmed_by,
        valid_from=valid_from,
        source=source,
        reason="开通县区或调整文书字号、出具单位和救济途径",
        action="programs.parameter.documents",
        summary=dict(texts),
    )


def config_for(county_code: str, on: dt.date | None = None) -> ProcedureConfig:
    """The county's procedure on ``on`` (today by default): every deadline, 公示 period,
    approval level and review cycle, its document numbering, issuer and 救济途径, from the
    dated settings in force there (``programs.settings``)."""
    return with_settings(ProcedureConfig(county_code), on or timezone.localdate())


def with_settings(config: ProcedureConfig, day: dt.date, store: ParameterStore | None = None) -> ProcedureConfig:
    """``config`` filled with the settings in force on ``day`` (a list of cases reads the store
    once and passes it here for each county and acceptance day)."""
    store = store or parameter_store()
    try:
        for attribute, key in (SETTING_ATTRIBUTES | DOCUMENT_ATTRIBUTES).items():
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
    deadline, approval level, issuer or 救济途径 applies to cases accepted from its valid_from on."""
    return config_for(application.county_code, timezone.localdate(application.accepted_at))


CASE_SETTING_PREFIXES = ("procedure.", "review.", "documents.")


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
