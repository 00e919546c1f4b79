"""镇（街道）临时救助备用金: open, top up and disburse for 先行救助 (STD-5, FND-2, FND-3, FND-4).
The passbook is the shared append-only account (``funds.accounts``). The audit actions and
permissions keep their ``payments.`` names: they are stored in audit rows and role tables."""

from __future__ import annotations

from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.models import Application
from jiuzhu.areas.models import Area
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.payments import ledger
from jiuzhu.payments import roster as roster_mod
from jiuzhu.payments.models import LedgerEntry

from ..accounts import balance, post_entry
from ..models import ReserveEntry, ReserveFund


def open_reserve(
    *, by: User | SystemActor, town_code: str, low_balance_fen: int | None = None, account_note: str = ""
) -> ReserveFund:
    """设立备用金账户 for a town (FND-2): the county opens it, then tops it up."""
    require(by, "payments.fund")
    area = Area.objects.filter(code=town_code.ljust(12, "0")).first()
    if area is None or area.level != "town":
        raise InvalidInput("invalid_area", "备用金按镇（街道）设立，请选择镇（街道）", field="town_code")
    require_in_scope(by=by, area_code=area.code)
    if low_balance_fen is not None and low_balance_fen < 0:
        raise InvalidInput("invalid_amount", "预警线不能为负数", field="low_balance_fen")
    with transaction.atomic():
        if ReserveFund.objects.filter(area_code=area.code).exists():
            raise DomainError("reserve_exists", f"{area.name}已设立临时救助备用金")
        fund = ReserveFund.objects.create(
            area_code=area.code,
            county_code=area.county_code,
            name=f"{area.name}临时救助备用金",
            account_note=account_note[:100],
            low_balance_fen=(
                low_balance_fen
                if low_balance_fen is not None
                else roster_mod.config_for(area.county_code).reserve_low_balance_fen
            ),
        )
        record(by, "payments.reserve.open", fund, changes={"low_balance_fen": fund.low_balance_fen})
    return fund


def reserve_balance(fund: ReserveFund) -> int:
    return balance(fund)


def top_up_reserve(
    fund: ReserveFund, *, by: User | SystemActor, amount_fen: int, source: str = "fiscal", note: str = ""
) -> ReserveEntry:
    """拨付备用金 (FND-3, FND-8): replenishment by the county, with its source of funds."""
    require(by, "payments.fund")
    require_in_scope(by=by, area_code=fund.area_code)
    if amount_fen <= 0:
        raise InvalidInput("invalid_amount", "拨付金额应大于0", field="amount_fen")
    if source not in ("fiscal", "donation", "other"):
        raise InvalidInput("invalid_choice", "资金来源应为财政资金、社会捐赠或其他", field="source")
    with transaction.atomic():
        entry = post_entry(
            ReserveEntry, fund, by=by, kind="top_up", amount_fen=amount_fen, source=source, note=note[:200]
        )
        record(
            by,
            "payments.reserve.top_up",
            entry.fund,
            changes={"amount_fen": amount_fen, "source": source, "balance_fen": entry.balance_after_fen, "note": note},
        )
    return entry


def _reserve_insufficient(current: int, amount_fen: int) -> DomainError:
    return DomainError(
        "reserve_insufficient",
        f"临时救助备用金余额不足：当前余额{format_yuan(current)}，本次先行救助{format_yuan(amount_fen)}。"
        "请联系县民政局拨付备用金后再办理",
    )


def advance_from_reserve(
    application: Application, *, by: User | SystemActor, amount_fen: int, note: str = ""
) -> ReserveEntry:
    """先行救助 from the town's reserve (FND-3): refused when the balance would go below zero.
    Runs inside ``applications.actions.advance_pay``'s transaction; books the one-off aid as an
    entitlement and a payment of the case."""
    require(by, "payments.reserve")
    town = application.area_code[:9] + "000"
    with transaction.atomic():
        fund = ReserveFund.objects.filter(area_code=town).first()
        if fund is None:
            raise DomainError(
                "reserve_missing", "本镇（街道）尚未设立临时救助备用金，不能先行救助：请县民政局设立并拨付备用金"
            )
        entry = post_entry(
            ReserveEntry,
            fund,
            by=by,
            kind="disbursement",
            amount_fen=amount_fen,
            debit=True,
            refuse=_reserve_insufficient,
            application=application,
            area_code=application.area_code,
            note=note[:200],
        )
        fund = entry.fund
        party = ledger.Party.of_application(application)
        ledger.book(
            "entitlement",
            party,
            by=by,
            amount_fen=amount_fen,
            source="decision",
            reason=f"急难型临时救助先行救助（{application.number}）",
        )
        attempt = LedgerEntry.objects.filter(application=application, kind="payment", period__isnull=True).count()
        reversed_ = LedgerEntry.objects.filter(application=application, kind="reversal", period__isnull=True).count()
        if attempt > reversed_:
            raise DomainError("already_paid", "该申请已先行救助，不能重复支出")
        ledger.book(
            "payment",
            party,
            by=by,
            amount_fen=amount_fen,
            source="reserve",
            attempt=attempt,
            reason=f"备用金先行救助支出（{fund.name}）",
        )
        record(
            by,
            "payments.reserve.disburse",
            fund,
            changes={
                "application": application.pk,
                "amount_fen": amount_fen,
                "balance_fen": entry.balance_after_fen,
                "low_balance": entry.balance_after_fen < fund.low_balance_fen,
            },
        )
    return entry
