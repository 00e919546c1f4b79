"""HTML templates → PDF with embedded CJK fonts (WeasyPrint). Notices, reports, rosters."""

from __future__ import annotations

import re
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

        _glyph_arrays_of_one_type(ffi)
        config = FontConfiguration()
        added = [fontconfig.FcConfigAppFontAddFile(config._config, str(path).encode()) for path in built_fonts()]
        if any(added):
            pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", config.font_map))
        _local.font_config = config
    return config


_GLYPH_ARRAY = re.compile(r"hb_codepoint_t\[(\d+)\]")


def _glyph_arrays_of_one_type(ffi: Any) -> None:
    """Let WeasyPrint's font subsetting allocate its glyph-id arrays as one C type (issue 20 item 3).

    WeasyPrint asks cffi for ``hb_codepoint_t[N]`` with N the count of glyphs a document uses
    and the highest glyph id it uses, and cffi parses a new C type (pycparser) for every N it
    has not seen: 1.5–3.5 ms each, and a notice with a new name usually brings a new N. An
    array given its initial values has the same contents and length as ``hb_codepoint_t[]``,
    whose type is parsed once. Only that exact form is redirected; anything else goes to cffi
    unchanged."""
    if getattr(ffi, "_jiuzhu_glyph_arrays", False):
        return
    new = ffi.new

    def new_array(cdecl: Any, init: Any = None) -> Any:
        m = _GLYPH_ARRAY.fullmatch(cdecl) if isinstance(cdecl, str) and init is not None else None
        if m and int(m[1]) == len(init):
            return new("hb_codepoint_t[]", init)
        return new(cdecl, init)

    ffi.new = new_array
    ffi._jiuzhu_glyph_arrays = True


def stylesheet() -> Any:
    """This thread's parsed documents' stylesheet (``pdf/base.css``), made once and kept like
    ``font_config``: parsing it and compiling its selectors took a few milliseconds of every
    notice. Given to WeasyPrint as a user stylesheet, which wins over its own defaults as the
    ``<style>`` it replaces did (the documents carry no other stylesheet)."""
    css = getattr(_local, "stylesheet", None)
    if css is None:
        import weasyprint  # type: ignore[import-untyped]

        css = weasyprint.CSS(string=render_to_string("pdf/base.css"), font_config=font_config())
        _local.stylesheet = css
    return css


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to PDF bytes. Templates extend ``pdf/base.html``, styled by
    ``pdf/base.css``."""
    import weasyprint  # imported lazily: heavy, and only needed when a PDF is made

    html = render_to_string(template, context)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(font_config=font_config(), stylesheets=[stylesheet()])
    return pdf
