"""Migration ``applications.0018_approved_amount``: an approved case keeps the amount of its
approval beside the amount paid now — taken once from the first 审批 audit entry, which a later
review's adjustment never rewrote."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.db import transaction

from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record

fill_approved_amount = import_module("jiuzhu.applications.migrations.0018_approved_amount").fill_approved_amount


def test_existing_cases_take_the_amount_of_their_approval(world: Any, signed_intake: Any) -> None:
    county = world.user("tez_county")
    reviewed, registered, open_case = (signed_intake().applications.get() for _ in range(3))
    with transaction.atomic():
        # approved at 800 元, adjusted to 530 元 by a review; the approval's entry says 800
        record(
            county,
            "applications.approve",
            reviewed,
            changes={"from": "publicized", "to": "approved", "amount_fen": 80_000},
        )
        Application.objects.filter(pk=reviewed.pk).update(decision="approved", amount_fen=53_000)
        # approved by 补办登记 after 先行救助: no amount on its entry
        record(county, "applications.register_formally", registered, changes={"note": ""})
        Application.objects.filter(pk=registered.pk).update(decision="approved", amount_fen=150_000)
    fill_approved_amount(apps, None)
    amounts = dict(Application.objects.values_list("pk", "approved_amount_fen"))
    assert amounts[reviewed.pk] == 80_000
    assert amounts[registered.pk] == 150_000
    assert amounts[open_case.pk] is None
