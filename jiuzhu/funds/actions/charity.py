"""慈善救助资金 (FND-15): accounts of a county or town, donations in, assistance out; the
passbook is the shared append-only account (``funds.accounts``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput, NotFound
from jiuzhu.core.money import format_yuan

from ..accounts import balance, post_entry
from ..models import CharityAccount, CharityEntry
from ._common import EDIT, _amount, _area, _date, _text


def open_charity_account(
    *, by: User | SystemActor, area_code: str, name: str = "", manager: str = "", note: str = ""
) -> CharityAccount:
    """设立慈善救助资金账户 (FND-15) for a county or town."""
    require(by, EDIT)
    area = _area(area_code)
    require_in_scope(by=by, area_code=area.code)
    with transaction.atomic():
        if CharityAccount.objects.filter(area_code=area.code).exists():
            raise DomainError("charity_account_exists", f"{area.name}已设立慈善救助资金账户", field="area_code")
        account = CharityAccount.objects.create(
            area_code=area.code,
            county_code=area.county_code,
            name=_text(name, "name", "账户名称", max_length=64, required=False) or f"{area.name}慈善救助资金",
            manager=_text(manager, "manager", "管理单位", max_length=64, required=False),
            note=_text(note, "note", "说明", max_length=200, required=False),
        )
        record(by, "funds.charity.open", account, changes={"name": account.name})
    return account


def charity_balance(account: CharityAccount) -> int:
    return balance(account)


def charity_inflow(
    account: CharityAccount,
    *,
    by: User | SystemActor,
    amount_fen: Any,
    donor: str,
    restricted_purpose: str = "",
    received_on: Any = None,
    note: str = "",
) -> CharityEntry:
    """慈善捐赠收入 (FND-15): donor, amount and the use the donor restricted it to."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=account.area_code)
    amount = _amount(amount_fen, positive=True)
    donor = _text(donor, "donor", "捐赠人", max_length=100)
    restricted = _text(restricted_purpose, "restricted_purpose", "限定用途", max_length=200, required=False)
    day = _date(received_on, "received_on", timezone.localdate())
    with transaction.atomic():
        entry = post_entry(
            CharityEntry,
            account,
            by=by,
            kind="inflow",
            amount_fen=amount,
            donor=donor,
            restricted_purpose=restricted,
            occurred_on=day,
            note=_text(note, "note", "说明", max_length=200, required=False),
        )
        record(
            by,
            "funds.charity.inflow",
            entry.account,
            changes={
                "amount_fen": amount,
                "donor": donor,
                "restricted_purpose": restricted,
                "balance_fen": entry.balance_after_fen,
            },
        )
    return entry


def _charity_insufficient(current: int, amount_fen: int) -> DomainError:
    return DomainError(
        "charity_insufficient",
        f"慈善救助资金余额不足：当前余额{format_yuan(current)}，本次支出{format_yuan(amount_fen)}，"
        "支出后余额不能为负数",
        field="amount_fen",
    )


def charity_outflow(
    account: CharityAccount,
    *,
    by: User | SystemActor,
    amount_fen: Any,
    purpose: str,
    application_id: Any = None,
    paid_on: Any = None,
    note: str = "",
) -> CharityEntry:
    """慈善救助支出 (FND-15): refused when the balance would go below zero; linked to the
    救助申请 it relieves when given (which must lie in the account's and the actor's area)."""
    require(by, EDIT)
    require_in_scope(by=by, area_code=account.area_code)
    amount = _amount(amount_fen, positive=True)
    purpose = _text(purpose, "purpose", "支出用途", max_length=200)
    day = _date(paid_on, "paid_on", timezone.localdate())
    application = None
    if application_id not in (None, ""):
        try:
            app_pk = int(application_id)
        except (TypeError, ValueError):
            raise InvalidInput("invalid_application", "救助申请编号应为数字", field="application_id") from None
        application = Application.objects.filter(pk=app_pk).first()
        if application is None or not application.area_code.startswith(_prefix(account.area_code)):
            raise NotFound("application_not_found", "救助申请不存在或不在本账户管辖范围内")
        require_in_scope(by=by, area_code=application.area_code)
    with transaction.atomic():
        entry = post_entry(
            CharityEntry,
            account,
            by=by,
            kind="outflow",
            amount_fen=amount,
            debit=True,
            refuse=_charity_insufficient,
            purpose=purpose,
            application=application,
            area_code=application.area_code if application else account.area_code,
            occurred_on=day,
            note=_text(note, "note", "说明", max_length=200, required=False),
        )
        record(
            by,
            "funds.charity.outflow",
            entry.account,
            changes={
                "amount_fen": amount,
                "purpose": purpose,
                "application": application.pk if application else None,
                "balance_fen": entry.balance_after_fen,
            },
        )
    return entry


def _prefix(area_code: str) -> str:
    return area_code[:9] if area_code[6:9] != "000" else area_code[:6]
