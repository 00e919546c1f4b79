"""应急期 (issue 17 item 6): WF-12 (emergency mode, batch registration), LNK-9 (the 应急 victims
list handed over and matched by ID), PRG-12 (先行救助 and 过渡期生活救助)."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine

from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.funds import actions as funds
from jiuzhu.monitoring import emergency as em
from jiuzhu.monitoring.models import Emergency, EmergencyHousehold
from jiuzhu.registry.pii import unseal
from jiuzhu.web.files import ImportRejected

pytestmark = pytest.mark.django_db
COUNTY, CLERK, JIANTOUJI = "tez_county", "tez_zhangshanzi", "tez_jiantouji"
WHEN = dt.datetime(2026, 7, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def _monday() -> Any:
    with time_machine.travel(WHEN, tick=True):
        yield


def _declare(world: Any, **over: str) -> Emergency:
    data = {
        "name": "洪涝灾害",
        "kind": "flood",
        "area_code": "370405101",
        "starts_on": "2026-07-06",
        "planned_end_on": "2026-08-05",
        "source_document": "区自然灾害救助应急预案",
        **over,
    }
    return em.declare_emergency(data, by=world.user(COUNTY))


def _csv(*ids: str, header: str = "姓名,身份证号码") -> bytes:
    return (header + "\n" + "".join(f"某,{i}\n" for i in ids)).encode("utf-8")


def _head_id(household: Any) -> str:
    return unseal("id_number", household.members.get(relation="self").id_number_enc)


def test_wf12_only_the_county_declares_with_a_valid_kind_area_and_period(world):
    with pytest.raises(Forbidden):
        em.declare_emergency({"name": "x"}, by=world.user(CLERK))
    with pytest.raises(InvalidInput) as bad_kind:
        _declare(world, kind="meteor")
    assert bad_kind.value.field == "kind"
    with pytest.raises(InvalidInput) as bad_area:
        _declare(world, area_code="370481101")  # another county's town
    assert bad_area.value.field == "area_code"
    with pytest.raises(InvalidInput) as bad_period:
        _declare(world, planned_end_on="2026-07-01")
    assert bad_period.value.field == "planned_end_on"
    e = _declare(world)
    assert e.advance_fen == 100000 and e.settings_sources["emergency.transition_months"]["value"] == 3
    with pytest.raises(DomainError) as twice:
        _declare(world, name="又一次")
    assert twice.value.code == "emergency_active"
    row = AuditEntry.objects.get(action="monitoring.emergency.declare")
    assert row.changes["kind"] == "flood" and row.changes["area_code"] == "370405101000"


def test_lnk9_a_file_with_wrong_columns_is_refused_and_nothing_is_loaded(world, household_in):
    e = _declare(world)
    h = household_in("张山子镇")
    with pytest.raises(ImportRejected) as exc:
        em.import_victims(e, "名单.csv", _csv(_head_id(h), header="姓名,证件号"), by=world.user(CLERK))
    assert exc.value.code == "invalid_header" and "身份证号码" in exc.value.message
    with pytest.raises(ImportRejected) as empty:
        em.import_victims(e, "名单.csv", _csv(), by=world.user(CLERK))
    assert empty.value.code == "empty_file"
    assert not EmergencyHousehold.objects.exists() and e.imports == []


def test_lnk9_a_county_wide_period_lets_each_town_list_only_its_own_people(world, household_in, api_of):
    e = _declare(world, area_code="")
    own, other = household_in("张山子镇"), household_in("涧头集镇")
    with pytest.raises(ImportRejected) as exc:
        em.import_victims(e, "名单.csv", _csv(_head_id(own), _head_id(other)), by=world.user(CLERK))
    assert [r.row for r in exc.value.rows] == [3] and "管辖范围" in exc.value.rows[0].message
    em.import_victims(e, "a.csv", _csv(_head_id(own)), by=world.user(CLERK))
    em.import_victims(e, "b.csv", _csv(_head_id(other)), by=world.user(JIANTOUJI))
    again = em.import_victims(e, "c.csv", _csv(_head_id(own)), by=world.user(CLERK))
    assert (again.loaded, again.already) == (0, 1)
    # each town sees the period and only its own households in the report
    town = api_of(CLERK).get(f"/api/v1/monitoring/emergencies/{e.pk}/report").json()
    assert [i["household_id"] for i in town["items"]] == [own.pk]
    county = api_of(COUNTY).get(f"/api/v1/monitoring/emergencies/{e.pk}/report").json()
    assert county["households"] == 2


def test_a_town_does_not_see_another_towns_period(world, api_of):
    e = _declare(world)
    assert api_of(JIANTOUJI).get("/api/v1/monitoring/emergencies").json()["count"] == 0
    assert api_of(JIANTOUJI).get(f"/api/v1/monitoring/emergencies/{e.pk}/report").status_code == 404
    with pytest.raises(NotFound):
        em.import_victims(e, "a.csv", _csv("x"), by=world.user(JIANTOUJI))


def test_prg12_a_short_reserve_refuses_the_whole_batch_cleanly(world, household_in, api_of):
    county = world.user(COUNTY)
    fund = funds.open_reserve(by=county, town_code="370405101")
    funds.top_up_reserve(fund, by=county, amount_fen=150000)  # one household's worth, not two
    e = _declare(world)
    a, b = household_in("张山子镇"), household_in("张山子镇")
    em.import_victims(e, "a.csv", _csv(_head_id(a), _head_id(b)), by=world.user(CLERK))
    r = api_of(CLERK).post(
        f"/api/v1/monitoring/emergencies/{e.pk}/actions/relieve", "{}", content_type="application/json"
    )
    assert r.status_code == 409 and r.json()["code"] == "reserve_insufficient"
    assert "1,500.00" in r.json()["message"] or "1500" in r.json()["message"]
    assert funds.reserve_balance(fund) == 150000
    assert not EmergencyHousehold.objects.filter(application__isnull=False).exists()
    from jiuzhu.applications.models import Application

    assert not Application.objects.filter(household__in=[a, b]).exists()
    # a shorter batch the reserve covers goes through
    done = em.pay_advance_relief(e, by=world.user(CLERK), limit=1)
    assert [r.household_id for r in done] == [min(a.pk, b.pk)] and funds.reserve_balance(fund) == 50000


def test_prg12_transition_aid_stops_after_the_countys_number_of_months(world, household_in, api_of):
    county = world.user(COUNTY)
    fund = funds.open_reserve(by=county, town_code="370405101")
    funds.top_up_reserve(fund, by=county, amount_fen=1_000_000)
    e = _declare(world)
    h = household_in("张山子镇")
    em.import_victims(e, "a.csv", _csv(_head_id(h)), by=world.user(CLERK))
    with pytest.raises(InvalidInput):
        em.pay_advance_relief(e, by=world.user(CLERK), limit=-1)
    em.pay_advance_relief(e, by=world.user(CLERK))
    for month in ("2026-07", "2026-08", "2026-09"):
        assert em.pay_transition_month(e, by=county, month=month) == 1
    with pytest.raises(DomainError) as done:
        em.pay_transition_month(e, by=county, month="2026-10")
    assert done.value.code == "transition_done"
    with pytest.raises(InvalidInput):
        em.pay_transition_month(e, by=county, month="七月")
    row = EmergencyHousehold.objects.get()
    assert (row.transition_months_paid, row.transition_fen) == (3, 180000)
    r = api_of(COUNTY).post(
        f"/api/v1/monitoring/emergencies/{e.pk}/actions/end",
        json.dumps({"note": "结束"}),
        content_type="application/json",
    )
    assert r.status_code == 200
    e.refresh_from_db()
    assert e.report["transition_fen"] == 180000 and e.report["relieved"] == 1
    with pytest.raises(DomainError) as ended:
        em.pay_advance_relief(e, by=world.user(CLERK))
    assert ended.value.code == "emergency_ended"


def test_pages_declare_upload_and_show_the_report(world, household_in, client_of):
    county = client_of(COUNTY)
    page = county.get("/monitoring/emergencies/")
    assert page.status_code == 200 and "启动应急期" in page.content.decode()
    r = county.post(
        "/monitoring/emergencies/",
        {
            "name": "地震",
            "kind": "earthquake",
            "area_code": "370405101",
            "starts_on": "2026-07-06",
            "planned_end_on": "2026-07-20",
            "source_document": "预案",
        },
    )
    e = Emergency.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/monitoring/emergencies/{e.pk}/")
    h = household_in("张山子镇")
    f = io.BytesIO(_csv(_head_id(h)))
    f.name = "名单.csv"
    clerk = client_of(CLERK)
    r = clerk.post(f"/monitoring/emergencies/{e.pk}/victims/", {"file": f}, follow=True)
    text = r.content.decode()
    assert "新增受灾户1户" in text and _head_id(h) not in text
    assert "declare-emergency" not in clerk.get("/monitoring/emergencies/").content.decode()
    assert clerk.get(f"/monitoring/emergencies/{e.pk}/report.xlsx").content[:2] == b"PK"
    assert client_of(JIANTOUJI).get(f"/monitoring/emergencies/{e.pk}/").status_code == 404


def test_the_emergency_page_tells_the_county_s_own_clock(world, client_of):
    """The 应急期 page's summary gives the hours of 先行救助 and the days of 补办登记 the county
    set (dated settings), not numbers written in the page."""
    from jiuzhu.applications.tests.support import use_setting

    use_setting("procedure.emergency_register_days", 3)
    county = client_of("tez_county")
    page = county.get("/monitoring/emergencies/").content.decode()
    assert "24小时内从镇（街道）临时救助备用金先行救助，3个工作日内补办登记" in page
    e = _declare(world)
    page = county.get(f"/monitoring/emergencies/{e.pk}/").content.decode()
    assert "（3个工作日内补办登记）" in page
