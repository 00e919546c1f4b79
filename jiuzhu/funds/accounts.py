"""Append-only accounts (passbooks): the town reserve (临时救助备用金, FND-2/FND-3) and the charity
fund (慈善救助资金, FND-15) keep their money the same way, here once.

An account is a row (``ReserveFund``, ``CharityAccount``); its passbook is a model built on
``AccountEntry`` whose foreign key to the account is named by ``account_field`` and answers to
``account.entries``. Entries are never changed or deleted (``jiuzhu.core.appendonly``); each
carries the balance after it, so the balance is the running sum of the entries and reading it is
one indexed row. ``post_entry`` is the only way an entry is written: it locks the account row,
reads the balance, refuses a debit beyond it, and writes the entry with its new balance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.scope import AreaScopedQuerySet
from jiuzhu.accounts.system import SystemActor, user_or_none
from jiuzhu.core.appendonly import AppendOnly, AppendOnlyModel
from jiuzhu.core.errors import DomainError
from jiuzhu.core.money import format_yuan


class AccountEntryQuerySet(AppendOnly, AreaScopedQuerySet):
    """A passbook's rows: append-only, read through ``visible_to(user)``."""


class AccountEntry(AppendOnlyModel):
    """One entry of an account's passbook (收支明细). The concrete model adds the foreign key to
    its account (``related_name="entries"``, named by ``account_field``) and its ``kind``."""

    account_field: ClassVar[str]

    amount_fen = models.BigIntegerField("金额（分）")
    balance_after_fen = models.BigIntegerField("余额（分）")
    application = models.ForeignKey(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(max_length=12)
    note = models.CharField("说明", max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = AccountEntryQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["id"]


E = TypeVar("E", bound=AccountEntry)


def balance(account: models.Model) -> int:
    """The account's balance: the balance after its last entry (0 before the first)."""
    entries: Any = getattr(account, "entries")  # noqa: B009 — the reverse accessor of every passbook
    last = entries.order_by("-id").values_list("balance_after_fen", flat=True).first()
    return int(last or 0)


def insufficient(current: int, amount_fen: int) -> DomainError:
    return DomainError("insufficient", f"余额不足：当前余额{format_yuan(current)}，本次支出{format_yuan(amount_fen)}")


def post_entry(
    entry_model: type[E],
    account: models.Model,
    *,
    by: User | SystemActor | None,
    kind: str,
    amount_fen: int,
    debit: bool = False,
    refuse: Callable[[int, int], DomainError] = insufficient,
    **fields: Any,
) -> E:
    """Write one entry on ``account``'s passbook, in the caller's transaction: the account row is
    locked (two clerks, one balance), a debit beyond the balance is refused with
    ``refuse(balance, amount_fen)``, and the entry carries the balance after it. ``area_code``
    is the account's unless given; the entry's account is the locked row (``entry.<account_field>``)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("post_entry() must be called inside transaction.atomic()")
    locked = type(account)._default_manager.select_for_update().get(pk=account.pk)
    current = balance(locked)
    if debit and amount_fen > current:
        raise refuse(current, amount_fen)
    values: dict[str, Any] = {
        entry_model.account_field: locked,
        "kind": kind,
        "amount_fen": amount_fen,
        "balance_after_fen": current - amount_fen if debit else current + amount_fen,
        "area_code": getattr(locked, "area_code"),  # noqa: B009 — every account has one
        "created_by": user_or_none(by),
        **fields,
    }
    entry = entry_model(**values)
    entry.save(force_insert=True)
    return entry
