"""The towns' 临时救助备用金 (FND-2, FND-3, FND-8): opened and topped up by the county, drawn for
先行救助, warning when low, append-only."""

import pytest

from jiuzhu.core.appendonly import AppendOnlyError
from jiuzhu.core.errors import DomainError, Forbidden
from jiuzhu.funds import actions
from jiuzhu.funds.models import ReserveEntry, ReserveFund
from jiuzhu.payments import actions as payments
from jiuzhu.payments.models import LedgerEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(county):
    fund = actions.open_reserve(by=county, town_code="370405101", low_balance_fen=1_000_000)
    actions.top_up_reserve(fund, by=county, amount_fen=5_000_000, source="fiscal", note="台民发〔2026〕1号")
    return fund


def _emergency(world, signed_intake):
    return signed_intake(
        programs=("temporary",), temporary_kind="emergency", emergency_event="fire", documents_provided=["急难事由说明"]
    ).applications.get()


def test_an_advance_is_drawn_from_the_town_reserve(world, fund, signed_intake):
    """FND-3: 先行救助 draws from the reserve, linked to the case and booked on the ledger."""
    from jiuzhu.applications import actions as app_actions

    app = _emergency(world, signed_intake)
    app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=100_000, note="火灾")
    entry = ReserveEntry.objects.get(kind="disbursement")
    assert entry.application_id == app.pk and entry.balance_after_fen == 4_900_000
    assert actions.reserve_balance(fund) == 4_900_000
    assert {e.kind for e in LedgerEntry.objects.filter(application=app)} == {"entitlement", "payment"}
    assert payments.balance(app)["balance"] == 0


def test_an_advance_is_refused_when_the_reserve_would_go_below_zero(world, county, signed_intake):
    """FND-3: refused with a clear message; nothing of the advance is kept."""
    from jiuzhu.applications import actions as app_actions

    fund = actions.open_reserve(by=county, town_code="370405101")
    actions.top_up_reserve(fund, by=county, amount_fen=50_000)
    app = _emergency(world, signed_intake)
    with pytest.raises(DomainError) as exc:
        app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=100_000)
    assert exc.value.code == "reserve_insufficient" and "当前余额500.00元" in exc.value.message
    app.refresh_from_db()
    assert app.state == "accepted" and not ReserveEntry.objects.filter(kind="disbursement").exists()
    assert not LedgerEntry.objects.exists()


def test_a_town_without_a_reserve_cannot_advance(world, signed_intake):
    from jiuzhu.applications import actions as app_actions

    app = _emergency(world, signed_intake)
    with pytest.raises(DomainError) as exc:
        app_actions.advance_pay(app, by=world.user("tez_zhangshanzi"), amount_fen=1000)
    assert exc.value.code == "reserve_missing"


def test_the_reserve_warns_when_low(county, fund):
    from jiuzhu.funds.queries import reserve_summary

    assert not reserve_summary([fund])[0]["low"]
    fund2 = actions.open_reserve(by=county, town_code="370405103", low_balance_fen=1_000_000)
    actions.top_up_reserve(fund2, by=county, amount_fen=300_000, source="donation")
    row = reserve_summary([fund2])[0]
    assert row["low"] and row["top_up_donation_fen"] == 300_000


def test_only_the_county_tops_up_and_the_passbook_is_append_only(world, fund):
    with pytest.raises(Forbidden):
        actions.top_up_reserve(fund, by=world.user("tez_zhangshanzi"), amount_fen=100)
    entry = ReserveEntry.objects.first()
    entry.amount_fen = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        ReserveEntry.objects.all().delete()


# ---- pages and API, at their old addresses under /payments/ -------------------------------------


