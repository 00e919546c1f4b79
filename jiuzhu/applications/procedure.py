"""The procedure a county's case runs under (办理流程配置, GOV-5, WF-*): every deadline, 公示
period, approval level, review cycle, and what its documents say (文书字号, 出具单位, 救济途径),
read from the dated settings in force on one day (``applications.config.config_for``).
Nothing here is stored: the settings store is the only source."""

from __future__ import annotations

import datetime as dt

from .models import PRESET_LABELS


class ProcedureConfig:  # 办理流程配置: one county's settings on one day
    # Filled from the settings in force by ``config.with_settings``.
    preset: str
    approval_levels: dict[str, str]
    total_limit_days: int
    special_limit_days: int
    investigation_days: int
    publicity_days: int
    rejection_notice_days: int
    emergency_register_days: int
    emergency_advance_hours: int
    special_deliberation_min_participants: int
    review_cycle_stable_months: int
    review_cycle_other_months: int
    review_stable_age: int
    notice_prefix: str  # 文书字号前缀
    issuer_name: str  # 出具单位
    remedy_review_body: str  # 行政复议机关
    remedy_court: str  # 行政诉讼管辖法院
    remedy_review_days: int  # 申请行政复议期限（日）
    remedy_litigation_months: int  # 提起行政诉讼期限（月）
    settings_date: dt.date

    def __init__(self, county_code: str) -> None:
        self.county_code = county_code

    def __str__(self) -> str:
        return f"{self.county_code} {getattr(self, 'issuer_name', '')}"

    def approval_level(self, program: str) -> str:
        return str(self.approval_levels.get(program, "county"))

    def get_preset_display(self) -> str:
        return PRESET_LABELS.get(self.preset, self.preset)
