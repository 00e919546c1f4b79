"""Editing a person registered without an ID (INT-24, issue 17 leftovers): the page and the API
edit his other facts without validating an ID number he does not have; an ID number given
here is refused (API) or not offered (page), pointing to 认定身份 on the field report, which
merges the temporary record and its cases into the real person's."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiuzhu.registry.actions import register_unidentified
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

pytestmark = pytest.mark.django_db
BEILUO = "370405101201"  # 北洛村
TEMP = "LS-370405-20261204-0001"
JSON = "application/json"


@pytest.fixture
def stranger(world: Any) -> Person:
    return register_unidentified(
        by=world.user("tez_beiluo"),
        area_code=BEILUO,
        temp_number=TEMP,
        name="王某",
        gender="M",
        birth_date=dt.date(1976, 1, 1),
        address="北洛村桥洞",
    )


def _unchanged_identity(person: Person) -> None:
    person.refresh_from_db()
    assert person.temp_number == TEMP and person.id_number_masked == TEMP
    assert unseal("id_number", person.id_number_enc) == TEMP


def test_it_edits_an_unidentified_person_on_the_page_without_an_id_number(
    client_of: Any, new_id: Any, stranger: Person
) -> None:
    c = client_of("tez_beiluo")
    url = f"/persons/{stranger.pk}/edit/"
    page = c.get(url).content.decode()
    assert 'data-testid="unidentified-note"' in page and TEMP in page and "认定身份" in page
    assert "/monitoring/field-reports/" in page
    form = {
        "name": "王大山",
        "id_number": new_id(age=50),  # posted anyway (a crafted form): never taken from this page
        "relation": "self",
        "labour_capacity": "partial",
        "health_status": "chronic",
        "school_status": "none",
        "version": stranger.version,
    }
    r = c.post(url, form)
    assert r.status_code == 302, r.content.decode()
    stranger.refresh_from_db()
    assert stranger.name == "王大山" and stranger.labour_capacity == "partial"
    _unchanged_identity(stranger)


def test_it_edits_an_unidentified_person_through_the_api(api_of: Any, stranger: Person) -> None:
    api = api_of("tez_beiluo")
    url = f"/api/v1/persons/{stranger.pk}"
    for body in ({"name": "王大山", "id_number": ""}, {"id_number": None, "health_status": "chronic"}):
        r = api.patch(url, body, content_type=JSON)
        assert r.status_code == 200, r.content.decode()
    r = api.patch(url, {"id_number": TEMP, "labour_capacity": "partial"}, content_type=JSON)  # his own, sent back
    assert r.status_code == 200, r.content.decode()
    assert r.json()["id_number_masked"] == TEMP and r.json()["name"] == "王大山"
    stranger.refresh_from_db()
    assert (stranger.health_status, stranger.labour_capacity) == ("chronic", "partial")
    _unchanged_identity(stranger)


def test_an_id_number_for_him_is_given_by_matching_the_identity_not_by_an_edit(
    api_of: Any, new_id: Any, stranger: Person
) -> None:
    version = Person.objects.get(pk=stranger.pk).version
    r = api_of("tez_beiluo").patch(
        f"/api/v1/persons/{stranger.pk}", {"id_number": new_id(age=50), "name": "王大山"}, content_type=JSON
    )
    assert r.status_code == 422, r.content.decode()
    body = r.json()
    assert body["code"] == "use_match_identity" and "认定身份" in body["message"] and TEMP in body["message"]
    stranger.refresh_from_db()
    assert stranger.name == "王某" and stranger.version == version
    _unchanged_identity(stranger)
