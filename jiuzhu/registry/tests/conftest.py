"""Fixtures of the registry tests: department files loaded as verification batches (for the
部门数据预填 of 一证申请)."""

from jiuzhu.verification.tests.conftest import catalog, jobs, upload  # noqa: F401  (fixtures)
