"""Procedure presets per county (GOV-5, WF-*).

``devolved``: 峄政发〔2020〕14号 — towns approve 低保/特困/临时救助; verification and home visit
run together; no publicity at the review stage; the town publishes the *result* in the
village; objections lead to 民主评议; 12 working days in all.
``national``: 民发〔2021〕57号 — the town examines and publishes its proposal for 7 days; the
county approves (审核确认); 30 working days (20 where approval is devolved; 45 in special cases).
"""

from __future__ import annotations

from typing import Any

from jiuzhu.core.errors import DomainError

from .models import ProcedureConfig

PRESETS: dict[str, dict[str, Any]] = {
    "devolved": {
        "approval_levels": {
            "dibao": "town",
            "tekun": "town",
            "temporary": "town",
            "dibao_edge": "town",
            "rigid_expense": "town",
        },
        "total_limit_days": 12,
        "investigation_days": 6,
        "publicity_days": 7,
    },
    "national": {
        "approval_levels": {
            "dibao": "county",
            "tekun": "county",
            "temporary": "county",
            "dibao_edge": "county",
            "rigid_expense": "county",
        },
        "total_limit_days": 30,
        "investigation_days": 10,
        "publicity_days": 7,
    },
}

DEMO_COUNTIES = {
    "370405": ("devolved", "台民救", "台儿庄区民政局"),
    "370404": ("devolved", "峄民救", "峄城区民政局"),
    "370481": ("national", "滕民救", "滕州市民政局"),
    "370321": ("devolved", "桓民救", "桓台县民政局"),
}
# 救济途径 of the demo counties: the county government reviews (行政复议) the decisions of its
# departments and towns; the county court hears the suits (行政诉讼).
DEMO_REMEDIES = {
    "370405": ("台儿庄区人民政府", "台儿庄区人民法院"),
    "370404": ("峄城区人民政府", "峄城区人民法院"),
    "370481": ("滕州市人民政府", "滕州市人民法院"),
    "370321": ("桓台县人民政府", "桓台县人民法院"),
}


def apply_preset(config: ProcedureConfig, preset: str) -> ProcedureConfig:
    config.preset = preset
    for key, value in PRESETS[preset].items():
        setattr(config, key, value)
    return config


def ensure_config(county_code: str, preset: str, notice_prefix: str, issuer_name: str) -> ProcedureConfig:
    config = ProcedureConfig.objects.filter(county_code=county_code).first()
    if config is None:
        config = apply_preset(
            ProcedureConfig(county_code=county_code, notice_prefix=notice_prefix, issuer_name=issuer_name), preset
        )
        config.save()
    if county_code in DEMO_REMEDIES and not config.remedy_review_body:
        config.remedy_review_body, config.remedy_court = DEMO_REMEDIES[county_code]
        config.save(update_fields=["remedy_review_body", "remedy_court"])
    return config


def config_for(county_code: str) -> ProcedureConfig:
    config = ProcedureConfig.objects.filter(county_code=county_code).first()
    if config is None:
        raise DomainError(
            "procedure_not_configured", f"县级区划{county_code}尚未配置办理流程，请系统管理员在“办理流程配置”中设置"
        )
    return config


def load_demo_configs() -> None:
    for code, (preset, prefix, issuer) in DEMO_COUNTIES.items():
        ensure_config(code, preset, prefix, issuer)
