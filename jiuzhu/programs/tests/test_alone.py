"""单独申请 (issue 14 item 14; PRG-1, INT-4): a severely disabled or seriously ill adult in a
低保边缘 family may apply alone, as a one-person household; the platform finds whether the
whole family is 低保边缘 with the rules engine and the engine checks the applicant."""

import json

import pytest

from jiuzhu.applications.tests.conftest import png, signed_intake  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# 北洛村 (rural), 2026: rural standard 800 元, 就业成本 10 % up to 100 元, 重度残疾 +20 %.
# Family income after 就业成本 1,500 + 1,500 = 3,000 元 for 3: 1,000 元 per person, above the
# 低保 standard and within 1.5 × (1,200 元): a 低保边缘 family.
FAMILY = {
    "members": [
        {"age": 48, "relation": "self", "disability_grade": 1, "disability_type": "physical"},
        {"age": 46, "relation": "spouse", "incomes": {"wage": 160000}},
        {"age": 24, "relation": "child", "incomes": {"wage": 160000}},
    ]
}


def evaluate(client, household, programs=("dibao", "dibao_edge")):
    body = {"area_code": "370405101201", "date": "2026-03-01", "programs": list(programs), "household": household}
    return client.post("/api/v1/eligibility/evaluate", json.dumps(body), content_type="application/json")


def test_a_severely_disabled_adult_in_an_edge_family_applies_alone(api_of):
    client = api_of("tez_zhangshanzi")
    family = evaluate(client, FAMILY).json()
    assert not family["dibao"]["eligible"] and family["dibao_edge"]["eligible"]
    alone = evaluate(client, {**FAMILY, "alone": True}).json()
    dibao = alone["dibao"]
    assert dibao["eligible"], dibao["reasons"]
    assert dibao["monthly_amount_fen"] == 80000 + 16000  # 参照单人户: 800 元 + 重度残疾加发 20 %
    assert dibao["trace"]["facts"]["alone"] is True and dibao["trace"]["facts"]["family_edge"] is True
    assert len(dibao["trace"]["facts"]["members"]) == 1
    assert any(r["code"] == "alone_applicant_qualifies" and r["passed"] for r in dibao["reasons"])
    assert alone["dibao_edge"]["eligible"]  # the family, not the applicant alone


def test_alone_is_refused_when_the_family_is_not_edge_or_the_applicant_does_not_qualify(api_of):
    client = api_of("tez_zhangshanzi")
    rich = {"members": [*FAMILY["members"][:1], *[{**m, "incomes": {"wage": 260000}} for m in FAMILY["members"][1:]]]}
    out = evaluate(client, {**rich, "alone": True}, programs=("dibao",)).json()["dibao"]
    assert not out["eligible"]
    assert [r["code"] for r in out["reasons"] if not r["passed"]] == ["alone_family_is_edge"]
    able = {"members": [{**FAMILY["members"][0], "disability_grade": 0, "disability_type": ""}, *FAMILY["members"][1:]]}
    out = evaluate(client, {**able, "alone": True}, programs=("dibao",)).json()["dibao"]
    assert [r["code"] for r in out["reasons"] if not r["passed"]] == ["alone_applicant_qualifies"]


def test_an_alone_application_is_stored_as_a_one_person_case(world, signed_intake, household_in):  # noqa: F811
    """At intake the case keeps the applicant alone with the family's 低保边缘 finding, so the
    decision and every roster evaluate him or her as a one-person household."""
    from jiuzhu.applications.actions import evaluate as evaluate_case

    h = household_in("张山子镇")
    head, spouse, child = (h.members.get(relation=r) for r in ("self", "spouse", "child"))
    head.disability_grade, head.disability_category = 1, "physical"
    head.save()
    facts = {
        "urban": h.urban_rural == "urban",
        "alone": True,
        "members": [
            {
                "relation": "self",
                "birth_date": head.birth_date.isoformat(),
                "disability_grade": 1,
                "disability_type": "physical",
            },
            {"relation": "spouse", "birth_date": spouse.birth_date.isoformat(), "incomes": {"wage": 160000}},
            {"relation": "child", "birth_date": child.birth_date.isoformat(), "incomes": {"wage": 160000}},
        ],
    }
    app = signed_intake(household=h, facts=facts).applications.get()
    assert app.facts["alone"] is True and len(app.facts["members"]) == 1
    assert "family_edge" in app.facts
    result = evaluate_case(app)
    assert any(r["code"] == "alone_applicant_qualifies" for r in result["reasons"])


def test_the_screening_page_offers_alone(client_of):
    data = {
        "area_code": "370405101201",
        "date": "2026-03-01",
        "programs": ["dibao", "dibao_edge"],
        "alone": "on",
        "members-TOTAL_FORMS": "3",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
    }
    rows = [
        ("self", "1978-01-01", "", "physical", "1", ""),
        ("spouse", "1980-01-01", "1600", "", "0", ""),
        ("child", "2002-01-01", "1600", "", "0", ""),
    ]
    for i, (relation, birth, wage, dtype, grade, _) in enumerate(rows):
        data.update(
            {
                f"members-{i}-relation": relation,
                f"members-{i}-birth_date": birth,
                f"members-{i}-labour_capacity": "unassessed",
                f"members-{i}-school": "none",
                f"members-{i}-income_wage": wage,
                f"members-{i}-disability_type": dtype,
                f"members-{i}-disability_grade": grade,
            }
        )
    page = client_of("tez_zhangshanzi").post("/eligibility/", data).content.decode()
    assert "单独申请人为成年的重度残疾人或重病患者" in page
    assert "960.00元" in page
