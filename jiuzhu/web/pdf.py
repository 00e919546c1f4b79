"""HTML templates → PDF with embedded CJK fonts (WeasyPrint). Notices, reports, rosters."""

from __future__ import annotations

import threading
from typing import Any

from django.template.loader import render_to_string

from jiuzhu.web.fonts import built_fonts

_local = threading.local()


def font_config() -> Any:
    """This thread's WeasyPrint font configuration, made once and kept (issue 20 item 3): a new
    one per PDF set up Pango's font map and its caches again for every notice (about a tenth
    of a receipt's time). One per thread, as Pango's objects are not shared between threads;
    fonts installed or built later are seen after a restart.

    The documents' font (``jiuzhu.web.fonts``) is added to this configuration's fontconfig set
    from where it was built, as WeasyPrint itself adds an ``@font-face`` file; an ``@font-face``
    rule would have WeasyPrint copy its 10 MB into a temporary directory per configuration, left
    behind by every process that exits."""
    config = getattr(_local, "font_config", None)
    if config is None:
        from weasyprint.text.ffi import ffi, fontconfig, pangoft2  # type: ignore[import-untyped]
        from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

        config = FontConfiguration()
        added = [fontconfig.FcConfigAppFontAddFile(config._config, str(path).encode()) for path in built_fonts()]
        if any(added):
            pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
        _local.font_config = config
    return config


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF bytes. Templates extend ``pdf/base.html``."""
    import weasyprint  # type: ignore[import-untyped]  # imported lazily: heavy, and only needed when a PDF is made

    html = render_to_string(template, context)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(font_config=font_config())
    return pdf
