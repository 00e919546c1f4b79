from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from jiuzhu.applications.tests.conftest import signed_intake  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()
