"""The ledger (资金台账) is append-only and its invariants hold after any sequence of actions:
no person is paid twice for the same month and program, the sum of entries is the balance,
reversals never exceed payments (FND-4, FND-16, SUP-11)."""

import contextlib
from collections import defaultdict

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from jiuzhu.core.appendonly import AppendOnlyError
from jiuzhu.core.errors import DomainError
from jiuzhu.payments import actions, queries
from jiuzhu.payments.models import SIGN, BankBatch, LedgerEntry, Roster, add_months
from jiuzhu.payments.tests.conftest import NOV, result_csv

pytestmark = pytest.mark.django_db


def _entry(app, **kw):
    base = {
        "kind": "entitlement",
        "application": app,
        "person_id": app.applicant_id,
        "household_id": app.household_id,
        "program": app.program,
        "area_code": app.area_code,
        "county_code": app.county_code,
        "period": NOV,
        "amount_fen": 1000,
        "reason": "测试",
        "source": "correction",
    }
    return LedgerEntry.objects.create(**{**base, **kw})


def test_it_refuses_to_update_or_delete_an_entry(approved_case):
    entry = _entry(approved_case())
    entry.amount_fen = 1
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_fen=5)
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL")
def test_the_database_refuses_updates_and_deletes_on_postgresql(approved_case):
    entry = _entry(approved_case())
    for sql in ("UPDATE payments_ledgerentry SET amount_fen = 1", "DELETE FROM payments_ledgerentry"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert LedgerEntry.objects.get(pk=entry.pk).amount_fen == 1000


def test_the_database_refuses_a_second_payment_for_the_same_month(approved_case):
    """The unique slot (person, program, month, attempt) makes a double payment impossible."""
    app = approved_case()
    _entry(app, kind="payment", attempt=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        _entry(app, kind="payment", attempt=0)


def test_the_database_refuses_a_second_entitlement_and_a_second_reversal(approved_case):
    app = approved_case()
    _entry(app)
    with pytest.raises(IntegrityError), transaction.atomic():
        _entry(app)
    pay = _entry(app, kind="payment")
    _entry(app, kind="reversal", reverses=pay)
    with pytest.raises(IntegrityError), transaction.atomic():
        _entry(app, kind="reversal", reverses=pay)


class LedgerMachine(RuleBasedStateMachine):
    """Random sequences of the real actions on two cases over several months."""

    county = admin = None
    make_case = None

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.apps = [self.make_case(), self.make_case("涧头集镇")]
        self.month = NOV
        self.files: list[tuple[int, bytes]] = []

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @rule()
    def pay_a_month(self) -> None:
        roster = actions.generate_roster(by=self.county, area_code="370405", month=self.month)
        actions.check_roster(roster, by=self.county)
        actions.request_lock(roster, by=self.county)
        actions.confirm_lock(roster, by=self.admin)
        actions.export_bank_file(roster, by=self.county)
        self.month = add_months(self.month, 1)

    @precondition(lambda self: BankBatch.objects.filter(status="sent").exists())
    @rule(fail=st.lists(st.booleans(), min_size=2, max_size=2))
    def bank_answers(self, fail: list[bool]) -> None:
        batch = BankBatch.objects.filter(status="sent").order_by("id").first()
        refs = list(batch.lines.filter(status="sent").order_by("id").values_list("reference", flat=True))
        data = result_csv(batch, fail={r: "户名不符" for r, f in zip(refs, fail, strict=False) if f})
        data = b"\n".join(
            row
            for row in data.split(b"\r\n")
            if not row or row.startswith("业务编号".encode("gb18030")) or any(row.startswith(r.encode()) for r in refs)
        )
        self.files.append((batch.pk, data))
        actions.import_bank_results(batch, by=self.county, file_name="r.csv", data=data)

    @precondition(lambda self: bool(self.files))
    @rule(i=st.integers(min_value=0, max_value=20))
    def bank_file_again(self, i: int) -> None:
        batch_id, data = self.files[i % len(self.files)]
        with contextlib.suppress(DomainError):  # a contradiction with a later result is refused as a whole
            actions.import_bank_results(
                BankBatch.objects.get(pk=batch_id), by=self.county, file_name="again.csv", data=data
            )

    @precondition(lambda self: Roster.objects.filter(lines__status="failed").exists())
    @rule()
    def reissue(self) -> None:
        roster = Roster.objects.filter(lines__status="failed").first()
        actions.reissue(roster, by=self.county)

    @precondition(lambda self: LedgerEntry.objects.filter(kind="payment", reversals__isnull=True).exists())
    @rule(i=st.integers(min_value=0, max_value=20), partial=st.booleans())
    def bank_returns_money(self, i: int, partial: bool) -> None:
        payments = list(LedgerEntry.objects.filter(kind="payment", reversals__isnull=True).order_by("id"))
        p = payments[i % len(payments)]
        with contextlib.suppress(DomainError):
            actions.reverse_payment(p, by=self.county, reason="退汇", amount_fen=p.amount_fen // 2 if partial else None)

    @precondition(lambda self: LedgerEntry.objects.filter(kind="payment").exists())
    @rule(i=st.integers(min_value=0, max_value=20))
    def someone_tries_to_pay_twice(self, i: int) -> None:
        payments = list(LedgerEntry.objects.filter(kind="payment").order_by("id"))
        p = payments[i % len(payments)]
        try:
            with transaction.atomic():
                LedgerEntry.objects.create(
                    kind="payment",
                    application_id=p.application_id,
                    person_id=p.person_id,
                    household_id=p.household_id,
                    program=p.program,
                    area_code=p.area_code,
                    county_code=p.county_code,
                    period=p.period,
                    amount_fen=p.amount_fen,
                    attempt=p.attempt,
                    reason="重复",
                    source="bank",
                )
        except IntegrityError:
            pass
        else:
            raise AssertionError("a second payment for the same slot was accepted")

    @invariant()
    def nobody_is_paid_twice(self) -> None:
        net: dict[tuple, int] = defaultdict(int)
        for person, program, period, kind in LedgerEntry.objects.filter(kind__in=("payment", "reversal")).values_list(
            "person_id", "program", "period", "kind"
        ):
            net[(person, program, period)] += 1 if kind == "payment" else -1
        assert all(v in (0, 1) for v in net.values()), net

    @invariant()
    def the_balance_is_the_sum_of_entries(self) -> None:
        for app in self.apps:
            entries = LedgerEntry.objects.filter(application=app)
            assert actions.balance(app)["balance"] == sum(SIGN[e.kind] * e.amount_fen for e in entries)
            paid = sum(e.amount_fen for e in entries if e.kind == "payment")
            back = sum(e.amount_fen for e in entries if e.kind == "reversal")
            owed = sum(e.amount_fen for e in entries if e.kind == "entitlement")
            assert 0 <= paid - back <= owed

    @invariant()
    def every_roster_reconciles(self) -> None:
        """FND-13: ledger = roster = bank results after any sequence, partial returns included."""
        for roster in Roster.objects.filter(status__in=("locked", "exported", "settled")):
            rec = queries.reconciliation(roster)
            assert rec["balanced"], rec

    @invariant()
    def reversals_never_exceed_payments(self) -> None:
        for p in LedgerEntry.objects.filter(kind="payment").prefetch_related("reversals"):
            assert sum(r.amount_fen for r in p.reversals.all()) <= p.amount_fen


def test_the_ledger_invariants_hold_after_any_sequence(county, admin, approved_case):
    LedgerMachine.county, LedgerMachine.admin, LedgerMachine.make_case = county, admin, staticmethod(approved_case)
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=8,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
