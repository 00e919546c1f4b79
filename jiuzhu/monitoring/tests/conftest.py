"""Dynamic management builds on cases in payment: it uses payments' fixtures (approved cases,
the county officer, locked rosters) and applications' (an intake with signed 授权书)."""

from jiuzhu.applications.tests.conftest import png, signed_intake
from jiuzhu.payments.tests.conftest import admin, approved_case, county, locked_roster

__all__ = ["admin", "approved_case", "county", "locked_roster", "png", "signed_intake"]
