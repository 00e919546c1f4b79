"""Helpers shared by the applications tests and the journeys."""

from __future__ import annotations

import datetime as dt

from jiuzhu.accounts.models import User
from jiuzhu.applications.config import apply_preset, config_for
from jiuzhu.applications.procedure import ProcedureConfig


def use_preset(preset: str, county: str = "370405") -> ProcedureConfig:
    """Switch the county to a procedure preset by its own (test) document, entered by the
    county officer and confirmed by the administrator, in force since 2023 (after the demo values of 2020)."""
    apply_preset(
        county,
        preset,
        by=User.objects.get(username="tez_county"),
        confirmed_by=User.objects.get(username="tez_admin"),
        valid_from=dt.date(2023, 1, 1),
        source="测试：县人民政府关于办理流程的文件",
    )
    return config_for(county)


def use_setting(key: str, value: object, county: str = "370405") -> None:
    """A county setting entered by its officer and confirmed by the administrator, in force
    since 2023 (test history: the no-backdating rule of the settings page does not apply)."""
    from django.utils import timezone

    from jiuzhu.areas.models import full_code
    from jiuzhu.programs.models import ParameterChange

    ParameterChange.objects.create(
        name=key,
        area_code=county,
        area_full=full_code(county),
        valid_from=dt.date(2023, 1, 1),
        value=value,
        reason="测试",
        source="测试：县人民政府文件",
        status="confirmed",
        proposed_by=User.objects.get(username="tez_county"),
        decided_by=User.objects.get(username="tez_admin"),
        decided_at=timezone.now(),
    )
