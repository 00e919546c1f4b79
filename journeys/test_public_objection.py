"""A neighbour objects through the village 公示 page and the town clerk finds the objection on
the case (issue 18 item 5; DOC-10, SUP-2, WF-8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from jiuzhu.applications.tests.test_decisions import publicizing_case
from jiuzhu.core.masking import mask_person_name
from journeys.conftest import CLERK

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_a_neighbour_objects_through_the_gongshi_page(
    world: Any, signed_intake: Any, client_of: Any, api_of: Any
) -> None:
    """DOC-10, SUP-2: the 公示 page lists the family masked; the neighbour objects anonymously
    with a reason; the case goes to 民主评议 and the clerk reads the objection on the case page."""
    cache.clear()
    app = publicizing_case(world, signed_intake)
    page_url = f"/public/gongshi/{app.area_code}/"

    # The neighbour scans the QR code on the 公示栏 sheet: no account, no login.
    neighbour = Client(enforce_csrf_checks=True)
    page = neighbour.get(page_url)
    html = page.content.decode()
    assert page.status_code == 200 and mask_person_name(app.applicant.name) in html
    assert app.applicant.name not in html
    token = neighbour.cookies["csrftoken"].value
    done = neighbour.post(
        page_url,
        {"csrfmiddlewaretoken": token, "number": app.number, "name": "", "phone": "", "reason": "他家新买了小轿车"},
    )
    assert done.status_code == 200 and "您的异议已收到" in done.content.decode()

    # The town clerk: the objection is on the case, and the case waits for 民主评议.
    app.refresh_from_db()
    assert app.state == "deliberating"
    detail = client_of(CLERK).get(f"/applications/{app.id}/").content.decode()
    assert "他家新买了小轿车" in detail and "匿名（公示网页在线异议）" in detail
    body = api_of(CLERK).get(f"/api/v1/applications/{app.id}").json()
    assert body["state"] == "deliberating"
    # The entry has left the public list once the case went to 民主评议.
    assert 'data-testid="gongshi-entry"' not in neighbour.get(page_url).content.decode()
