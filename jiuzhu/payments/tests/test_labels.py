"""Rosters and their exports name areas in words, not 12-digit codes (issue 14 item 9)."""

import io
import re
import subprocess
import tempfile

import pytest

from jiuzhu.monitoring import actions as monitoring
from jiuzhu.monitoring.tests.test_reviews import signed_case  # noqa: F401  (fixture)
from jiuzhu.payments import actions, queries
from jiuzhu.payments.tests.conftest import NOV

pytestmark = pytest.mark.django_db


def test_it_names_the_roster_area_on_the_list_and_the_roster(client_of, county, approved_case):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    client = client_of("tez_county")
    for url in ("/payments/", f"/payments/rosters/{roster.pk}/"):
        page = client.get(url).content.decode()
        assert "台儿庄区" in page, url
        assert "370405000000" not in page.replace('value="370405000000"', ""), url


def test_it_names_a_town_roster_by_its_town(client_of, county, approved_case):
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405101", month=NOV)
    page = client_of("tez_county").get(f"/payments/rosters/{roster.pk}/").content.decode()
    assert "张山子镇" in page and "370405101000" not in page.replace('value="370405101000"', "")


def test_the_reconciliation_export_names_the_area(county, approved_case, locked_roster):
    from openpyxl import load_workbook

    approved_case()
    roster = locked_roster()
    sheet = load_workbook(io.BytesIO(queries.reconciliation_xlsx(queries.reconciliation(roster), roster))).worksheets[0]
    first = [c for c in next(sheet.iter_rows(min_row=2, values_only=True)) if c]
    assert first[1] == "2026年11月花名册（台儿庄区）"


def test_the_bank_file_names_the_village_with_its_town(world, county, approved_case, locked_roster):
    from openpyxl import load_workbook

    app = approved_case()
    roster = locked_roster()
    layout = next(x for x in actions.layouts_for("370405", by=county) if x.code == "yikatong_xlsx")
    _batch, content, _name = actions.export_bank_file(roster, by=county, layout=layout)
    values = list(load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(values_only=True))
    village = world.areas[app.area_code]
    assert values[1][8] == "张山子镇" + village.name


def test_the_calculation_basis_of_a_case_is_in_yuan_and_area_names(client_of, approved_case):
    from jiuzhu.rules.parameters import display_value
    from jiuzhu.web.tests.visible import visible_text

    app = approved_case()
    text = visible_text(client_of("tez_county").get(f"/applications/{app.pk}/").content.decode())
    money = [p for p in app.trace["parameters"] if p["unit"] == "fen"]
    assert money
    for p in money:
        assert display_value(p["value"], "fen") in text
        assert not re.search(rf"(?<![\d.,]){p['value']}(?![\d.,元])", text), p  # a bare fen amount
    assert "台儿庄区" in text and not re.search(r"(?<![\d*])370405(?![\d*])", text)


def test_the_adjustment_notice_gives_its_basis_in_yuan(world, county, signed_case, signed_intake):  # noqa: F811
    from jiuzhu.monitoring.tests.test_reviews import _verified_review
    from jiuzhu.payments.models import PaymentNotice
    from jiuzhu.registry.storage import path_of

    app = signed_case
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 30_000}
    review = _verified_review(world, county, app, {**app.facts, "members": members}, signed_intake)
    monitoring.decide_review(review, by=county, outcome="change", note="户主在县城务工，月工资300元")
    notice = PaymentNotice.objects.get(application=app).notice
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(path_of(notice.document.storage_name).read_bytes())
        fh.flush()
        text = subprocess.run(["pdftotext", "-raw", fh.name, "-"], capture_output=True, text=True, check=True).stdout
    assert "计算依据" in text
    assert not re.search(r"\d分|True|False", text)
    # the family is told why: the reviewer's finding, not only "家庭情况发生变化"
    assert "经复核家庭情况发生变化（户主在县城务工，月工资300元）" in text.replace("\n", "")


def test_a_reported_change_is_shown_in_words_and_yuan(client_of, county, approved_case):
    from jiuzhu.web.tests.visible import visible_text

    app = approved_case()
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 30_050}
    review = monitoring.report_change(app, by=county, reason="收入变化", facts={**app.facts, "members": members})
    html = client_of("tez_county").get(f"/payments/reviews/{review.pk}/").content.decode()
    summary = visible_text(html.split('data-testid="reported-facts"')[1].split("</div>")[0])
    assert "本人（申请人）" in summary and "工资性收入300.50元" in summary
    assert "30050" not in summary and "wage" not in summary


