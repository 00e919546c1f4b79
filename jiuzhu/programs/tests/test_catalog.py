"""救助项目库 (PRG-1 … PRG-21): every program of the seeds, with department, target group,
documents, legal basis and procedure; synchronised idempotently from catalog.yaml."""

import pytest

from jiuzhu.programs.catalog import DEPARTMENT_NAMES, load_entries, sync_catalog
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.rules import PROGRAMS

pytestmark = pytest.mark.django_db

KEYS = {
    "code",
    "name",
    "layer",
    "department",
    "engine_program",
    "target_group",
    "conditions",
    "benefits",
    "documents",
    "legal_basis",
    "procedure",
    "time_limit_working_days",
    "approval_level",
    "referral",
    "requirements",
    "seeds",
}


def test_every_entry_is_complete():
    entries = load_entries()
    assert len({e["code"] for e in entries}) == len(entries) >= 25
    for e in entries:
        assert set(e) >= KEYS, e["code"]
        assert e["department"] in DEPARTMENT_NAMES, e["code"]
        assert e["layer"] in {"basic", "special", "emergency", "social"}, e["code"]
        assert e["documents"] and e["legal_basis"] and (e["seeds"] or e["requirements"]), e["code"]


def test_the_four_layers_of_prg_1_are_present():
    layers = {e["layer"] for e in load_entries()}
    assert layers == {"basic", "special", "emergency", "social"}


def test_every_engine_program_is_in_the_catalog():
    engine = {e["engine_program"] for e in load_entries() if e["engine_program"]}
    assert engine == set(PROGRAMS)


def test_sync_is_idempotent():
    assert sync_catalog() > 0
    assert sync_catalog() == 0
    assert AssistanceProgram.objects.filter(referral=True).exists()


def test_the_catalog_page_and_api(client_of, api_of):
    sync_catalog()
    page = client_of("tez_zhangshanzi").get("/programs/").content.decode()
    assert "最低生活保障" in page and "医疗救助" in page
    data = api_of("tez_yibao").get("/api/v1/programs", {"department": "yibao"}).json()
    assert data and all(p["department_code"] == "yibao" for p in data)
    first = data[0]["code"]
    assert api_of("tez_yibao").get(f"/api/v1/programs/{first}").json()["department_name"] == "医疗保障局"
    assert client_of("tez_zhangshanzi").get(f"/programs/{first}/").status_code == 200
