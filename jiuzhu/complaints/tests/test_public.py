"""The public 投诉举报 form and progress query, no login (SUP-4; issue 18 item 6)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from jiuzhu.audit.models import AuditEntry
from jiuzhu.complaints.models import Complaint

from .conftest import BEILUO, form_data

pytestmark = pytest.mark.django_db


def submit(client: Client, **over: object) -> Complaint:
    r = client.post("/public/complaints/new/", form_data(**over))
    assert r.status_code == 200, r.content.decode()
    number = re.search(r"TS\d{6}-\d{4}-\d{6}", r.content.decode())
    assert number, r.content.decode()
    return Complaint.objects.get(tracking_number=number.group())


def test_it_takes_a_complaint_without_login_and_gives_a_tracking_number(world):
    """SUP-4: the public form gives a tracking number per county and year; the identity is
    stored sealed, never in clear."""
    client = Client(enforce_csrf_checks=True)
    page = client.get("/public/complaints/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "csrfmiddlewaretoken" in html and "退出" not in html and "家庭档案" not in html
    token = client.cookies["csrftoken"].value
    r = client.post("/public/complaints/new/", {**form_data(), "csrfmiddlewaretoken": token})
    assert r.status_code == 200
    c = Complaint.objects.get()
    assert re.fullmatch(r"TS370405-\d{4}-000001", c.tracking_number)
    assert c.tracking_number in r.content.decode()
    assert c.town_code == "370405101000" and c.area_code == BEILUO and c.channel == "public"
    assert c.reporter_name_masked == "李**" and c.reporter_phone_masked == "138****5678"
    assert b"13812345678" not in bytes(c.reporter_phone_enc) and "李大明" not in str(c.__dict__)
    assert AuditEntry.objects.filter(action="complaints.submit", object_id=str(c.pk)).exists()
    second = submit(Client())
    assert second.tracking_number.endswith("-000002")


def test_it_refuses_a_post_without_csrf(world):
    """SUP-4: the public form is CSRF-protected."""
    r = Client(enforce_csrf_checks=True).post("/public/complaints/new/", form_data())
    assert r.status_code == 403 and not Complaint.objects.exists()


def test_it_names_the_field_at_fault_and_saves_nothing(world):
    """SUP-4: bad input gets a Chinese message naming the field; nothing half-saved."""
    r = Client().post("/public/complaints/new/", form_data(reporter_phone="12345"))
    assert "联系电话格式不正确" in r.content.decode()
    r = Client().post("/public/complaints/new/", form_data(reporter_phone=""))
    assert "请填写联系电话，或选择匿名" in r.content.decode()
    r = Client().post("/public/complaints/new/", form_data(text=""))
    assert "具体内容" in r.content.decode()
    assert not Complaint.objects.exists()


def test_it_accepts_an_anonymous_report_and_gives_a_query_code(world):
    """SUP-4: anonymous allowed; the 查询码 then replaces the phone for the progress query."""
    r = Client().post("/public/complaints/new/", form_data(anonymous="on", reporter_name="李大明", reporter_phone=""))
    html = r.content.decode()
    c = Complaint.objects.get()
    assert c.anonymous and c.reporter_name_enc is None and c.reporter_phone_masked == ""
    code = re.search(r'data-testid="query-code">(\d{6})<', html).group(1)
    found = Client().post("/public/complaints/track/", {"tracking_number": c.tracking_number, "secret": code})
    assert "已受理" in found.content.decode() and 'data-testid="track-result"' in found.content.decode()


def test_it_answers_the_same_for_an_unknown_number_and_a_wrong_phone(world):
    """SUP-4: progress by tracking number + phone; no enumeration."""
    c = submit(Client())
    client = Client()
    ok = client.post("/public/complaints/track/", {"tracking_number": c.tracking_number, "secret": "13812345678"})
    assert 'data-testid="track-result"' in ok.content.decode() and "办理期限" in ok.content.decode()
    wrong = client.post("/public/complaints/track/", {"tracking_number": c.tracking_number, "secret": "13900000000"})
    unknown = client.post(
        "/public/complaints/track/", {"tracking_number": "TS370405-2026-999999", "secret": "13812345678"}
    )
    for r in (wrong, unknown):
        html = r.content.decode()
        assert "未查到相符的投诉举报" in html and c.subject not in html


def test_it_limits_submissions_per_address(world):
    """SUP-4: a rate limit per IP on the public form."""
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(5):
        client.post("/public/complaints/new/", form_data())
    r = client.post("/public/complaints/new/", form_data())
    assert "提交过于频繁" in r.content.decode()
    assert Complaint.objects.count() == 5
    other = Client(REMOTE_ADDR="10.9.9.9").post("/public/complaints/new/", form_data())
    assert "TS370405" in other.content.decode()
