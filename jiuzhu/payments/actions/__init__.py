"""State changes of payments and funds, one module per concern (reviews, stops and
suspensions are dynamic management: ``jiuzhu.monitoring.actions``). Each
checks permission, state and jurisdiction, runs in one transaction with its rows locked,
writes its audit row there, and enqueues follow-up work with ``transaction.on_commit``. Views
and the API call these only (``from jiuzhu.payments import actions``)."""

from ._common import CHOSEN_STOP_REASONS, MAX_GRADUAL_MONTHS, STOP_REASON_LABELS, check_chosen_stop_reason, parse_month
from .bank import (
    BANK_COLUMNS,
    bank_file,
    export_bank_file,
    layouts_for,
    recover_bank_exports,
    reissue,
    retry_bank_export,
)
from .bank_results import ImportReport, balance, import_bank_results, release_line, reverse_payment
from .benefits import (
    LOCKED,
    ROSTER_CHANGED,
    SUSPEND_REASON_LABELS,
    Pulled,
    reconfirm_roster,
)
from .notice_jobs import recover_adjustment_notice_jobs, retry_adjustment_notices, run_adjustment_notices
from .recovery import create_recovery, mark_credit_reported, overpaid_months, record_repayment, recovered
from .rosters import (
    cancel_lock,
    check_roster,
    confirm_lock,
    generate_roster,
    issue_adjustment_notices,
    recover_roster_runs,
    request_lock,
    request_roster,
    resolve_line,
    retry_roster_run,
    run_roster,
)
from .scheduled import Scheduled, schedule_payments

__all__ = [
    "BANK_COLUMNS",
    "CHOSEN_STOP_REASONS",
    "LOCKED",
    "MAX_GRADUAL_MONTHS",
    "ROSTER_CHANGED",
    "STOP_REASON_LABELS",
    "SUSPEND_REASON_LABELS",
    "ImportReport",
    "Pulled",
    "Scheduled",
    "balance",
    "bank_file",
    "cancel_lock",
    "check_chosen_stop_reason",
    "check_roster",
    "confirm_lock",
    "create_recovery",
    "export_bank_file",
    "generate_roster",
    "import_bank_results",
    "issue_adjustment_notices",
    "layouts_for",
    "mark_credit_reported",
    "overpaid_months",
    "parse_month",
    "reconfirm_roster",
    "record_repayment",
    "recover_adjustment_notice_jobs",
    "recover_bank_exports",
    "recover_roster_runs",
    "recovered",
    "reissue",
    "release_line",
    "request_lock",
    "request_roster",
    "resolve_line",
    "retry_adjustment_notices",
    "retry_bank_export",
    "retry_roster_run",
    "reverse_payment",
    "run_adjustment_notices",
    "run_roster",
    "schedule_payments",
]
