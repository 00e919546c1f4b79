"""Read side of 资金预算与统筹: budget execution (FND-5), the source-of-funds report (FND-11),
the fund-demand forecast (FND-7), plan against budget and actual (FND-9), charity balances
(FND-15), the towns' reserves (FND-2, FND-8) and the Excel export. Everything is a grouped
query; actual spending comes from the payments ledger (payments minus reversals), never from a
copy.

An execution row is a *scope* (a county or a town) and a programme. A town's row holds the
town's budget lines and the ledger of its villages; the county row consolidates: the county's
own lines plus every town's lines, against the whole county's ledger (全区合计).
"""

from ._common import ledger_actuals, root_area
from .balances import charity_summary, reserve_entries_xlsx, reserve_summary
from .demand import METHODS, by_source, forecast, plan_comparison
from .spending import execution, execution_xlsx

__all__ = [
    "METHODS",
    "by_source",
    "charity_summary",
    "execution",
    "execution_xlsx",
    "forecast",
    "ledger_actuals",
    "plan_comparison",
    "reserve_entries_xlsx",
    "reserve_summary",
    "root_area",
]
