"""A fixed-window use counter in the Django cache, behind the public pages' per-address limits
(complaints, 公示 disclosure)."""

from __future__ import annotations

from django.core.cache import cache


def count_use(key: str, window: int) -> int:
    """Count one use of ``key`` in a window of ``window`` seconds that starts at its first use;
    returns the uses so far in the window, this one included."""
    cache.add(key, 0, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # the window ended between the two calls
        cache.set(key, 1, window)
        return 1
