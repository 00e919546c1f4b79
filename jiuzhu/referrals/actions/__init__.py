"""State changes of 一体联动, one module per room: 派单, the department's handling, results and
feedback into 两库, paper referrals, deadlines and visits (LNK-1…LNK-6, REG-13). Views and the
API call these only (``from jiuzhu.referrals import actions``)."""

from __future__ import annotations

from ._common import (
    DEFAULT_DAYS,
    FACT_FIELDS,
    PAPER_HINT,
    Offer,
    Skipped,
    minimum_facts,
    offer,
    referral_options,
)
from .deadlines import sweep
from .handling import accept, reply_info, request_info, return_, reveal
from .paper import REPLY_OUTCOMES, print_transfer, record_reply
from .referring import cancel, cancel_for_ended_case, refer, refer_after_approval
from .results import Recipient, decide
from .visits import record_visit

__all__ = [
    "DEFAULT_DAYS",
    "FACT_FIELDS",
    "PAPER_HINT",
    "REPLY_OUTCOMES",
    "Offer",
    "Recipient",
    "Skipped",
    "accept",
    "cancel",
    "cancel_for_ended_case",
    "decide",
    "minimum_facts",
    "offer",
    "print_transfer",
    "record_reply",
    "record_visit",
    "refer",
    "refer_after_approval",
    "referral_options",
    "reply_info",
    "request_info",
    "return_",
    "reveal",
    "sweep",
]
