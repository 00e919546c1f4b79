"""HTML templates → PDF with embedded CJK fonts (WeasyPrint). Notices, reports, rosters."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF bytes. Templates extend ``pdf/base.html``."""
    import weasyprint  # type: ignore[import-untyped]  # imported lazily: heavy, and only needed when a PDF is made

    html = render_to_string(template, context)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
