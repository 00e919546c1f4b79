"""Payments API (资金发放) at /api/v1/payments/, one module per room: rosters and their jobs,
bank files and results, a case's ledger, recoveries, statistics and checks.
Reviews and stops (same prefix) are ``jiuzhu.monitoring.api``, the town reserve funds
``jiuzhu.funds.api``. Importing the rooms registers
their endpoints on ``router``, in the order they were published (the order of the API docs)."""

from ._common import router

# isort: off
from . import rosters, bank, cases, recoveries, stats  # noqa: F401  (registers the endpoints)
# isort: on

__all__ = ["router"]
