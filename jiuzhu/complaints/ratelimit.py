"""A per-IP rate limit for the public pages (no login): a fixed window in the cache."""

from __future__ import annotations

from django.http import HttpRequest

from jiuzhu.core.ratelimit import count_use

SUBMIT_LIMIT = (5, 3600)  # at most 5 complaints an hour from one address
LOOKUP_LIMIT = (20, 600)  # at most 20 progress queries in ten minutes


def client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def hit(request: HttpRequest, kind: str, limit: tuple[int, int]) -> bool:
    """Count one use; False when the address is over its limit."""
    count, window = limit
    return count_use(f"complaints:{kind}:{client_ip(request)}", window) <= count
