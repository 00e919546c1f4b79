"""The funds API and pages: the same actions, one JSON error format, jurisdiction (404)."""

import datetime as dt

import pytest

from jiuzhu.funds.models import BudgetLine
from jiuzhu.funds.tests.conftest import YEAR

pytestmark = pytest.mark.django_db
JSON = "application/json"


def _line(client, **kw):
    body = {"year": YEAR, "area_code": "370405101", "program": "dibao", "source": "local", "amount_fen": 1_000_000}
    return client.post("/api/v1/funds/lines", {**body, **kw}, content_type=JSON)


def test_it_creates_lines_and_plans_through_the_api(api_of, approved_case, paid):
    """FND-1, FND-5: create, plan, execution with the ledger's actual; errors as 4xx JSON."""
    county = api_of("tez_county")
    r = _line(county)
    assert r.status_code == 201, r.content
    line_id = r.json()["id"]
    dup = _line(county)
    assert dup.status_code == 409 and dup.json()["code"] == "duplicate_budget_line"
    neg = _line(county, source="central", amount_fen=-5)
    assert neg.status_code == 422 and neg.json() == {
        "code": "invalid_amount",
        "message": "金额不能为负数",
        "field": "amount_fen",
    }
    over = county.put(
        f"/api/v1/funds/lines/{line_id}/plan", {"months": {"1": 600_000, "2": 500_000}}, content_type=JSON
    )
    assert over.status_code == 422 and over.json()["code"] == "plan_exceeds_budget"
    ok = county.put(f"/api/v1/funds/lines/{line_id}/plan", {"months": {"11": 300_000}}, content_type=JSON)
    assert ok.status_code == 200 and ok.json()["months"]["11"] == 300_000
    paid(approved_case(), dt.date(YEAR, 11, 1), 45_000)
    ex = county.get(f"/api/v1/funds/execution?year={YEAR}&area_code=370405101").json()
    row = ex["rows"][0]
    assert (row["budget_fen"], row["months"][10]["plan_fen"], row["months"][10]["actual_fen"]) == (
        1_000_000,
        300_000,
        45_000,
    )
    xlsx = county.get(f"/api/v1/funds/execution?year={YEAR}&format=xlsx")
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    patched = county.patch(f"/api/v1/funds/lines/{line_id}", {"amount_fen": 200_000}, content_type=JSON)
    assert patched.status_code == 422 and patched.json()["code"] == "plan_exceeds_budget"


def test_the_api_keeps_jurisdiction(api_of, world):
    """Rule 4: towns read only their lines, cannot write; other counties get 404."""
    county = api_of("tez_county")
    own = _line(county).json()["id"]
    other = _line(county, area_code="370405103").json()["id"]
    town = api_of("tez_zhangshanzi")
    assert [x["id"] for x in town.get("/api/v1/funds/lines").json()["items"]] == [own]
    assert town.get(f"/api/v1/funds/lines/{other}").status_code == 404
    assert _line(town, source="other").json()["code"] == "permission_denied"
    assert api_of("yc_county").get(f"/api/v1/funds/lines/{own}").status_code == 404
    assert town.get("/api/v1/funds/execution?area_code=370405").status_code == 404
    assert api_of("tez_yibao").get("/api/v1/funds/lines").status_code == 403


