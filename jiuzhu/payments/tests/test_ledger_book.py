"""One way into the ledger (issue 15 item 1): ``ledger.book`` checks kind, source and amount, and
no action builds a ledger row by hand."""

import ast
from pathlib import Path

import pytest

from jiuzhu.core.errors import InvalidInput
from jiuzhu.payments import ledger

pytestmark = pytest.mark.django_db

PAYMENTS = Path(__file__).resolve().parents[1]


def test_only_the_ledger_module_creates_entries():
    offenders = []
    for path in PAYMENTS.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts or path.name == "ledger.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = ast.unparse(node) if isinstance(node, ast.Call) else ""
            if text.startswith(("LedgerEntry.objects.create", "LedgerEntry(", "insert_rows(LedgerEntry")):
                offenders.append(f"{path.name}: {text[:60]}")
    assert offenders == []


def test_book_refuses_zero_negative_and_unknown_kinds(world, approved_case):
    app = approved_case()
    party = ledger.Party.of_application(app)
    with pytest.raises(InvalidInput):
        ledger.book("payment", party, by=world.user("tez_county"), amount_fen=0, reason="x", source="bank")
    with pytest.raises(InvalidInput):
        ledger.book("payment", party, by=world.user("tez_county"), amount_fen=-5, reason="x", source="bank")
    with pytest.raises(ValueError):
        ledger.book("gift", party, by=world.user("tez_county"), amount_fen=5, reason="x", source="bank")
    entry = ledger.book(
        "adjustment", party, by=world.user("tez_county"), amount_fen=-500, reason="调" * 300, source="correction"
    )
    assert entry.amount_fen == -500 and len(entry.reason) == 200 and entry.created_by == world.user("tez_county")
