"""The shared cleaning of an action's text and date inputs (core.inputs)."""

from __future__ import annotations

import datetime as dt

import pytest

from jiuzhu.core import inputs
from jiuzhu.core.errors import InvalidInput


def test_it_trims_text_and_refuses_a_blank_required_one_on_its_field():
    assert inputs.field_text({"name": "  张三 "}, "name", "姓名", 32) == "张三"
    with pytest.raises(InvalidInput) as exc:
        inputs.field_text({"name": "  "}, "name", "姓名", 32)
    assert (exc.value.code, exc.value.message, exc.value.field) == ("required", "请填写姓名", "name")
    assert inputs.field_text({}, "name", "姓名", 32, required=False) == ""


def test_it_refuses_text_longer_than_its_limit():
    with pytest.raises(InvalidInput) as exc:
        inputs.text("一二三", "note", "说明", max_length=2)
    assert (exc.value.code, exc.value.message) == ("too_long", "说明不能超过2个字")


def test_it_reads_dates_and_says_the_format_when_it_cannot():
    assert inputs.required_date("2026-01-31", "starts_on", "开始日期") == dt.date(2026, 1, 31)
    assert inputs.date_or_none("", "valid_to", "失效日期", required=False) is None
    with pytest.raises(InvalidInput) as exc:
        inputs.date_or_none("31/01/2026", "valid_to", "失效日期", required=False)
    assert exc.value.message == "失效日期格式应为“2026-01-31”"
    with pytest.raises(InvalidInput) as exc:
        inputs.required_date(None, "starts_on", "开始日期")
    assert (exc.value.code, exc.value.field) == ("required", "starts_on")
