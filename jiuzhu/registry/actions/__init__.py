"""State changes of the registry (一户一档), one module per room: ``households``, ``members``,
``documents``, ``lookup`` (audited views of personal data); shared helpers in ``_common``.
Every one checks permission and jurisdiction, runs in one transaction and writes its audit
row in that transaction (rules 1 and 4). ``from jiuzhu.registry import actions`` gives every
action."""

from __future__ import annotations

from ._common import ALLOWED_DOCUMENT_TYPES, MAX_DOCUMENT_BYTES, PERSON_FIELDS, PII_FIELDS, village_for
from .documents import attach_document, store_generated
from .households import create_household, register_prefilled, update_household
from .lookup import look_up_by_id, reveal
from .members import add_member, move_member, remove_member, update_member
from .unidentified import register_unidentified, retire_merged

__all__ = [
    "ALLOWED_DOCUMENT_TYPES",
    "MAX_DOCUMENT_BYTES",
    "PERSON_FIELDS",
    "PII_FIELDS",
    "add_member",
    "attach_document",
    "create_household",
    "look_up_by_id",
    "move_member",
    "register_prefilled",
    "register_unidentified",
    "remove_member",
    "retire_merged",
    "reveal",
    "store_generated",
    "update_household",
    "update_member",
    "village_for",
]
