"""Hash-chained, append-only audit log (SUP-9 环环有痕迹、步步能倒查)."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from jiuzhu.audit.log import record, verify_chain
from jiuzhu.audit.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def raw_update(sql, params):
    """Tamper as a database administrator would, bypassing the model (and the PG trigger)."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")


def test_each_row_links_to_the_previous(household_in):
    household_in("张山子镇")
    household_in("张山子镇")
    rows = list(AuditEntry.objects.filter(chain="370405").order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert verify_chain() == (len(AuditEntry.objects.all()), None, "")


def test_the_command_passes_on_an_intact_chain(household_in, capsys):
    household_in("张山子镇")
    call_command("verify_audit_chain")
    assert "完好" in capsys.readouterr().out


def test_the_command_names_the_first_tampered_row(household_in):
    household_in("张山子镇")
    household_in("张山子镇")
    household_in("张山子镇")
    victim = AuditEntry.objects.filter(chain="370405").order_by("seq")[1]
    raw_update("UPDATE audit_auditentry SET actor_name = %s WHERE id = %s", ["某人", victim.id])
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_chain")
    assert f"第 {victim.seq} 条" in str(exc.value) and "篡改" in str(exc.value)


def test_the_command_notices_a_deleted_row(household_in):
    for _ in range(3):
        household_in("张山子镇")
    victim = AuditEntry.objects.filter(chain="370405").order_by("seq")[1]
    raw_update("DELETE FROM audit_auditentry WHERE id = %s", [victim.id])
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_chain")
    assert f"第 {victim.seq + 1} 条" in str(exc.value)


def test_the_command_notices_a_deleted_last_row(household_in):
    for _ in range(2):
        household_in("张山子镇")
    last = AuditEntry.objects.filter(chain="370405").order_by("-seq")[0]
    raw_update("DELETE FROM audit_auditentry WHERE id = %s", [last.id])
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")


def test_the_model_refuses_updates_and_deletes(household_in):
    household_in("张山子镇")
    entry = AuditEntry.objects.first()
    entry.action = "changed"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()


def test_raw_updates_are_refused_on_postgresql_and_detected_on_sqlite(household_in):
    from django.db.utils import DatabaseError

    household_in("张山子镇")
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE audit_auditentry SET action = 'x'")
        assert verify_chain()[2] == ""
    else:
        with connection.cursor() as cur:
            cur.execute("UPDATE audit_auditentry SET action = 'x'")
        assert verify_chain()[2] != ""


@pytest.mark.django_db(transaction=True)
def test_record_refuses_to_run_outside_a_transaction(world):
    with pytest.raises(RuntimeError):
        record(None, "x")


def test_a_failed_action_leaves_no_audit_row(world, new_id):
    from jiuzhu.core.errors import DomainError
    from jiuzhu.registry.actions import create_household

    before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        create_household(
            world.user("tez_zhangshanzi"),
            area_code="370405101201",
            address="x",
            members=[{"name": "张三", "id_number": "bad", "relation": "self"}],
        )
    assert AuditEntry.objects.count() == before


def test_the_audit_page_is_for_supervisors_only(client_of, household_in):
    household_in("张山子镇")
    assert client_of("tez_zhangshanzi").get("/audit/").status_code == 403
    page = client_of("tez_viewer").get("/audit/")
    assert page.status_code == 200 and "registry.household.create" in page.content.decode()


def test_the_audit_page_of_another_county_is_empty(client_of, household_in):
    household_in("张山子镇")
    page = client_of("yc_county").get("/audit/")
    assert "registry.household.create" not in page.content.decode()
