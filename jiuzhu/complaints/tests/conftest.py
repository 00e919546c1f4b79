"""Complaints use the demo world and, for reports about a recipient, payments' approved cases."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from jiuzhu.payments.tests.conftest import approved_case

__all__ = ["approved_case"]

BEILUO = "370405101201"  # 北洛村, 张山子镇
ZHANGSHANZI = "370405101000"
JIANTOUJI = "370405103000"


@pytest.fixture(autouse=True)
def _no_rate_limit_left() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def form_data(**over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": "report",
        "area_code": BEILUO,
        "subject": "有人不符合条件享受低保",
        "recipient_name": "王小兰",
        "recipient_village": "北洛村",
        "text": "王小兰家有两套房、儿子开车跑运输，仍享受低保。",
        "reporter_name": "李大明",
        "reporter_phone": "13812345678",
    }
    data.update(over)
    return data
