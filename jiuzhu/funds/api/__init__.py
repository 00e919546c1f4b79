"""Funds planning API (资金预算与统筹) at /api/v1/funds/: budget lines and monthly plans, execution
(JSON or Excel), forecast, sources, fiscal powers, fund plans, incentives, contracts, charity;
and the towns' reserve funds at /api/v1/payments/reserves (``reserve_router``, their old address).
Amounts are integer fen; errors are the one ``{"code", "message", "field"}`` format."""

from ._common import reserve_router, router

# isort: off
from . import budget, planning, charity, reserves  # noqa: F401  (registers the endpoints, in published order)
# isort: on

__all__ = ["reserve_router", "router"]
