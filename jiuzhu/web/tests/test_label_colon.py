"""A form's labels end in the full-width colon of Chinese text (月工资性收入（元）：), on every page
that renders Django's forms; Django's own zh_Hans catalog gives the ASCII ":"."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_a_form_label_ends_in_the_chinese_colon(client_of):
    page = client_of("tez_hecha").get("/verification/").content.decode()
    labels = re.findall(r"<label[^>]*>([^<]+)</label>", page)
    assert "家庭编号或成员身份证号：" in labels and "核对项目：" in labels
    assert not [label for label in labels if label.endswith(":")]
