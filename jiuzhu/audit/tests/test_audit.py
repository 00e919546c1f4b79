"""Hash-chained, append-only audit log (SUP-9 环环有痕迹、步步能倒查)."""

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from jiuzhu.audit import triggers
from jiuzhu.audit.log import record, verify_chain, write_anchors
from jiuzhu.audit.models import AppendOnlyError, AuditEntry

pytestmark = pytest.mark.django_db


def raw_update(sql, params=()):
    """Tamper as a database administrator would, bypassing the model and the triggers."""
    with connection.cursor() as cur:
        triggers.drop(cur, connection.vendor)
        cur.execute(sql, params)
        triggers.create(cur, connection.vendor)


@pytest.fixture(autouse=True)
def anchor_file(settings, tmp_path):
    settings.AUDIT_ANCHOR_FILE = tmp_path / "anchors.jsonl"
    return settings.AUDIT_ANCHOR_FILE


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


def test_raw_updates_and_deletes_are_refused_by_the_database(household_in):
    """Issue 19 item 6: append-only on SQLite too, not only on PostgreSQL (SUP-9)."""
    from django.db.utils import DatabaseError

    household_in("张山子镇")
    for sql in ("UPDATE audit_auditentry SET action = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert verify_chain()[2] == ""


def _recompute_with_sha256(chain):
    """What someone with database access but without the key would do: rebuild every hash."""
    import hashlib
    import json

    prev = "0" * 64
    for entry in AuditEntry.objects.filter(chain=chain).order_by("seq"):
        content = {**entry.content(), "prev_hash": prev}
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        new = hashlib.sha256(canonical.encode()).hexdigest()
        raw_update("UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE id = %s", [prev, new, entry.id])
        prev = new
    raw_update("UPDATE audit_auditchainhead SET last_hash = %s WHERE chain = %s", [prev, chain])


def test_a_chain_recomputed_without_the_key_is_detected(household_in):
    household_in("张山子镇")
    victim = AuditEntry.objects.filter(chain="370405").order_by("seq").first()
    raw_update("UPDATE audit_auditentry SET actor_name = %s WHERE id = %s", ["某人", victim.id])
    _recompute_with_sha256("370405")
    _, bad, reason = verify_chain()
    assert bad is not None and bad.seq == 1 and "重新计算" in reason


def test_a_deleted_tail_with_its_head_rewound_is_detected_by_the_anchor(household_in, anchor_file, capsys):
    for _ in range(3):
        household_in("张山子镇")
    call_command("anchor_audit_chain")
    assert "链头锚点" in capsys.readouterr().out
    last = AuditEntry.objects.filter(chain="370405").order_by("-seq")[0]
    raw_update("DELETE FROM audit_auditentry WHERE id = %s", [last.id])
    previous = AuditEntry.objects.get(chain="370405", seq=last.seq - 1)
    raw_update(
        "UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s WHERE chain = %s",
        [previous.seq, previous.hash, "370405"],
    )
    with pytest.raises(CommandError) as exc:
        call_command("verify_audit_chain")
    assert f"链外锚点已记录到第 {last.seq} 条" in str(exc.value)


def test_the_anchor_file_itself_is_keyed(household_in, anchor_file):
    household_in("张山子镇")
    write_anchors()
    assert verify_chain()[2] == ""
    anchor_file.write_text(anchor_file.read_text().replace('"seq": ', '"seq": 1'))
    assert "锚点文件第 1 行校验失败" in verify_chain()[2]


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
            by=world.user("tez_zhangshanzi"),
            area_code="370405101201",
            address="x",
            members=[{"name": "张三", "id_number": "bad", "relation": "self"}],
        )
    assert AuditEntry.objects.count() == before


def test_the_audit_page_is_for_supervisors_only(client_of, household_in):
    household_in("张山子镇")
    assert client_of("tez_zhangshanzi").get("/audit/").status_code == 403
    page = client_of("tez_viewer").get("/audit/")
    assert page.status_code == 200 and "登记家庭" in page.content.decode()  # the entry, by its name (issue 14 item 9)


def test_the_audit_page_of_another_county_is_empty(client_of, household_in):
    household_in("张山子镇")
    page = client_of("yc_county").get("/audit/")
    assert "登记家庭" not in page.content.decode()
