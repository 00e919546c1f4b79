"""HTML templates → PDF with embedded CJK fonts (WeasyPrint). Notices, reports, rosters."""

from __future__ import annotations

import threading
from typing import Any

from django.template.loader import render_to_string

from jiuzhu.web.fonts import font_faces

_local = threading.local()


def font_config() -> Any:
    """This thread's WeasyPrint font configuration, made once and kept (issue 20 item 3): a new
    one per PDF set up Pango's font map and its caches again for every notice (about a tenth
    of a receipt's time). One per thread, as Pango's objects are not shared between threads;
    fonts installed later are seen after a restart. Our templates declare no ``@font-face``."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

        config = _local.font_config = FontConfiguration()
    return config


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF bytes. Templates extend ``pdf/base.html``."""
    import weasyprint  # type: ignore[import-untyped]  # imported lazily: heavy, and only needed when a PDF is made

    html = render_to_string(template, {**context, "pdf_font_faces": font_faces()})
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(font_config=font_config())
    return pdf
