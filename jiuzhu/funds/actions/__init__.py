"""State changes of 资金预算与统筹, one module per room: ``budget`` (budget lines, monthly plans,
purchase-of-service contracts), ``planning`` (fiscal powers, fund plans, incentives), ``charity``
(the charity fund) and ``reserve`` (the towns' 备用金); input checks in ``_common``. Each action
takes the acting user as the keyword ``by``, checks permission, input and jurisdiction, runs in one
transaction with its rows locked, and writes its audit row there. Views and the API call these
only (``from jiuzhu.funds import actions``). Amounts are integer fen; a negative amount is refused
with the field it came from."""

from .budget import contracted, create_budget_line, create_contract, planned, set_monthly_plan, update_budget_line
from .charity import charity_balance, charity_inflow, charity_outflow, open_charity_account
from .planning import create_fund_plan, record_incentive, set_fiscal_power, set_plan_targets
from .reserve import advance_from_reserve, open_reserve, reserve_balance, top_up_reserve

__all__ = [
    "advance_from_reserve",
    "charity_balance",
    "charity_inflow",
    "charity_outflow",
    "contracted",
    "create_budget_line",
    "create_contract",
    "create_fund_plan",
    "open_charity_account",
    "open_reserve",
    "planned",
    "record_incentive",
    "reserve_balance",
    "set_fiscal_power",
    "set_monthly_plan",
    "set_plan_targets",
    "top_up_reserve",
    "update_budget_line",
]