def test_the_other_registers_work_through_the_api(api_of, approved_case):
    """FND-6, FND-9, FND-10, FND-12, FND-15 endpoints: list and create, with their refusals."""
    county = api_of("tez_county")
    bad = county.post(
        "/api/v1/funds/fiscal-powers",
        {
            "county_code": "370405",
            "program": "tekun",
            "shares": {"central": 50, "county": 40},
            "department": "区民政局",
            "legal_basis": "《社会救助暂行办法》",
        },
        content_type=JSON,
    )
    assert bad.status_code == 422 and bad.json()["code"] == "shares_not_100"
    good = county.post(
        "/api/v1/funds/fiscal-powers",
        {
            "county_code": "370405",
            "program": "tekun",
            "shares": {"central": 50, "county": 50},
            "department": "区民政局",
            "legal_basis": "《社会救助暂行办法》",
        },
        content_type=JSON,
    )
    assert good.status_code == 200 and county.get("/api/v1/funds/fiscal-powers").json()["count"] == 1
    plan = county.post(
        "/api/v1/funds/plans",
        {"county_code": "370405", "name": "十四五", "start_year": 2021, "end_year": 2025},
        content_type=JSON,
    ).json()
    t = county.post(
        f"/api/v1/funds/plans/{plan['id']}/targets", {"program": "dibao", "targets": {"2025": 100}}, content_type=JSON
    )
    assert t.status_code == 200
    cmp = county.get(f"/api/v1/funds/plans/{plan['id']}/comparison").json()
    assert cmp["rows"][0]["years"][-1]["target_fen"] == 100
    inc = county.post(
        "/api/v1/funds/incentives",
        {
            "area_code": "370405",
            "kind": "fee",
            "organisation": "某养老服务中心",
            "amount_fen": 500_000,
            "granted_on": "2026-05-01",
            "basis": "收费减免文件",
        },
        content_type=JSON,
    )
    assert inc.status_code == 201 and inc.json()["kind_label"] == "费用减免"
    line_id = _line(county, program="services", area_code="370405").json()["id"]
    c = county.post(
        "/api/v1/funds/contracts",
        {
            "line_id": line_id,
            "provider": "社工机构",
            "content": "探访",
            "amount_fen": 2_000_000,
            "start_on": "2026-01-01",
            "end_on": "2026-12-31",
        },
        content_type=JSON,
    )
    assert c.status_code == 409 and c.json()["code"] == "contract_exceeds_budget"
    account = county.post("/api/v1/funds/charity", {"area_code": "370405"}, content_type=JSON).json()
    assert account["name"] == "台儿庄区慈善救助资金"
    county.post(
        f"/api/v1/funds/charity/{account['id']}/inflows", {"amount_fen": 1000, "donor": "某人"}, content_type=JSON
    )
    over = county.post(
        f"/api/v1/funds/charity/{account['id']}/outflows", {"amount_fen": 1001, "purpose": "救助"}, content_type=JSON
    )
    assert over.status_code == 409 and over.json()["code"] == "charity_insufficient"
    app = approved_case()
    out = county.post(
        f"/api/v1/funds/charity/{account['id']}/outflows",
        {"amount_fen": 1000, "purpose": "救助", "application_id": app.pk},
        content_type=JSON,
    )
    assert out.status_code == 201 and out.json()["balance_after_fen"] == 0


def test_the_pages_show_form_errors_in_chinese(client_of, world):
    """FND-1 pages: a negative amount and a duplicate line come back on the form."""
    c = client_of("tez_county")
    form = {"year": YEAR, "area_code": "370405000000", "program": "dibao", "source": "local", "amount_yuan": "-1"}
    r = c.post("/funds/lines/", form)
    assert r.status_code == 200 and "金额不能为负数" in r.content.decode()
    r = c.post("/funds/lines/", {**form, "amount_yuan": "100"})
    assert r.status_code == 302
    line = BudgetLine.objects.get()
    r = c.post("/funds/lines/", {**form, "amount_yuan": "100"})
    assert "预算科目已存在" in r.content.decode()
    r = c.post(f"/funds/lines/{line.pk}/", {"op": "plan", "m1": "60", "m2": "50"})
    assert "超过年度预算" in r.content.decode()
    for url in (
        "/funds/",
        "/funds/forecast/",
        "/funds/sources/",
        "/funds/powers/",
        "/funds/plans/",
        "/funds/incentives/",
        "/funds/contracts/",
        "/funds/charity/",
        f"/funds/lines/{line.pk}/",
    ):
        assert c.get(url).status_code == 200, url
    assert client_of("tez_zhangshanzi").get(f"/funds/lines/{line.pk}/").status_code == 404
    assert client_of("tez_yibao").get("/funds/").status_code == 404
    assert "资金预算" in client_of("tez_viewer").get("/").content.decode()


def test_the_fiscal_power_page_names_no_county_for_a_user_without_one(client, world):
    """FND-6: a user with no area (a superuser) is refused on the form; no county is assumed."""
    from jiuzhu.accounts.models import User
    from jiuzhu.funds.models import FiscalPower

    client.force_login(User.objects.create_superuser("root_powers", password="x-unused-x"))
    shares = {"central": 60, "provincial": 20, "city": 5, "county": 15, "town": 0}
    r = client.post("/funds/powers/", {"program": "dibao", "department": "区民政局", "legal_basis": "x", **shares})
    assert r.status_code == 200 and "区划应为县（区）" in r.content.decode()
    assert not FiscalPower.objects.exists()
