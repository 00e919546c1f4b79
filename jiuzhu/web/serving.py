"""A web server process made ready before its first request (issue 20 item 3).

Python's cyclic garbage collector walks every live container object in a full collection. A
web worker holds about 230,000 of them once Django, WeasyPrint, pyHanko and the documents'
fonts are loaded, and a full collection over them took 110–180 ms on a quiet machine — paid by
whichever request crossed the collector's threshold: two of 60 intakes in a row, so the slowest
few percent of requests, and three times as long on a busy machine. Those objects are loaded
once and live as long as the process, so they need no collecting: ``prepare_process`` loads
them before the first request and moves them out of the collector's sight (``gc.freeze``, as
the Python documentation advises for a server's start). Later collections walk only what
requests made since, and reference counting frees as before.
"""

from __future__ import annotations

import gc


def prepare_process() -> None:
    """Load what requests use (views, the PDF and signing libraries, this thread's font
    configuration) and freeze everything alive. Called by the WSGI and ASGI entry points."""
    import segno  # noqa: F401  # the notices' QR codes
    import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    from django.urls import get_resolver
    from pyhanko.sign import signers  # noqa: F401

    from jiuzhu.web.pdf import font_config

    get_resolver().url_patterns  # noqa: B018  # imports every app's views and API
    font_config()
    gc.collect()  # nothing that is garbage now is frozen with the rest
    gc.freeze()
