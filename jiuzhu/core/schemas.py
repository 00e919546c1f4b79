"""API schemas shared by every app: one error body (``{"code", "message", "field"?}``)."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
