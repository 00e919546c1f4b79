"""A death in 公安 data reaches the money (issue 17 item 7): the father of the 低保 family dies
in December; the 公安 户籍 batch with his 死亡注销 arrives mid-month; the family's money is
suspended from January (nobody is paid for a dead payee), the family receives the 暂停发放告知书
(a notice of the case, read by the mother on the applicant site /my/) and the town finds the
case in its review list. DYN-7, LNK-11, REG-2, SUP-16.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, row_for
from journeys.conftest import CLERK, COUNTY, approved_family, pay_month, pdf_text

__all__ = ["catalog", "jobs"]  # fixtures

pytestmark = [pytest.mark.journey, pytest.mark.django_db]
NOV, DEC, JAN = dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)


def test_journey_a_death_in_police_data_stops_the_next_payment_and_tells_the_family(
    world, signed_intake, clock, catalog, jobs, api_of, client_of, settings, tmp_path
):
    from django.test import Client

    from jiuzhu.applications.models import Notice
    from jiuzhu.monitoring.models import LifeEvent, Review
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import RosterLine
    from jiuzhu.portal.models import NoticeDelivery
    from jiuzhu.registry import storage
    from jiuzhu.registry.actions import update_member
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

    notice = Notice.objects.get(application=app, kind="suspend")  # a notice of the case, numbered 暂
    assert "暂" in notice.number and Document.objects.get(pk=notice.document_id).household_id == app.household_id
    text = pdf_text(storage.read_bytes(notice.document.storage_name))
    assert f"{father.name}于2026年12月10日死亡" in text and "2027年1月起暂停发放" in text
    assert f"{father.name}（已故）的家属（身份证号：{father.id_number_masked}）：" in text  # not to the dead man
    assert "申请行政复议" in text

    # the mother, whose phone the town has on file, reads it on the applicant site (掌上办, SUP-16)
    settings.JIUZHU_SMS_BACKEND, settings.JIUZHU_SMS_FILE = "jiuzhu.portal.sms.FileBackend", tmp_path / "sms.jsonl"
    settings.JIUZHU_MY_CODE_MIN_SECONDS = 0
    mother = app.household.members.get(relation="spouse")
    update_member(mother, {"phone": "13900001111"}, by=world.user(CLERK))
    mother_id = unseal("id_number", mother.id_number_enc)
    phone = Client()
    phone.post("/my/login/", {"id_number": mother_id, "step": "send"})
    code = re.search(r"验证码为(\d{6})", (tmp_path / "sms.jsonl").read_text(encoding="utf-8"))
    assert code is not None
    phone.post("/my/login/", {"id_number": mother_id, "code": code.group(1), "step": "login"})
    page = phone.get(f"/my/applications/{app.pk}/").content.decode()
    assert "救助金暂停发放告知书" in page and notice.number in page
    opened = phone.get(f"/my/notices/{notice.pk}/")
    assert opened.status_code == 200 and pdf_text(b"".join(opened.streaming_content)) == text
    delivery = NoticeDelivery.objects.get(notice=notice)
    assert (delivery.person_id, delivery.channel, delivery.mode) == (mother.pk, "web", "view")

    review = Review.objects.get(application=app)
    assert review.kind == "death" and review.status == "open"
    reviews_page = client_of(CLERK).get("/payments/reviews/").content.decode()
    assert app.household.head_name in reviews_page and "成员死亡" in reviews_page
    events_page = client_of(COUNTY).get("/payments/life-events/").content.decode()
    assert father.name in events_page and "暂停发放并复核" in events_page
