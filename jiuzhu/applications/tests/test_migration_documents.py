"""Migration ``applications.0011_documents_as_settings`` (issue 16 item 1; GOV-8, GOV-19): each
county's old 办理流程配置 row becomes confirmed dated settings with the source
“迁移自原办理流程配置”; values equal to the shipped demo values are left to the file."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("applications", "0010_workflow_changes")]
AFTER = [("applications", "0011_documents_as_settings")]


@pytest.mark.django_db(transaction=True)
def test_it_moves_each_county_s_row_into_confirmed_settings() -> None:
    try:
        _moves_each_row()
    finally:  # going back unapplied the apps that depend on applications: bring every app back
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def _moves_each_row() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Config = old.get_model("applications", "ProcedureConfig")
    Config.objects.create(
        county_code="370403",
        notice_prefix="薛民救",
        issuer_name="薛城区民政局",
        remedy_review_body="薛城区人民政府",
        remedy_court="薛城区人民法院",
    )
    # Going back re-created the demo counties' rows from the shipped values; one changed its court.
    assert set(Config.objects.values_list("county_code", flat=True)) >= {"370405", "370404", "370481", "370321"}
    Config.objects.filter(county_code="370405").update(remedy_court="枣庄市中区人民法院")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Change = new.get_model("programs", "ParameterChange")
    moved = {(c.area_code, c.name): c for c in Change.objects.all()}
    assert {k for k in moved if k[0] != "370403"} == {("370405", "documents.remedy_court")}
    assert moved[("370405", "documents.remedy_court")].value == "枣庄市中区人民法院"
    xc = {name: c for (area, name), c in moved.items() if area == "370403"}
    assert set(xc) == {
        "documents.notice_prefix",
        "documents.issuer_name",
        "documents.remedy_review_body",
        "documents.remedy_court",
    }
    issuer = xc["documents.issuer_name"]
    assert (issuer.value, issuer.status, issuer.source, issuer.valid_from) == (
        "薛城区民政局",
        "confirmed",
        "迁移自原办理流程配置",
        dt.date(2020, 1, 1),
    )
    system = new.get_model("accounts", "User").objects.get(pk=issuer.proposed_by_id)
    assert (system.username, system.is_active, issuer.decided_by_id) == ("system", False, system.pk)
    assert "ProcedureConfig" not in {m.__name__ for m in new.get_app_config("applications").get_models()}
