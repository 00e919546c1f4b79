"""Dated parameters with two-person approval (STD-3, STD-10, STD-11)."""

import datetime as dt
import json

import pytest

from jiuzhu.audit.models import AuditEntry
from jiuzhu.programs.actions import confirm_change, propose_change, reject_change
from jiuzhu.programs.models import ParameterChange

pytestmark = pytest.mark.django_db
FAMILY = {"members": [{"age": 70, "relation": "self"}]}


def evaluate(client, date="2027-02-01"):
    body = {"area_code": "370405101201", "date": date, "programs": ["dibao"], "household": FAMILY}
    return client.post("/api/v1/eligibility/evaluate", json.dumps(body), content_type="application/json").json()


def propose(world, value=90000, valid_from=dt.date(2027, 1, 1), user="tez_county"):
    return propose_change(
        by=world.user(user),
        name="dibao.standard.rural",
        area_code="370405",
        valid_from=valid_from,
        value=value,
        reason="2027年度标准调整",
        source="台政字〔2026〕99号（测试）",
    )


def test_a_change_takes_effect_only_after_a_second_person_confirms(world, api_of):
    client = api_of("tez_county")
    before = evaluate(client)["dibao"]["monthly_amount_fen"]
    change = propose(world)
    assert evaluate(client)["dibao"]["monthly_amount_fen"] == before
    confirm_change(change, by=world.user("tez_admin"))
    after = evaluate(client)
    assert after["dibao"]["monthly_amount_fen"] == 90000
    used = {p["name"]: p for p in after["dibao"]["trace"]["parameters"]}["dibao.standard.rural"]
    assert used["valid_from"] == "2027-01-01" and "台政字〔2026〕99号" in used["source"]


def test_a_change_never_rewrites_a_past_date(world, api_of):
    client = api_of("tez_county")
    before = evaluate(client, date="2026-06-01")["dibao"]
    confirm_change(propose(world), by=world.user("tez_admin"))
    after = evaluate(client, date="2026-06-01")["dibao"]
    assert after["monthly_amount_fen"] == before["monthly_amount_fen"]
    assert after["trace"]["parameters"] == before["trace"]["parameters"]
    assert after["trace"]["parameters_digest"] != before["trace"]["parameters_digest"]  # names the parameter set


def test_the_proposer_cannot_confirm(world):
    from jiuzhu.core.errors import DomainError

    change = propose(world)
    with pytest.raises(DomainError) as exc:
        confirm_change(change, by=world.user("tez_county"))
    assert exc.value.code == "two_person_rule"


def test_a_town_clerk_may_not_propose(world):
    from jiuzhu.core.errors import Forbidden

    with pytest.raises(Forbidden):
        propose(world, user="tez_zhangshanzi")


def test_another_county_is_out_of_reach(world):
    """One scope rule (issue 15 item 3): outside the jurisdiction is 404 ``not_found``."""
    from jiuzhu.core.errors import NotFound

    with pytest.raises(NotFound) as exc:
        propose_change(
            by=world.user("tez_county"),
            name="dibao.standard.rural",
            area_code="370404",
            valid_from=dt.date(2027, 1, 1),
            value=1,
            reason="x",
            source="y",
        )
    assert exc.value.code == "not_found" and exc.value.field == "area_code"


def test_the_tekun_multiplier_cannot_go_below_seed_003(world):
    """STD-3: 特困 ≥ 1.3 × rural 低保标准."""
    from jiuzhu.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        propose_change(
            by=world.user("tez_county"),
            name="tekun.basic_multiplier.rural",
            area_code="370405",
            valid_from=dt.date(2027, 1, 1),
            value="1.2",
            reason="x",
            source="y",
        )
    assert exc.value.code == "below_minimum"


def test_a_wrongly_typed_value_is_refused(world):
    from jiuzhu.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        propose(world, value="九百元")
    assert exc.value.field == "value"


def test_rejection_needs_a_note_and_is_audited(world):
    from jiuzhu.core.errors import InvalidInput

    change = propose(world)
    with pytest.raises(InvalidInput):
        reject_change(change, by=world.user("tez_admin"), note="")
    reject_change(change, by=world.user("tez_admin"), note="依据文件未印发")
    assert ParameterChange.objects.get().status == "rejected"
    actions = list(AuditEntry.objects.filter(action__startswith="programs.parameter").values_list("action", flat=True))
    assert actions == ["programs.parameter.propose", "programs.parameter.reject"]


def test_the_api_proposes_and_confirms(api_of):
    body = {
        "name": "dibao.min_per_person",
        "area_code": "370405",
        "valid_from": "2027-01-01",
        "value": 12000,
        "reason": "提高保底",
        "source": "测试文件",
    }
    r = api_of("tez_county").post("/api/v1/parameters/changes", json.dumps(body), content_type="application/json")
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    same = api_of("tez_county").post(
        f"/api/v1/parameters/changes/{cid}/actions/confirm", "{}", content_type="application/json"
    )
    assert same.status_code == 409 and same.json()["code"] == "two_person_rule"
    ok = api_of("tez_admin").post(
        f"/api/v1/parameters/changes/{cid}/actions/confirm", "{}", content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    listed = api_of("tez_county").get("/api/v1/parameters", {"area_code": "370405", "date": "2027-02-01"}).json()
    assert {p["name"]: p for p in listed}["dibao.min_per_person"]["value"] == 12000


def test_the_page_lists_values_and_lets_another_user_confirm(client_of, world):
    page = client_of("tez_county").get("/parameters/").content.decode()
    assert "dibao.standard.rural" in page
    r = client_of("tez_county").post(
        "/parameters/",
        {
            "name": "dibao.standard.rural",
            "area_code": "370405",
            "valid_from": "2027-01-01",
            "value": "900",
            "source": "台政字〔2026〕99号",
            "reason": "年度调整",
        },
    )
    assert r.status_code == 302
    change = ParameterChange.objects.get()
    assert change.value == 90000
    client_of("tez_admin").post(f"/parameters/changes/{change.id}/confirm/")
    change.refresh_from_db()
    assert change.status == "confirmed" and change.decided_by.username == "tez_admin"


def test_the_standard_helper_proposes_next_years_standard(api_of):
    """STD-1: 25–35 % (urban) of last year's per-capita consumption."""
    body = {"area_code": "370405", "year": 2027, "consumption_per_capita_fen": 3_000_000, "urban": True}
    r = api_of("tez_county").post(
        "/api/v1/parameters/standards/propose", json.dumps(body), content_type="application/json"
    )
    assert r.status_code == 200, r.content
    data = r.json()
    assert data["low_fen"] <= data["formula_fen"] <= data["high_fen"]
    assert data["monthly_fen"] >= data["formula_fen"]


def test_no_parameter_speaks_english_to_staff_or_families():
    """Issue 14 items 8 and 9: sources and descriptions of the parameters reach the 救助标准
    page and the notices' 计算依据; they are Chinese citations, not developer notes."""
    import re

    from jiuzhu.rules.parameters import ParameterStore, display_value

    store = ParameterStore.from_directory()
    leaks = []
    for name in store.names():
        definition = store.definition(name)
        if re.search(r"[A-Za-z]", definition.description):
            leaks.append(f"{name}: {definition.description}")
        for versions in definition.versions.values():
            for v in versions:
                if re.search(r"[A-Za-z]", v.source):
                    leaks.append(f"{name}: {v.source}")
                shown = display_value(v.value, definition.unit)
                if re.search(r"True|False|[A-Za-z_]{2,}|\d分", shown):
                    leaks.append(f"{name}: {shown}")
    assert leaks == []
