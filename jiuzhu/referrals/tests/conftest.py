from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.applications.tests.conftest import signed_intake  # noqa: F401 - shared fixture


@pytest.fixture
def approved_dibao(world: Any, signed_intake: Callable[..., Any]) -> Callable[..., Any]:  # noqa: F811
    """A 低保 case in its approved state, then what final approval does (records + referrals).

    The approval itself needs a 核对报告 (tested in the applications and verification suites);
    these tests start from its outcome.
    """
    from django.utils import timezone

    from jiuzhu.applications.models import Application
    from jiuzhu.referrals.actions import refer_after_approval
    from jiuzhu.referrals.records import record_application

    def make(household: Any = None, student: bool = True) -> Any:
        intake = signed_intake(household=household)
        app = intake.applications.get()
        if student:
            child = app.household.members.get(relation="child")
            child.school_status = "junior"
            child.save()
        Application.objects.filter(pk=app.pk).update(
            state="approved", decision="approved", amount_fen=120000, start_month=timezone.localdate().replace(day=1)
        )
        app.refresh_from_db()
        from django.db import transaction

        with transaction.atomic():
            record_application(app)
            created, skipped = refer_after_approval(app, by=world.user("tez_zhangshanzi_sp"))
        app.created_referrals, app.skipped = created, skipped
        return app

    return make
