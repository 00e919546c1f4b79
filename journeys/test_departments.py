"""Joint action (一体联动): the family approved for 低保 is referred to the departments; 医保
grants the mother's hospital bill and 教体 the pupil's school aid; each grant appears once, for
the person it names, in the family's 两清单 and the recipient register (LNK-1, LNK-3, REG-2,
REG-3, GOV-14)."""

from __future__ import annotations

import pytest

from journeys.conftest import CLERK, approved_family, pdf_text, post

pytestmark = [pytest.mark.journey, pytest.mark.django_db]


def test_journey_department_grants_are_counted_once_in_the_two_lists(world, signed_intake, clock, api_of, client_of):
    from jiuzhu.referrals.models import AssistanceRecord, Referral

    app = approved_family(world, signed_intake, clock)
    referrals = Referral.objects.filter(household=app.household)
    assert referrals.exists()
    yibao = api_of("tez_yibao")
    inbox = yibao.get("/api/v1/referrals").json()
    mine = [r for r in inbox["items"] if r["household_id"] == app.household_id] if "items" in inbox else inbox
    assert mine, inbox
    ref = referrals.get(department__code="yibao")
    spouse = app.household.members.get(relation="spouse")

    clock("2026-11-10 09:30")
    assert post(yibao, f"/api/v1/referrals/{ref.pk}/actions/accept").status_code == 200
    clock("2026-11-18 16:00")
    done = post(
        yibao,
        f"/api/v1/referrals/{ref.pk}/actions/decide",
        {
            "granted": True,
            "note": "住院医疗费用医疗救助",
            "recipients": [{"person_id": spouse.pk, "amount_fen": 2_400_000}],
            "granted_from": "2026-11-18",
        },
    )
    assert done.status_code == 200, done.content
    rows = AssistanceRecord.objects.filter(source="referral", source_ref=ref.number)
    assert [(r.person_id, r.amount_fen) for r in rows] == [(spouse.pk, 2_400_000)]

    service = api_of(CLERK).get(f"/api/v1/households/{app.household_id}/service-list").json()
    medical = [r for r in service["records"] if r["amount_fen"] == 2_400_000]
    assert len(medical) == 1 and service["totals"]["once_fen"] == 2_400_000
    lists = client_of(CLERK).get(f"/households/{app.household_id}/lists.pdf")
    assert lists.status_code == 200
    text = pdf_text(lists.content)
    assert "24,000.00" in text and "48,000.00" not in text and "72,000.00" not in text
    # The department sees its own referral, never the family's registry file.
    assert yibao.get(f"/api/v1/households/{app.household_id}").status_code == 404
