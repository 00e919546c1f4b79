"""Settings at the city and province level (issue 16 item 2): GOV-3 (each level sets its own
values: 市、省 for their area, nearest wins), GOV-17 (two people, audited; a county cannot
change what the city or province decided). 枣庄市民政局's demo users zz_admin and zz_jiuzhu."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jiuzhu.accounts.models import User
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import Forbidden
from jiuzhu.programs.actions import confirm_change, propose_change
from jiuzhu.programs.engine import parameter_store
from jiuzhu.programs.models import ParameterChange

pytestmark = pytest.mark.django_db
NEXT_YEAR = dt.date(2027, 1, 1)
CHANGE = {
    "name": "dibao.min_per_person",
    "valid_from": "2027-01-01",
    "value": 13000,
    "reason": "全市统一提高保底金额",
    "source": "枣民发〔2026〕X号（测试文件）",
}


def propose_at(user: User, area_code: str) -> ParameterChange:
    return propose_change(
        by=user,
        name="dibao.min_per_person",
        area_code=area_code,
        valid_from=NEXT_YEAR,
        value=13000,
        reason=str(CHANGE["reason"]),
        source=str(CHANGE["source"]),
    )


def post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def province(world: Any) -> tuple[User, User]:
    def make(username: str) -> User:
        return User.objects.create_user(
            username, password="x-Unused-9", full_name=username, role="province_admin", area_id="370000000000"
        )

    return make("sd_admin"), make("sd_jiuzhu")


def test_it_lets_a_city_admin_propose_and_another_confirm_on_the_page(world: Any, client_of: Any) -> None:
    """GOV-3, GOV-17: 枣庄市 (3704) is offered on /parameters/ to its admins; one proposes, the
    other confirms; every county of the city then uses the value, nearest level winning."""
    page = client_of("zz_admin").get("/parameters/").content.decode()
    assert 'value="3704"' in page and "枣庄市" in page
    form = {**CHANGE, "area_code": "3704", "value": "130"}
    response = client_of("zz_admin").post("/parameters/", form)
    assert response.status_code == 302, response.content.decode()
    change = ParameterChange.objects.get()
    assert (change.area_code, change.value, change.proposed_by.username) == ("3704", 13000, "zz_admin")
    client_of("zz_jiuzhu").post(f"/parameters/changes/{change.id}/confirm/")
    change.refresh_from_db()
    assert change.status == "confirmed" and change.decided_by is not None
    assert change.decided_by.username == "zz_jiuzhu"
    in_force = parameter_store().lookup("dibao.min_per_person", "370404", NEXT_YEAR)
    assert (in_force.value, in_force.area) == (13000, "3704")
    assert AuditEntry.objects.filter(action="programs.parameter.confirm").count() == 1


def test_it_lets_a_city_admin_propose_and_confirm_through_the_api(world: Any, api_of: Any) -> None:
    """GOV-3, GOV-17: the same through /api/v1/parameters/changes; the proposer cannot confirm."""
    created = post(api_of("zz_admin"), "/api/v1/parameters/changes", {**CHANGE, "area_code": "3704"})
    assert created.status_code == 201, created.content
    url = f"/api/v1/parameters/changes/{created.json()['id']}/actions/confirm"
    assert post(api_of("zz_admin"), url, {}).json()["code"] == "two_person_rule"
    confirmed = post(api_of("zz_jiuzhu"), url, {})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"


def test_it_lets_province_admins_set_a_province_value(world: Any, province: tuple[User, User]) -> None:
    """GOV-3: 山东省 (37) sets its value; a county without its own value follows it."""
    proposer, confirmer = province
    change = propose_at(proposer, "37")
    confirm_change(change, by=confirmer)
    assert parameter_store().lookup("dibao.min_per_person", "370481", NEXT_YEAR).area == "37"


def test_it_refuses_a_county_user_proposing_a_city_value_with_a_precise_403(world: Any, api_of: Any) -> None:
    """GOV-3: the city's value is the city's; a county user gets 403 naming the level."""
    response = post(api_of("tez_county"), "/api/v1/parameters/changes", {**CHANGE, "area_code": "3704"})
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "level_above"
    assert body["message"] == (
        "“枣庄市”的设置属于市级，台儿庄区的工作人员不能提出或复核上级的设置调整，请由枣庄市民政部门办理"
    )
    assert not ParameterChange.objects.exists()


def test_it_refuses_a_county_user_proposing_a_province_value(world: Any) -> None:
    """GOV-3: the same one level further up."""
    with pytest.raises(Forbidden) as refused:
        propose_at(world.user("tez_admin"), "37")
    assert refused.value.code == "level_above" and "属于省级" in refused.value.message


def test_it_refuses_a_county_user_confirming_a_city_change(world: Any, api_of: Any, client_of: Any) -> None:
    """GOV-17: a county sees the city's pending change (it applies there) but cannot confirm it."""
    change = propose_at(world.user("zz_admin"), "3704")
    url = f"/api/v1/parameters/changes/{change.id}/actions/confirm"
    response = post(api_of("tez_admin"), url, {})
    assert response.status_code == 403 and response.json()["code"] == "level_above"
    client_of("tez_admin").post(f"/parameters/changes/{change.id}/confirm/")
    change.refresh_from_db()
    assert change.status == "proposed" and change.decided_by is None


def test_it_keeps_a_city_admin_out_of_another_city(world: Any) -> None:
    """GOV-3: 枣庄市 cannot set 淄博市's values (outside its jurisdiction: 404 not_found)."""
    from jiuzhu.core.errors import NotFound

    with pytest.raises(NotFound):
        propose_at(world.user("zz_admin"), "370321")


def test_it_lets_a_city_admin_set_a_value_for_one_of_its_counties(world: Any) -> None:
    """GOV-3: below its own level a city admin may act (its subtree)."""
    change = propose_at(world.user("zz_admin"), "370405")
    assert change.area_code == "370405"
