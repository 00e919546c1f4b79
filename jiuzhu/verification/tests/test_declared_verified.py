"""Declared vs verified (issue 14 item 5, VER-12, INT-3, DYN-1): the decision uses the
departments' figures where they exist, shown side by side with the declaration, and a review
reads its own fresh 核对报告."""

from __future__ import annotations

import pytest

from jiuzhu.applications import actions
from jiuzhu.applications.tests.conftest import investigate
from jiuzhu.monitoring import actions as monitoring
from jiuzhu.verification.actions import run_verification
from jiuzhu.verification.tests.conftest import csv_bytes, headers_of, plain_ids, row_for
from jiuzhu.verification.verified import comparison, with_verified

pytestmark = pytest.mark.django_db

HEAD = {"relation": "self", "birth_date": "1970-05-01"}
VERIFIED = {
    "incomes": ["basic_pension", "pension", "wage"],
    "assets": ["vehicles"],
    "members": [{**HEAD, "person_id": 1, "name": "张甲", "incomes": {"basic_pension": 16300, "wage": 50000}}],
}


def test_a_payer_s_figure_replaces_the_declaration_and_a_partial_one_is_a_floor():
    facts = {"members": [{**HEAD, "incomes": {"pension": 16300, "wage": 80000, "support": 20000}}]}
    used = with_verified(facts, VERIFIED)["members"][0]
    # 退休金 declared but no pension paid: 0; the 基础养老金 is the payer's; wage: the larger;
    # 赡养费 no department knows: as declared.
    assert used["incomes"] == {"basic_pension": 16300, "wage": 80000, "support": 20000}
    rows = {r["type"]: r for r in comparison(facts, VERIFIED)}
    assert rows["pension"]["declared"] == 16300 and rows["pension"]["verified"] == 0 and rows["pension"]["used"] == 0
    assert rows["pension"]["differs"] and rows["basic_pension"]["declared"] is None
    assert rows["support"]["verified"] is None  # 未核对
    assert rows["wage"]["used"] == 80000


def test_nothing_changes_without_a_report_or_an_unmatched_member():
    facts = {"members": [{"relation": "child", "birth_date": "2010-01-01", "incomes": {"wage": 1}}]}
    assert with_verified(facts, None) is facts
    assert with_verified(facts, VERIFIED)["members"][0]["incomes"] == {"wage": 1}


def _investigated(world, signed_intake, declared_pension_fen):
    app = signed_intake(programs=("dibao",)).applications.get()
    members = [dict(m) for m in app.facts["members"]]
    members[0]["incomes"] = {"pension": declared_pension_fen}
    investigate(world, app, {**app.facts, "members": members})
    app.refresh_from_db()
    return app


def test_the_decision_leaves_out_the_basic_pension_the_report_left_out(
    world, catalog, upload, signed_intake, client_of
):
    """The defect: the family wrote its 城乡居民基础养老金 in the one 养老金/退休金 field; the
    report (correctly) did not count it, the decision did. Now the decision follows the report."""
    app = _investigated(world, signed_intake, 16300)
    declared = actions.evaluate(app)["monthly_amount_fen"]
    head_id = plain_ids(app.household)[0]
    rows = [
        row_for("renshe.pension", id_number=head_id, benefit="城乡居民基础养老金", month=f"2026-{m:02d}", amount="163")
        for m in range(1, 13)
    ]
    upload("renshe.pension", csv_bytes(headers_of("renshe.pension"), rows))
    report = run_verification(by=world.user("tez_hecha"), household=app.household, program="dibao", application=app)
    assert "basic_pension" in report.content["verified"]["incomes"]
    assert {t["code"] for t in report.content["totals"]["income"]} == {"basic_pension"}
    verified = actions.evaluate(app)["monthly_amount_fen"]
    assert verified == declared + 16300  # the 163 元 is no longer counted against the family
    page = client_of("tez_zhangshanzi").get(app.get_absolute_url()).content.decode()
    assert 'data-testid="declared-vs-verified"' in page
    assert "城乡居民基本养老保险基础养老金" in page and "不一致" in page


def test_the_intake_and_investigation_form_offers_every_income_type():
    from jiuzhu.programs.forms import INCOME_FIELDS
    from jiuzhu.rules.facts import INCOME_TYPES

    assert dict(INCOME_FIELDS) == INCOME_TYPES
    assert "basic_pension" in dict(INCOME_FIELDS)


