"""救助标准 page in words: parameter names, areas and pending amounts (issue 14 item 9)."""

import datetime as dt

import pytest

from jiuzhu.programs.actions import propose_change
from jiuzhu.web.tests.visible import visible_text

pytestmark = pytest.mark.django_db


def _page(client_of, world):
    propose_change(
        by=world.user("tez_county"),
        name="dibao.standard.rural",
        area_code="370405",
        valid_from=dt.date(2027, 1, 1),
        value=90050,
        reason="2027年度标准调整",
        source="台政字〔2026〕99号（测试）",
    )
    return visible_text(client_of("tez_admin").get("/parameters/").content.decode())


def test_it_names_each_parameter_instead_of_its_code(client_of, world):
    text = _page(client_of, world)
    assert "农村最低生活保障标准（每人每月）" in text
    assert "dibao.standard.rural" not in text and "dibao." not in text


def test_it_shows_a_pending_amount_in_yuan_with_two_decimals(client_of, world):
    text = _page(client_of, world)
    assert "900.50元" in text and "90050" not in text


def test_it_names_the_area_of_a_value_and_of_a_change(client_of, world):
    text = _page(client_of, world)
    assert "台儿庄区" in text
    assert "370405" not in text.replace("370405********", "")
