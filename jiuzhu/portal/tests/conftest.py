"""掌上办 fixtures: SMS to a file, no response-time floor, and families with a phone number
and a case accepted at 张山子镇."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jiuzhu.applications.tests.conftest import png

PHONES = iter(f"1380000{n:04d}" for n in range(1, 10000))


@pytest.fixture(autouse=True)
def _sms_to_file(settings: Any, tmp_path: Path) -> Path:
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.FileBackend"
    settings.JIUZHU_SMS_FILE = tmp_path / "sms.jsonl"
    settings.JIUZHU_MY_CODE_MIN_SECONDS = 0
    return settings.JIUZHU_SMS_FILE


@pytest.fixture
def sms_file(_sms_to_file: Path) -> Path:
    return _sms_to_file


def last_code(path: Path, phone: str = "") -> str:
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []
    lines = [x for x in lines if not phone or x["phone"] == phone]
    assert lines, "no SMS was sent"
    match = re.search(r"验证码为(\d{6})", lines[-1]["text"])
    assert match
    return match.group(1)


class Family:
    def __init__(self, household: Any, id_number: str, phone: str, case: Any) -> None:
        self.household, self.id_number, self.phone, self.case = household, id_number, phone, case

    @property
    def head(self) -> Any:
        return self.household.members.get(relation="self")


@pytest.fixture
def family(world: Any, household_in: Callable[..., Any], new_id: Callable[..., str]) -> Callable[..., Family]:
    """A household whose head has a phone number in the registry and a 低保 case accepted at
    the town window (receipt notice issued); ``spouse_signs=False``: the spouse's 授权书 is
    still missing."""
    from jiuzhu.applications.actions import IntakeRequest, SignatureIn, intake

    def make(town: str = "张山子镇", spouse_signs: bool = True) -> Family:
        village = world.village_in(town)
        head_id = new_id(age=50, gender="F", area=village.county_code)
        phone = next(PHONES)
        members = [
            {"name": "王淑兰", "id_number": head_id, "relation": "self", "phone": phone},
            {"name": "李大山", "id_number": new_id(age=52, area=village.county_code), "relation": "spouse"},
        ]
        h = household_in(town, members=members)
        head = h.members.get(relation="self")
        adults = list(h.members.all()) if spouse_signs else [head]
        req = IntakeRequest(
            household=h,
            applicant=head,
            programs=["dibao"],
            authorizations=[SignatureIn(p.pk, png(4 + i)) for i, p in enumerate(adults)],
            commitment=SignatureIn(head.pk, png(9)),
        )
        clerk = "tez_zhangshanzi" if town == "张山子镇" else "tez_jiantouji"
        case = intake(req, by=world.user(clerk)).applications.get()
        return Family(h, head_id, phone, case)

    return make
