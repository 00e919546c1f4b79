"""救助测算 API and page (INT-4 智能研判, STD-8, STD-9, PRG-5, PRG-6)."""

import json

import pytest

pytestmark = pytest.mark.django_db

FAMILY = {
    "members": [
        {"age": 45, "relation": "self", "incomes": {"wage": 150000}},
        {"age": 43, "relation": "spouse"},
        {"age": 12, "relation": "child", "school": "primary"},
    ]
}


def evaluate(client, **overrides):
    body = {
        "area_code": "370405101201",
        "date": "2026-03-01",
        "programs": ["dibao", "tekun", "dibao_edge"],
        "household": FAMILY,
        **overrides,
    }
    return client.post("/api/v1/eligibility/evaluate", json.dumps(body), content_type="application/json")


def test_it_explains_each_program(api_of):
    """A rural family of three at 台儿庄区 北洛村: 低保 差额 with the rural standard."""
    r = evaluate(api_of("tez_zhangshanzi"))
    assert r.status_code == 200, r.content
    data = r.json()
    assert set(data) == {"dibao", "tekun", "dibao_edge"}
    dibao = data["dibao"]
    assert dibao["eligible"] is True
    assert dibao["monthly_amount_fen"] == 3 * 80000 - (150000 - 10000)  # 就业成本 10% capped at 100元
    assert {"code": "income_below_standard", "message": dibao["reasons"][0]["message"], "passed": True} in dibao[
        "reasons"
    ]
    assert data["tekun"]["eligible"] is False
    assert any(x["code"] == "no_labour_capacity" and not x["passed"] for x in data["tekun"]["reasons"])


def test_the_trace_names_every_parameter_used(api_of):
    trace = evaluate(api_of("tez_zhangshanzi")).json()["dibao"]["trace"]
    standard = next(p for p in trace["parameters"] if p["name"] == "dibao.standard.rural")
    assert standard["area"] == "370405" and standard["valid_from"] and standard["source"]
    assert trace["rules_version"] and trace["parameters_digest"].startswith("sha256:")


def test_an_urban_community_uses_the_urban_standard(api_of):
    data = evaluate(api_of("tez_zhangshanzi"), area_code="370405101001").json()
    assert data["dibao"]["monthly_amount_fen"] == 3 * 100000 - 140000


def test_a_county_code_needs_the_urban_flag(api_of):
    r = evaluate(api_of("tez_county"), area_code="370405")
    assert r.status_code == 422 and r.json()["field"] == "household.urban"
    ok = evaluate(api_of("tez_county"), area_code="370405", household={**FAMILY, "urban": True})
    assert ok.status_code == 200


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"programs": ["nope"]}, "unknown_program", "programs[0]"),
        ({"area_code": "999999"}, "unknown_area", "area_code"),
        ({"date": "2001-01-01"}, "date_out_of_range", "date"),
        ({"household": {"members": [{"age": 200}]}}, "out_of_range", "household.members[0].age"),
        (
            {"household": {"members": [{"age": 40, "incomes": {"wage": -1}}]}},
            "negative_value",
            "household.members[0].incomes.wage",
        ),
        ({"household": {"members": [{"relation": "self"}]}}, "missing_field", "household.members[0].age"),
        ({"household": {"members": [{"age": 40, "income": 5}]}}, "unknown_field", "household.members[0].income"),
    ],
)
def test_bad_input_names_the_field(api_of, change, code, field):
    r = evaluate(api_of("tez_zhangshanzi"), **change)
    assert r.status_code == 422, r.content
    assert r.json()["code"] == code and r.json()["field"] == field
    assert r.json()["message"]


def test_a_past_date_uses_the_parameters_of_that_date(api_of):
    now = evaluate(api_of("tez_zhangshanzi")).json()["dibao"]["trace"]
    past = evaluate(api_of("tez_zhangshanzi"), date="2025-03-01").json()["dibao"]["trace"]
    std = {t["name"]: t for t in now["parameters"]}["dibao.standard.rural"]
    std_past = {t["name"]: t for t in past["parameters"]}["dibao.standard.rural"]
    assert std_past["valid_from"] < std["valid_from"]


def test_the_page_shows_results_with_reasons(client_of):
    c = client_of("tez_zhangshanzi")
    data = {
        "area_code": "370405101201",
        "date": "2026-03-01",
        "programs": ["dibao", "tekun"],
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-relation": "self",
        "members-0-birth_date": "1981-01-01",
        "members-0-labour_capacity": "full",
        "members-0-school": "none",
        "members-0-income_wage": "1500",
        "members-1-relation": "child",
        "members-1-birth_date": "2014-01-01",
        "members-1-labour_capacity": "unassessed",
        "members-1-school": "primary",
    }
    page = c.post("/eligibility/", data).content.decode()
    assert "符合条件" in page and "家庭月人均收入低于当地低保标准" in page
    assert "不符合条件" in page  # 特困


def test_the_page_prefills_from_the_registry(client_of, household_in):
    h = household_in("张山子镇")
    page = client_of("tez_zhangshanzi").get("/eligibility/", {"household": h.id})
    assert page.status_code == 200
    assert page.context["formset"].initial[0]["relation"] == "self"
    assert client_of("tez_jiantouji").get("/eligibility/", {"household": h.id}).status_code == 404


def test_the_page_shows_input_errors(client_of):
    data = {
        "area_code": "370405101201",
        "date": "2026-03-01",
        "programs": ["dibao"],
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "1",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-relation": "self",
        "members-0-birth_date": "1981-01-01",
        "members-0-labour_capacity": "full",
        "members-0-school": "none",
        "members-0-income_wage": "abc",
    }
    page = client_of("tez_zhangshanzi").post("/eligibility/", data).content.decode()
    assert "金额格式不正确" in page
