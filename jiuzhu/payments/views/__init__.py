"""Pages of 资金发放, one module per room: rosters with progress and lines, bank files and
results, a case's payment history and recoveries, reserve funds, statistics and checks. Reviews
and stops are dynamic management's (``jiuzhu.monitoring.views``). ``urls.py`` reads the views
from here."""

from ._common import _do, _viewer
from .bank import (
    adjustment_notice_retry,
    bank_export,
    bank_export_retry,
    batch_file,
    batch_results,
    reconciliation_view,
)
from .cases import case_action, case_view, recoveries, repay
from .layouts import layout_sample, layout_sample_result, layouts
from .rosters import home, line_action, roster_action, roster_create, roster_view, run_view
from .stats import checks, stats

__all__ = [
    "_do",
    "_viewer",
    "adjustment_notice_retry",
    "bank_export",
    "bank_export_retry",
    "batch_file",
    "batch_results",
    "case_action",
    "case_view",
    "checks",
    "home",
    "layout_sample",
    "layout_sample_result",
    "layouts",
    "line_action",
    "reconciliation_view",
    "recoveries",
    "repay",
    "roster_action",
    "roster_create",
    "roster_view",
    "run_view",
    "stats",
]
