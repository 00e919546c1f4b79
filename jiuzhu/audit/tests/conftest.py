"""Fixtures shared with the applications tests."""

from jiuzhu.applications.tests.conftest import png, signed_intake  # noqa: F401  (fixtures)
