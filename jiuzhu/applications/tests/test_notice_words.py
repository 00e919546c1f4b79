"""Notices speak plain Chinese to the family (issue 14 item 8; DOC-1 … DOC-14): program, people,
amount in 元 and in 大写, start, review cycle, the basis in words, and on every decision the
remedy with the county's own review body and court — no "True", no 分, no developer English."""

import re
import subprocess
import tempfile

import pytest

from jiuzhu.applications import actions
from jiuzhu.applications.tests.test_decisions import APPROVER, CLERK, end_publicity, illness_case, use
from jiuzhu.registry.storage import path_of

pytestmark = pytest.mark.django_db
LEAKS = re.compile(r"True|False|None|national|default|DOMAIN|DECISIONS|illustrative|demo|\d分|fen\b|[a-z]+\.[a-z_]+")


def _text(notice) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        with open(path_of(notice.document.storage_name), "rb") as pdf:
            fh.write(pdf.read())
        fh.flush()
        return subprocess.run(["pdftotext", "-raw", fh.name, "-"], capture_output=True, text=True, check=True).stdout


def _body(text: str) -> str:
    """The notice without the verification footer (its link is a URL, on purpose)."""
    return text.split("本文书已加盖电子签章")[0]


def test_the_approval_notice_reads_as_a_family_would_read_it(world, signed_intake):
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=6000)
    actions.approve(app, by=world.user(APPROVER), note="同意")
    actions.close_publicity(end_publicity(app), by=world.user(CLERK))
    app.refresh_from_db()
    text = _text(app.notices.get(kind="approval"))
    body = _body(text)
    assert LEAKS.search(body) is None, LEAKS.search(body)
    amount = f"{app.amount_fen // 100:,}"
    assert amount in body and "元" in body and "大写" in body and "元整" in body
    flat = re.sub(r"\s+", "", body)
    assert "计算依据" in flat
    assert "六十日内向台儿庄区人民政府申请行政复议" in flat
    assert "六个月内向台儿庄区人民法院提起行政诉讼" in flat
    # no account registered (found walking): the notice says what to bring, not that the money
    # goes to a card the family has not registered
    assert not app.applicant.bank_account_index
    assert (
        "你尚未登记社会保障卡（一卡通）账户，请带本人身份证和社会保障卡（一卡通）到镇（街道）社会救助窗口登记" in flat
    )


def test_every_decision_notice_names_the_remedy_from_the_county_settings(world, signed_intake):
    from jiuzhu.applications.tests.support import use_setting

    use_setting("documents.remedy_review_body", "某某县人民政府")
    use_setting("documents.remedy_court", "某某县人民法院")
    use("devolved")
    app = illness_case(world, signed_intake, oop_yuan=6000)
    actions.reject(app, by=world.user(APPROVER), note="家庭经济状况不符合条件")
    app.refresh_from_db()
    body = _body(_text(app.notices.get(kind="rejection")))
    flat = re.sub(r"\s+", "", body)
    assert "六十日内向某某县人民政府申请行政复议" in flat and "六个月内向某某县人民法院提起行政诉讼" in flat
    assert LEAKS.search(body) is None, LEAKS.search(body)


def test_amounts_in_words():
    from jiuzhu.core.money import cn_number, yuan_in_words

    assert yuan_in_words(120000) == "壹仟贰佰元整"
    assert yuan_in_words(120050) == "壹仟贰佰元伍角"
    assert yuan_in_words(100005) == "壹仟元零伍分"
    assert yuan_in_words(10010000) == "壹拾万零壹佰元整"
    assert yuan_in_words(0) == "零元整"
    assert [cn_number(n) for n in (6, 60, 15, 105)] == ["六", "六十", "十五", "一百零五"]
