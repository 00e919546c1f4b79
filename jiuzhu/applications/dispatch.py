"""One entry point for every case action, used by the API and the UI alike."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from jiuzhu.core.errors import InvalidInput

from . import actions
from .models import Application

_FIELDS = {
    "start_investigation": [],
    "submit_review": [],
    "resubmit": [],
    "close_publicity": [],
    "propose": ["note"],
    "approve": ["note"],
    "register_formally": ["note"],
    "reject": ["reason_codes", "note"],
    "refuse": ["reason"],
    "withdraw": ["reason"],
    "extend": ["reason"],
    "reinvestigate": ["reason"],
    "escalate": ["reason"],
    "return_for_documents": ["items", "note"],
    "advance_pay": ["amount_fen", "note"],
    "object": ["raised_by", "contact", "content", "received_on"],
    "record_deliberation": [
        "held_on",
        "participants",
        "minutes",
        "votes_for",
        "votes_against",
        "votes_abstain",
        "outcome",
    ],
    "record_investigation": [
        "visited_on",
        "investigators",
        "housing",
        "living_conditions",
        "labour",
        "health",
        "remarks",
        "facts",
    ],
}
_REQUIRED = {"amount_fen", "received_on", "held_on", "visited_on"}


def run_action(user: Any, app: Application, name: str, data: dict[str, Any]) -> Application:
    """Call the action ``name`` with the fields it takes (shared by the API and the UI)."""
    if name not in actions.ACTIONS:
        raise Http404
    kwargs = {k: data.get(k) for k in _FIELDS[name]}
    for key in _REQUIRED & set(kwargs):
        if kwargs[key] is None:
            raise InvalidInput("required", f"缺少必填字段 {key}", field=key)
    for key in (
        "note",
        "reason",
        "raised_by",
        "contact",
        "content",
        "participants",
        "minutes",
        "investigators",
        "housing",
        "living_conditions",
        "labour",
        "health",
        "remarks",
        "outcome",
    ):
        if key in kwargs and kwargs[key] is None:
            kwargs[key] = ""
    actions.ACTIONS[name](app, by=user, **kwargs)
    app.refresh_from_db()
    return app
