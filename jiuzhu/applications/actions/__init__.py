"""State changes of a case (救助申请), one module per room. Each checks the workflow table
(state, role, area), runs in one transaction with the row locked, writes its audit row, and
issues its notice. Views and the API call these and nothing else
(``from jiuzhu.applications import actions``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jiuzhu.programs.facts import default_facts

from ._common import (
    ADULT,
    MAX_SIGNATURE_BYTES,
    PROGRAM_NAMES,
    URBAN_LABEL,
    EntrustmentIn,
    MaterialIn,
    SignatureIn,
    decision_facts,
    evaluate,
    latest_report,
)
from .decision import approve, escalate, propose, reject
from .emergency import advance_pay, register_formally
from .intake import EXTRA_DOCUMENTS, IntakeRequest, intake
from .investigation import record_investigation, reinvestigate, start_investigation, submit_review
from .procedure import extend, refuse, resubmit, return_for_documents, withdraw
from .publicity import close_publicity, object_, record_deliberation
from .special_deliberation import record_special_deliberation, special_deliberation_bounds
from .supplements import MAX_MATERIAL_BYTES, is_signature_item, supplement, unsigned_adults

ACTIONS: dict[str, Callable[..., Any]] = {
    "start_investigation": start_investigation,
    "record_investigation": record_investigation,
    "submit_review": submit_review,
    "propose": propose,
    "approve": approve,
    "escalate": escalate,
    "close_publicity": close_publicity,
    "object": object_,
    "record_deliberation": record_deliberation,
    "reinvestigate": reinvestigate,
    "reject": reject,
    "refuse": refuse,
    "return_for_documents": return_for_documents,
    "resubmit": resubmit,
    "withdraw": withdraw,
    "extend": extend,
    "advance_pay": advance_pay,
    "register_formally": register_formally,
}

__all__ = [
    "ACTIONS",
    "ADULT",
    "EXTRA_DOCUMENTS",
    "MAX_MATERIAL_BYTES",
    "MAX_SIGNATURE_BYTES",
    "PROGRAM_NAMES",
    "URBAN_LABEL",
    "EntrustmentIn",
    "IntakeRequest",
    "MaterialIn",
    "SignatureIn",
    "advance_pay",
    "approve",
    "close_publicity",
    "decision_facts",
    "default_facts",
    "escalate",
    "evaluate",
    "extend",
    "intake",
    "is_signature_item",
    "latest_report",
    "object_",
    "propose",
    "record_deliberation",
    "record_investigation",
    "record_special_deliberation",
    "refuse",
    "register_formally",
    "reinvestigate",
    "reject",
    "resubmit",
    "return_for_documents",
    "special_deliberation_bounds",
    "start_investigation",
    "submit_review",
    "supplement",
    "unsigned_adults",
    "withdraw",
]
