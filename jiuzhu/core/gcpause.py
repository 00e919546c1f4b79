"""Pause the cyclic garbage collector during a large batch job.

A roster or a re-verification run builds hundreds of thousands of small tuples and dicts that
live until the job ends. Each of them counts towards the collector's thresholds, so the
collector runs again and again over objects that are all still alive: for the first roster of
100,000 cases it cost more than decoding the cases' JSON facts. Nothing in these jobs makes
reference cycles that must be freed before the job ends — everything else is freed by
reference counting as usual — so the collector waits until the job is over.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Within the block the cyclic collector does not run; nested and concurrent blocks
    restore it once, when the last of them ends, and only if it was running before."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
