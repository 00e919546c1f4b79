"""What the rooms of 应急期 share: the kinds, the list's columns and the checks."""

from __future__ import annotations

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError, NotFound

from ..models import EMERGENCY_KINDS, Emergency

KINDS = dict(EMERGENCY_KINDS)
# The 急难事件 of the 临时救助 case each kind opens (``rules.facts.EMERGENCY_EVENTS``).
CASE_EVENT = {
    "flood": "natural_disaster",
    "earthquake": "natural_disaster",
    "fire": "fire",
    "epidemic": "other",
    "other": "other",
}
SETTINGS = ("emergency.advance_fen", "emergency.transition_monthly_fen", "emergency.transition_months")
# The victims list: the columns of the 应急管理部门 source (``verification/data/sources.yaml``
# ``yingji.disaster``) a 乡镇 or 应急局 sends; only the ID number is required.
LIST_COLUMNS = {"身份证号码": "id_number", "姓名": "name", "受灾情况": "loss", "损失情况": "loss"}
REGISTRATION = {"on_time": "按期补办", "late": "逾期补办", "overdue": "逾期未补办", "pending": "待补办", "none": "—"}


def _visible(emergency: Emergency, by: User) -> None:
    """404 for a period that does not cover the actor's jurisdiction."""
    if not Emergency.objects.visible_to(by).filter(pk=emergency.pk).exists():
        raise NotFound("not_found", "应急期不存在或不在您的管辖范围内")


def _active(emergency: Emergency) -> None:
    if emergency.status != "active":
        raise DomainError("emergency_ended", f"“{emergency.name}”应急期已结束，不能再办理")
