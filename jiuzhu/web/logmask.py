"""No full ID number in any log: a filter for Django's loggers and gunicorn's access log."""

from __future__ import annotations

import logging
from typing import Any

from gunicorn.glogging import Logger as GunicornLogger  # type: ignore[import-untyped]

from jiuzhu.core.masking import mask_text


class MaskPII(logging.Filter):
    """Formats the record once and masks ID and mobile numbers in the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        return True


class MaskingAccessLogger(GunicornLogger):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn ``--logger-class``: every text atom (request line, path, query, referer,
    headers, environ) masked."""

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: mask_text(value) if isinstance(value, str) else value for key, value in atoms.items()}
