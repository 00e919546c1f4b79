"""A complaint handled to closure (issue 18 item 6; SUP-4, SUP-3): a neighbour in 北洛村 reports
on the public site that a 低保 recipient has a second house; the county finds it overdue-bound,
routes it to 张山子镇 with a handler, who records the visit, confirms the person is the recipient
of a case and opens a review on it, replies and closes; the neighbour reads the reply with the
tracking number and phone, and nobody but the handler and the county sees who reported.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiuzhu.holidays.calendar import current_calendar
from journeys.conftest import CLERK, COUNTY, VIEWER

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_a_report_about_a_recipient_is_handled_to_closure(world, approved_case, clock, client_of, api_of):
    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.complaints.models import Complaint
    from jiuzhu.monitoring.models import Review

    clock("2026-11-02 09:00")
    case = approved_case("张山子镇")
    neighbour = Client(REMOTE_ADDR="10.0.0.8")
    form = neighbour.get("/public/complaints/new/").content.decode()
    assert "北洛村" in form and "退出" not in form
    done = neighbour.post(
        "/public/complaints/new/",
        {
            "category": "report",
            "area_code": case.area_code,
            "subject": "低保户家里另有住房",
            "recipient_name": "王某",
            "recipient_village": "北洛村",
            "text": "该户在城里另有一套商品房出租。",
            "reporter_name": "赵邻居",
            "reporter_phone": "13912345678",
        },
    ).content.decode()
    number = re.search(r"TS370405-2026-\d{6}", done).group()
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.due_on == current_calendar().add_working_days(complaint.created_at.date(), 15)

    clock("2026-12-01 09:00")  # past the deadline: the county sees it overdue
    county = client_of(COUNTY)
    overdue = county.get("/complaints/?status=overdue").content.decode()
    assert number in overdue and "已超期" in overdue
    clerk = world.user(CLERK)
    api = api_of(COUNTY)
    r = api.post(
        f"/api/v1/complaints/{complaint.pk}/actions/assign",
        {"town_code": "370405101000", "handler_id": clerk.pk, "note": "请属地核实"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["handler"] == clerk.display_name

    town = client_of(CLERK)
    page = town.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "赵*" in page and "赵邻居" not in page  # masked until the handler asks
    assert "赵邻居" in town.post(f"/complaints/{complaint.pk}/identity/").content.decode()
    town.post(f"/complaints/{complaint.pk}/note/", {"text": "入户核实：确有一套住房出租"})
    town.post(f"/complaints/{complaint.pk}/open_review/", {"application_number": case.number})
    complaint.refresh_from_db()
    review = Review.objects.get(pk=complaint.review_id)
    assert review.application == case and review.status == "open"
    town.post(f"/complaints/{complaint.pk}/reply/", {"text": "经核实情况属实，已对该户启动复核，感谢监督。"})
    town.post(f"/complaints/{complaint.pk}/close/", {"note": "已电话告知举报人"})
    complaint.refresh_from_db()
    assert complaint.status == "closed"

    seen = neighbour.post("/public/complaints/track/", {"tracking_number": number, "secret": "13912345678"})
    html = seen.content.decode()
    assert "已办结" in html and "已对该户启动复核" in html and "赵邻居" not in html
    supervisor = client_of(VIEWER).get(f"/complaints/{complaint.pk}/").content.decode()
    assert "已办结" in supervisor
    actions = list(
        AuditEntry.objects.filter(object_type="complaints.complaint", object_id=str(complaint.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "complaints.submit",
        "complaints.assign",
        "complaints.identity.reveal",
        "complaints.note",
        "complaints.open_review",
        "complaints.reply",
        "complaints.close",
    ]