def test_a_review_reads_its_own_fresh_report(world, catalog, upload, vehicle_file, signed_intake, approved_case):
    """A review screen said '0 辆车' while the new report had a car: the evaluation now fails."""
    from jiuzhu.accounts.system import SystemActor

    intake = signed_intake(programs=("dibao_edge",))
    app = approved_case(household=intake.household)
    county = world.user("tez_county")
    review = monitoring.report_change(app, by=county, reason="群众反映家中购置轿车")
    review = monitoring.start_review(review, by=county)
    assert monitoring.review_evaluation(review)["eligible"]  # before the report: as decided
    upload("gongan.vehicle", vehicle_file((plain_ids(app.household)[0], "鲁D12345")))
    run_verification(
        by=SystemActor("核对中心"), household=app.household, program=app.program, request=review.verification
    )
    review.refresh_from_db()
    ev = monitoring.review_evaluation(review)
    assert not ev["eligible"] and "vehicles_within_limit" in ev["failed"]
    page_rows = comparison(review.facts or app.facts, review.verification.report.content["verified"])
    assert any(r["type"] == "vehicles" and r["verified"] == 1 and r["used"] == 1 for r in page_rows)


def test_a_verified_medical_cost_counts_when_larger_than_the_receipts():
    """VER-12, PRG (支出型临时救助): 医保's settlements of the last 12 months are a cost the
    decision reads; the larger of the receipts declared and the department's figure is used, and
    the table shows both. A report from before expenses were kept changes nothing."""
    facts = {"members": [{**HEAD, "medical_oop_fen": 560_000, "education_oop_fen": 90_000}]}
    verified = {**VERIFIED, "expenses": ["medical", "education"]}
    verified["members"] = [{**VERIFIED["members"][0], "expenses": {"medical": 5_011_974}}]
    used = with_verified(facts, verified)["members"][0]
    assert (used["medical_oop_fen"], used["education_oop_fen"]) == (5_011_974, 90_000)
    rows = {r["type"]: r for r in comparison(facts, verified) if r["kind"] == "expense"}
    assert rows["medical"]["label"] == "近12个月个人自付医疗费用" and rows["medical"]["differs"]
    assert (rows["medical"]["declared"], rows["medical"]["verified"], rows["medical"]["used"]) == (
        560_000,
        5_011_974,
        5_011_974,
    )
    assert rows["education"]["used"] == 90_000 and rows["education"]["verified"] == 0
    assert with_verified(facts, VERIFIED)["members"][0]["medical_oop_fen"] == 560_000  # no expenses kept


def test_the_decision_reads_the_medical_cost_the_report_found(world, catalog, upload, signed_intake, client_of):
    """谢峰's 支出型临时救助 (found walking): receipts for 5,600元 at the window, 医保's settlements
    50,119.74元 self-paid in the report — and the decision computed the aid from 5,600 (3,000元
    at the town instead of an amount the county must approve). The decision now reads the report's
    figure, and the case page shows both."""
    app = signed_intake(programs=("temporary",), temporary_kind="illness").applications.get()
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, medical_oop_fen=560_000) if i == 0 else m for i, m in enumerate(facts["members"])]
    investigate(world, app, facts)
    app.refresh_from_db()
    declared = actions.evaluate(app)
    head_id = plain_ids(app.household)[0]
    rows = [
        row_for(
            "yibao.expense",
            name="患者",
            id_number=head_id,
            hospital="区人民医院",
            settled_on=day,
            total="40000",
            own=own,
        )
        for day, own in (("2026-05-10", "30000.00"), ("2026-08-21", "20119.74"))
    ]
    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows))
    report = run_verification(by=world.user("tez_hecha"), household=app.household, program="temporary", application=app)
    assert "medical" in report.content["verified"]["expenses"]
    decided = actions.evaluate(app)
    spent = {v["label"]: v["value"] for v in decided["trace"]["variables"].values() if "自付费用（医疗" in v["label"]}
    assert list(spent.values()) == [5_011_974]
    proposed = {k.split(".")[-1]: v["value"] for k, v in decided["trace"]["variables"].items()}
    before = {k.split(".")[-1]: v["value"] for k, v in declared["trace"]["variables"].items()}
    assert proposed["temporary_proposed"] > before["temporary_proposed"]
    assert proposed["temporary_needs_higher_approval"] and not before["temporary_needs_higher_approval"]
    page = client_of("tez_zhangshanzi").get(app.get_absolute_url()).content.decode()
    table = page.split('data-testid="declared-vs-verified"', 1)[1].split("</table>", 1)[0]
    assert "近12个月个人自付医疗费用" in table and "50,119.74元" in table and "5,600.00元" in table