def test_a_reported_change_of_self_care_names_the_items(client_of, county, approved_case):
    """A 特困 person's care level (and a 低保 member's 分类施保) rests on the self-care items: the
    review page names those reported lost, and the birth date as a document writes it."""
    from jiuzhu.web.tests.visible import visible_text

    app = approved_case()
    members = [dict(m, self_care_unable=["eat", "dress", "bed", "toilet"]) for m in app.facts["members"]]
    review = monitoring.report_change(app, by=county, reason="跌倒骨折后卧床", facts={**app.facts, "members": members})
    html = client_of("tez_county").get(f"/payments/reviews/{review.pk}/").content.decode()
    summary = visible_text(html.split('data-testid="reported-facts"')[1].split("</div>")[0])
    assert "不能自理的项目：自主吃饭、自主穿衣、自主上下床、自主如厕（4项）" in summary
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日出生", summary) and not re.search(r"\d{4}-\d{2}-\d{2}", summary)


DENIED = re.compile(
    r"minzheng|yibao|jiaoti|canlian|zhujian|renshe|dibao\.|tekun\.|分）|\d分|True|False|None|(?<![\d*])\d{12}(?!\d)"
)


def test_no_raw_code_reaches_the_staff_pages(world, client_of, county, approved_case, locked_roster):
    """Issue 14 item 9: rosters, 救助标准, reviews and a case read in words for the staff."""
    import datetime as dt

    from jiuzhu.programs.actions import propose_change
    from jiuzhu.web.tests.visible import visible_text

    app = approved_case()
    roster = locked_roster()
    town = actions.generate_roster(by=county, area_code="370405101", month=dt.date(2026, 12, 1))
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"wage": 30_000}
    review = monitoring.report_change(app, by=county, reason="收入变化", facts={**app.facts, "members": members})
    propose_change(
        by=county,
        name="dibao.standard.urban",
        area_code="370405",
        valid_from=dt.date(2027, 1, 1),
        value=105000,
        reason="年度调整",
        source="台政字〔2026〕99号（测试）",
    )
    client = client_of("tez_county")
    pages = [
        "/payments/",
        f"/payments/rosters/{roster.pk}/",
        f"/payments/rosters/{town.pk}/",
        f"/payments/rosters/{roster.pk}/reconciliation/",
        "/payments/reviews/",
        f"/payments/reviews/{review.pk}/",
        f"/payments/cases/{app.pk}/",
        "/parameters/",
        f"/applications/{app.pk}/",
    ]
    leaks = {}
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        # The review's technical editor (测算数据) is a form input, not text on the page.
        html = re.sub(r"<textarea[^>]*>.*?</textarea>", "", html, flags=re.S)
        found = sorted(set(DENIED.findall(visible_text(html))))
        if found:
            leaks[url] = found
    assert not leaks


def test_the_review_visit_is_a_form_in_yuan_not_json(client_of, county, approved_case, signed_intake):
    """Issue 14 item 9: the clerk records the household as found in the member form (元),
    and the review keeps what was changed; nothing asks for raw JSON."""
    from jiuzhu.monitoring.models import Review

    app = approved_case(household=signed_intake(programs=("dibao_edge",)).household)
    review = monitoring.report_change(app, by=county, reason="收入变化")
    c = client_of("tez_zhangshanzi")
    html = c.get(f"/payments/reviews/{review.pk}/").content.decode()
    assert 'data-testid="review-facts"' in html and '<textarea name="facts"' not in html
    assert "城乡居民基本养老保险基础养老金" in html
    members = app.facts["members"]
    data = {
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
    }
    from jiuzhu.programs.forms import initial_from_facts

    for i, row in enumerate(initial_from_facts(members)):
        for key, value in row.items():
            if isinstance(value, list):
                continue
            data[f"members-{i}-{key}"] = "on" if value is True else ("" if value is False else str(value))
    data["members-0-income_wage"] = "300.50"
    r = c.post(f"/payments/reviews/{review.pk}/start/", data)
    assert r.status_code == 302
    review = Review.objects.get(pk=review.pk)
    assert review.status == "verifying"
    assert review.facts["members"][0]["incomes"]["wage"] == 30050
