"""The rules engine is pure Python: its tests need neither Django nor a database.

The project's root conftest configures Django settings in an autouse session fixture;
this no-op override of that fixture lets ``pytest jiuzhu/rules -p no:django`` run
without settings, and changes nothing for these tests when pytest-django is active.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session", autouse=True)
def _test_settings() -> Iterator[None]:
    yield
