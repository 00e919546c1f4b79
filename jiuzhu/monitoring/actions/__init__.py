"""State changes of dynamic management (动态管理), one module per concern: reviews (复核) and
their conclusions, stops, suspensions, resumptions and deaths. Each checks permission, state
and jurisdiction, runs in one transaction with its rows locked and writes its audit row there;
what they do to rosters and the ledger goes through payments' own machinery. Views and the API
call these only (``from jiuzhu.monitoring import actions``)."""

from .benefits import record_death, resume_benefit, suspend_benefit
from .reviews import (
    config_review,
    create_due_reviews,
    current_amount,
    decide_review,
    open_reviews,
    report_change,
    review_evaluation,
    review_facts,
    start_review,
    stop_benefit,
)

__all__ = [
    "config_review",
    "create_due_reviews",
    "current_amount",
    "decide_review",
    "open_reviews",
    "record_death",
    "report_change",
    "resume_benefit",
    "review_evaluation",
    "review_facts",
    "start_review",
    "stop_benefit",
    "suspend_benefit",
]
