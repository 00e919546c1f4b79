"""A stopped case withdraws the referrals no department has answered (LNK-3, DYN-3)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from jiuzhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_a_stop_withdraws_the_referrals_still_waiting_and_keeps_what_was_granted(
    world: Any, approved_dibao: Any, client_of: Any
) -> None:
    """常玉华's 低保 stopped when she moved away while 医保局 still had her 医疗救助 referral
    waiting: a department must not go on helping her as a 低保 family. The stop withdraws every
    referral of the case that no department has answered — the department sees 已撤销 and why,
    the family too — and leaves what a department already granted (and its trail) alone."""
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.referrals import actions as referrals

    app = approved_dibao()
    created = app.created_referrals
    granted = next(r for r in created if r.department is not None and r.department.code == "yibao")
    waiting = [r for r in created if r.pk != granted.pk]
    assert waiting
    clerk = world.user("tez_yibao")
    referrals.accept(granted, by=clerk)
    referrals.decide(
        granted,
        by=clerk,
        granted=True,
        note="已资助参保个人缴费",
        amount_fen=38000,
        granted_from=timezone.localdate(),
        person_ids=[app.applicant_id],
    )
    approver = world.user("tez_zhangshanzi_sp")
    monitoring.stop_benefit(app, by=approver, reason="moved", note="随女儿迁往外县居住，户籍已迁出")
    for ref in waiting:
        ref.refresh_from_db()
        assert ref.status == "cancelled" and ref.result_note == "救助对象已停发（迁出本辖区），派单撤销"
        entry = AuditEntry.objects.for_object(ref).get(action="referrals.cancel")
        assert entry.changes["reason"] == ref.result_note and entry.actor_id == approver.pk
    granted.refresh_from_db()
    assert granted.status == "granted"
    page = client_of("tez_zhangshanzi").get(f"/referrals/{waiting[0].pk}/").content.decode()
    assert "已撤销" in page and "救助对象已停发（迁出本辖区），派单撤销" in page


def test_the_end_of_a_gradual_exit_withdraws_the_referrals_still_waiting(world: Any, approved_dibao: Any) -> None:
    """DYN-8, LNK-3: a 渐退 benefit ends when the roster of the month after its last month is
    generated (渐退期满停发); like every other stop it withdraws the referrals no department has
    answered. (The 渐退 decision itself is walked in ``monitoring/tests/test_reviews.py``; here the
    benefit is put in 渐退 directly.)"""
    from jiuzhu.payments import actions as payments
    from jiuzhu.payments.models import Benefit, add_months

    app = approved_dibao()
    waiting = app.created_referrals
    assert waiting
    county = world.user("tez_county")
    start = app.start_month
    payments.generate_roster(by=county, area_code="370405", month=start)  # the benefit's register
    Benefit.objects.filter(application=app).update(status="gradual", end_month=start, gradual_amount_fen=120000)
    assert all(r.status != "cancelled" for r in waiting)
    payments.generate_roster(by=county, area_code="370405", month=add_months(start, 1))
    assert Benefit.objects.get(application=app).stop_reason == "gradual_end"
    for ref in waiting:
        ref.refresh_from_db()
        assert ref.status == "cancelled" and ref.result_note == "救助对象已停发（渐退期满），派单撤销"
        assert AuditEntry.objects.for_object(ref).filter(action="referrals.cancel").exists()
    # 掌上办: no 停发告知书 is issued by this path — the family is sent to the 渐退告知书
    from jiuzhu.core.dates import month_label
    from jiuzhu.portal.queries import case_view

    view = case_view(app)
    assert view.plain == f"渐退期已满，救助金已停发，最后发放{month_label(start)}。"
    assert "《救助渐退告知书》" in view.next_step and "停发告知书" not in view.next_step
