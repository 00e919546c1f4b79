"""Pages of 资金预算与统筹: execution (FND-5), budget lines and monthly plans (FND-1, FND-11),
forecast (FND-7), sources, fiscal powers (FND-6), fund plans (FND-9), incentives (FND-10),
contracts (FND-12) and the charity fund (FND-15). Views call actions and queries only."""

from .budget import forecast, home, line_view, lines, sources
from .charity_fund import account_view, charity
from .planning import contracts, incentives, plan_view, plans, powers
from .reserve_funds import reserve_export, reserve_open, reserve_top_up, reserve_view, reserves

__all__ = [
    "account_view",
    "charity",
    "contracts",
    "forecast",
    "home",
    "incentives",
    "line_view",
    "lines",
    "plan_view",
    "plans",
    "powers",
    "reserve_export",
    "reserve_open",
    "reserve_top_up",
    "reserve_view",
    "reserves",
    "sources",
]
