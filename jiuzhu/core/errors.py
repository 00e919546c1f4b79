"""The one error type of the domain (ARCHITECTURE.md, rule 2)."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused an action.

    ``code`` is a stable machine-readable identifier; ``message`` is shown to the user
    (Simplified Chinese); ``field`` names the input that caused it (``members[0].id_number``).
    The API maps ``status`` to the HTTP status; the UI shows ``message`` on the form.
    """

    status = 409

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        errors: list[DomainError] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self._errors = errors or []

    @property
    def errors(self) -> list[DomainError]:
        """Every problem found, when several were collected (else just this one)."""
        return self._errors or [self]

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if len(self._errors) > 1:
            out["errors"] = [{"code": e.code, "message": e.message, "field": e.field} for e in self._errors]
        return out


class InvalidInput(DomainError):
    """The input itself is wrong (bad ID number, malformed file, missing value)."""

    status = 422


class Forbidden(DomainError):
    """The actor's role may not perform this action."""

    status = 403


class NotFound(DomainError):
    """The object does not exist or lies outside the actor's jurisdiction."""

    status = 404
