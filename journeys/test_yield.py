"""政策找人 measured (issue 17 item 9, DIS-11): a month of warnings from a 医保 file, worked by
the village; one family applies from the task, is approved and paid; the yield page and API
count it — precision 1 of 3 and the days from the warning to the first payment on the ledger."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiuzhu.monitoring.tests.test_tasks import BEILUO, HOUMENG, family_in, medical_rule, plain_id
from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for, upload
from journeys.conftest import APPROVER, CLERK, investigate_and_verify, pay_month, png

__all__ = ["catalog", "family_in", "jobs", "upload"]

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_a_month_of_warnings_is_measured_to_the_first_payment(
    world: Any, family_in: Any, upload: Any, catalog: Any, api_of: Any, client_of: Any, clock: Any
) -> None:
    from jiuzhu.applications import actions
    from jiuzhu.applications.tests.support import use_preset
    from jiuzhu.monitoring.actions.grid import close_task, record_visit, save_rule
    from jiuzhu.monitoring.models import GridTask
    from jiuzhu.monitoring.warnings import evaluate_warnings
    from jiuzhu.payments.models import LedgerEntry
    from jiuzhu.payments.tests.conftest import set_account

    use_preset("devolved")
    clock("2026-10-09 09:00")
    families = [family_in(BEILUO), family_in(BEILUO), family_in(HOUMENG)]
    heads = [h.members.get(relation="self") for h in families]
    rows = [
        row_for(
            "yibao.expense",
            id_number=plain_id(p),
            hospital="枣庄市立医院",
            settled_on="2026-09-20",
            total="60000",
            reimbursed="30000",
            own="30000",
        )
        for p in heads
    ]
    upload("yibao.expense", csv_bytes(headers_of("yibao.expense"), rows), user="tez_yibao")
    rule = medical_rule(world)
    save_rule(rule, {**_spec(rule), "program": "dibao"}, by=world.user("tez_county"))  # the county points it at 低保
    assert evaluate_warnings("370405", by=world.user("tez_county")).created == 3
    applied, referred, left_open = (GridTask.objects.get(household=h) for h in families)

    # the village worker visits the first family and applies with them (帮办代办, INT-11)
    worker = world.user("tez_beiluo")
    clock("2026-10-12 10:00")
    record_visit(applied, by=worker, situation="户主住院，妻子照料，无其他收入", needs="申请低保")
    applied = close_task(applied, by=worker, outcome="applied", signature=png())
    close_task(referred, by=worker, outcome="referred", referred_to="区医保局")
    app = applied.application
    assert app is not None and app.program == "dibao"
    from jiuzhu.verification.demo import sign_authorizations

    sign_authorizations(families[0])  # the adults sign the 核对授权书 at the visit

    clock("2026-10-14 10:00")
    facts = {k: v for k, v in app.facts.items() if k != "temporary"}
    facts["members"] = [dict(m, incomes={"wage": 30000}) if i == 0 else m for i, m in enumerate(facts["members"])]
    app = investigate_and_verify(world, app, facts)
    clock("2026-10-20 15:00")
    actions.approve(app, by=world.user(APPROVER), note="经审核符合条件")
    app.refresh_from_db()
    clock(f"{app.publicity_end + dt.timedelta(days=1)} 09:00")
    actions.close_publicity(app, by=world.user(CLERK))
    app.refresh_from_db()
    assert app.state == "approved"
    set_account(heads[0], "6228480012345678901")
    clock("2026-11-04 09:00")
    pay_month(world, dt.date(2026, 11, 1))
    first = LedgerEntry.objects.filter(application=app, kind="payment").order_by("created_at").first()
    assert first is not None
    expected_days = round((first.created_at - applied.warning.created_at).total_seconds() / 86400, 1)
    assert 25 <= expected_days <= 27

    # the county reads October's yield: 3 warnings, 1 applied → approved → paid
    body = api_of("tez_county").get("/api/v1/monitoring/yield?month=2026-10").json()
    [row] = body["by_rule"]
    assert (row["warnings"], row["tasks"], row["on_time"], row["overdue_open"]) == (3, 3, 2, 1)
    assert row["outcomes"]["applied"] == 1 and row["outcomes"]["referred"] == 1
    assert (row["applications"], row["approved"], row["precision"]) == (1, 1, round(1 / 3, 4))
    assert row["paid"] == 1 and row["median_days_to_payment"] == expected_days
    assert body["by_source"][0]["source"] == "yibao.expense" and body["by_source"][0]["approved"] == 1
    assert left_open.pk and body["total"]["open"] == 1
    html = client_of("tez_zhangshanzi").get("/monitoring/yield/?month=2026-10").content.decode()
    assert "33.3%" in html and f"{expected_days}天（1人）" in html


def _spec(rule: Any) -> dict[str, Any]:
    return {
        f: getattr(rule, f)
        for f in ("name", "level", "reason", "program", "condition", "valid_from", "valid_to", "source_document")
    }
