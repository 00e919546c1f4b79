"""A death in 公安 data reaches the money (issue 17 item 7): the father of the 低保 family dies
in December; the 公安 户籍 batch with his 死亡注销 arrives mid-month; the family's money is
suspended from January (nobody is paid for a dead payee), the family receives the 暂停发放告知书
and the town finds the case in its review list. DYN-7, LNK-11, REG-2.
"""

from __future__ import annotations

import datetime as dt

import pytest

from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for
from journeys.conftest import CLERK, COUNTY, approved_family, pay_month, pdf_text

__all__ = ["catalog", "jobs"]  # fixtures

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)


def test_journey_a_death_in_police_data_stops_the_next_payment_and_tells_the_family(
    world, signed_intake, clock, catalog, jobs, api_of, client_of
):
    from jiuzhu.monitoring.models import LifeEvent, Review
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import RosterLine
    from jiuzhu.registry import storage
    from jiuzhu.registry.models import Document
    from jiuzhu.registry.pii import unseal

    app = approved_family(world, signed_intake, clock)
    father = app.household.members.get(relation="self")
    clock("2026-11-04 09:00")
    pay_month(world, NOV)
    clock("2026-12-03 09:00")
    pay_month(world, DEC)

    clock("2026-12-15 10:00")  # 公安 sends the month's 户籍变动: the father died on 10 December
    rows = [
        row_for(
            "gongan.hukou",
            id_number=unseal("id_number", father.id_number_enc),
            name=father.name,
            event="死亡注销",
            event_on="2026-12-10",
        )
    ]
    with jobs():
        sent = api_of("tez_gongan").post(
            "/api/v1/sources/gongan.hukou/batches", csv_bytes(headers_of("gongan.hukou"), rows), content_type="text/csv"
        )
    assert sent.status_code in (200, 201, 202), sent.content
    father.refresh_from_db()
    assert father.death_date == dt.date(2026, 12, 10)
    event = LifeEvent.objects.get(person=father)
    assert event.kind == "death" and "公安" in event.source_name

    clock("2027-01-05 09:00")  # the January roster has no payment for the family
    january = actions.generate_roster(by=world.user(COUNTY), area_code="370405", month=JAN)
    assert not RosterLine.objects.filter(roster=january, application=app).exclude(status="pulled").exists()

    notice = Document.objects.get(household=app.household, title__startswith="救助金暂停发放告知书")
    text = pdf_text(storage.read_bytes(notice.storage_name))
    assert f"{father.name}于2026年12月10日死亡" in text and "2027年1月起暂停发放" in text
    assert "申请行政复议" in text

    review = Review.objects.get(application=app)
    assert review.kind == "death" and review.status == "open"
    reviews_page = client_of(CLERK).get("/payments/reviews/").content.decode()
    assert app.household.head_name in reviews_page and "成员死亡" in reviews_page
    events_page = client_of(COUNTY).get("/payments/life-events/").content.decode()
    assert father.name in events_page and "暂停发放并复核" in events_page