def test_it_opens_and_tops_up_a_reserve_through_the_pages(client_of, county):
    c = client_of("tez_county")
    r = c.post("/payments/reserves/open/", {"town_code": "370405101", "low_balance_yuan": "10000"}, follow=True)
    assert r.status_code == 200 and "已设立备用金账户" in r.content.decode()
    fund = ReserveFund.objects.get(area_code="370405101000")
    r = c.post(f"/payments/reserves/{fund.pk}/top-up/", {"amount_yuan": "5000", "source": "donation"}, follow=True)
    page = r.content.decode()
    assert r.status_code == 200 and "已拨付备用金" in page and "5,000.00" in page
    home = c.get("/payments/").content.decode()
    assert "备用金账户 · 1个余额不足" in home and "低于预警线" in home


def test_it_shows_a_refused_top_up_as_a_message(client_of, fund):
    r = client_of("tez_county").post(f"/payments/reserves/{fund.pk}/top-up/", {"amount_yuan": "abc"}, follow=True)
    assert r.status_code == 200 and "msg error" in r.content.decode()
    assert actions.reserve_balance(fund) == 5_000_000


def test_it_answers_the_reserve_api_at_its_old_paths(api_of, fund):
    api = api_of("tez_county")
    assert [f["id"] for f in api.get("/api/v1/payments/reserves").json()] == [fund.pk]
    r = api.post(f"/api/v1/payments/reserves/{fund.pk}/top-ups", {"amount_fen": 100}, content_type="application/json")
    assert r.status_code == 201 and r.json()["balance_after_fen"] == 5_000_100
    detail = api.get(f"/api/v1/payments/reserves/{fund.pk}").json()
    assert detail["balance_fen"] == 5_000_100 and len(detail["entries"]) == 2


def test_the_advance_reaches_the_reserve_through_the_case_signal():
    """Issue 15 item 4: applications announce 先行救助 (``advance_paid``); funds pay it from the
    reserve; payments keep no reserve names."""
    from jiuzhu.applications.signals import advance_paid
    from jiuzhu.payments import actions as payments

    assert any(key[0] == "funds.on_advance_paid" for key, *_ in advance_paid.receivers)
    assert not hasattr(payments, "disburse_from_reserve") and not hasattr(payments, "reserve_balance")


def test_the_passbook_exports_and_pages_for_reconciliation(client_of, api_of, fund, world):
    """FND-3: the town's finance staff reconcile the 备用金 with the 专户 statement — the page shows
    the 预警线, the passbook exports to Excel oldest first with numeric amounts, and a system reads
    it a page at a time; another town's staff cannot export it."""
    import io

    from openpyxl import load_workbook  # type: ignore[import-untyped]

    county = world.user("tez_county")
    actions.top_up_reserve(fund, by=county, amount_fen=250_000, source="donation", note="爱心企业捐赠")
    page = client_of("tez_zhangshanzi").get(f"/payments/reserves/{fund.pk}/").content.decode()
    assert 'data-testid="reserve-low-line">10,000.00元<' in page and "导出收支明细" in page
    r = client_of("tez_zhangshanzi").get(f"/payments/reserves/{fund.pk}/entries.xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    rows = [[c.value for c in row] for row in load_workbook(io.BytesIO(r.content)).worksheets[0].iter_rows()]
    assert rows[0] == ["时间", "类型", "金额（元）", "余额（元）", "来源/案件", "说明", "经办"]
    assert [(x[1], x[2], x[3], x[4], x[5]) for x in rows[1:]] == [
        ("拨付", 50_000, 50_000, "财政资金", "台民发〔2026〕1号"),
        ("拨付", 2_500, 52_500, "社会捐赠", "爱心企业捐赠"),
    ]
    assert client_of("tez_jiantouji").get(f"/payments/reserves/{fund.pk}/entries.xlsx").status_code == 404
    api = api_of("tez_county")
    first = api.get(f"/api/v1/payments/reserves/{fund.pk}?page_size=1").json()
    second = api.get(f"/api/v1/payments/reserves/{fund.pk}?page_size=1&page=2").json()
    assert first["entries_count"] == 2
    assert [e["amount_fen"] for e in first["entries"] + second["entries"]] == [250_000, 5_000_000]
