"""Balances of the two append-only accounts: the charity fund (FND-15) and the towns' reserves
(FND-2, FND-3, FND-8)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Sum

from ..models import (
    CharityAccount,
    CharityEntry,
    ReserveEntry,
)

# ==== charity fund (FND-15) ======================================================================


def charity_summary(accounts: list[CharityAccount]) -> list[dict[str, Any]]:
    """Each account's balance, inflows and outflows (two grouped queries)."""
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account_id, kind, total in (
        CharityEntry.objects.filter(account__in=accounts)
        .values("account", "kind")
        .annotate(t=Sum("amount_fen"))
        .values_list("account", "kind", "t")
    ):
        sums[account_id][kind] = int(total or 0)
    return [
        {
            "account": a,
            "inflow_fen": sums[a.pk]["inflow"],
            "outflow_fen": sums[a.pk]["outflow"],
            "balance_fen": sums[a.pk]["inflow"] - sums[a.pk]["outflow"],
        }
        for a in accounts
    ]


# ==== town reserve funds (FND-2, FND-3, FND-8) ===================================================


def reserve_summary(funds: Any) -> list[dict[str, Any]]:
    """Each town's reserve: balance, top-ups by source (FND-8), disbursements, warning."""
    sums: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fund, kind, source, total in (
        ReserveEntry.objects.filter(fund__in=funds)
        .values("fund", "kind", "source")
        .annotate(t=Sum("amount_fen"))
        .values_list("fund", "kind", "source", "t")
    ):
        sums[fund][kind if kind != "top_up" else f"top_up_{source}"] += int(total or 0)
    last: dict[int, int] = {}
    for fund_id, balance in (
        ReserveEntry.objects.filter(fund__in=funds).order_by("fund", "-id").values_list("fund", "balance_after_fen")
    ):
        last.setdefault(fund_id, balance)
    out = []
    for fund in funds:
        s = sums[fund.pk]
        balance = int(last.get(fund.pk, 0))
        out.append(
            {
                "fund": fund,
                "balance_fen": balance,
                "top_up_fiscal_fen": s["top_up_fiscal"],
                "top_up_donation_fen": s["top_up_donation"] + s["top_up_other"],
                "disbursed_fen": s["disbursement"],
                "low": balance < fund.low_balance_fen,
            }
        )
    return out


def reserve_entries_xlsx(fund: Any) -> bytes:
    """备用金收支明细 as a workbook, oldest first, to reconcile with the town's 专户 statement."""
    from django.utils import timezone

    from jiuzhu.web.files import xlsx

    entries = (
        ReserveEntry.objects.filter(fund=fund).select_related("application", "created_by").order_by("id").iterator()
    )
    rows = (
        [
            f"{timezone.localtime(e.created_at):%Y-%m-%d %H:%M}",
            e.get_kind_display(),
            e.amount_fen / 100,
            e.balance_after_fen / 100,
            e.application.number if e.application_id else e.get_source_display(),
            e.note,
            e.created_by.display_name if e.created_by_id else "系统",
        ]
        for e in entries
    )
    headers = ["时间", "类型", "金额（元）", "余额（元）", "来源/案件", "说明", "经办"]
    return xlsx(headers, rows, sheet=f"{fund.name}收支明细", text={0, 1, 4, 5, 6}, widths=[18, 14, 14, 14, 24, 40, 20])
