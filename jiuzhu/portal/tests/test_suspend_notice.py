"""The 救助金暂停发放告知书 of a life event reaches the family on the applicant site (issue 17
item 7, issue 18; DYN-7, SUP-16): a death in 公安 data suspends a family's money; the notice is a
notice of the case, listed on its page under ``/my/``, readable there and through the API, each
delivery logged — and another household does not reach it."""

from __future__ import annotations

import pytest
from django.test import Client

from jiuzhu.applications.models import Notice
from jiuzhu.applications.tests.conftest import png, signed_intake
from jiuzhu.payments.tests.conftest import admin, approved_case, county, locked_roster
from jiuzhu.portal.models import NoticeDelivery
from jiuzhu.registry.actions import update_member
from jiuzhu.registry.pii import unseal
from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, plain_ids, row_for, upload

from .test_follow import signed_in

__all__ = [  # fixtures
    "admin",
    "approved_case",
    "catalog",
    "county",
    "jobs",
    "locked_roster",
    "png",
    "signed_intake",
    "upload",
]

pytestmark = pytest.mark.django_db


class _Member:
    """A family member who signs in: ID number and registry phone (what ``signed_in`` needs)."""

    def __init__(self, id_number: str, phone: str) -> None:
        self.id_number, self.phone = id_number, phone


def test_the_suspend_notice_of_a_death_is_listed_and_delivered_on_the_applicant_site(
    world, catalog, upload, approved_case, family, sms_file
):
    app = approved_case(size=3)
    ids = plain_ids(app.household)
    head, spouse = app.household.members.get(relation="self"), app.household.members.get(relation="spouse")
    update_member(spouse, {"phone": "13900002222"}, by=world.user("tez_zhangshanzi"))
    rows = [row_for("gongan.hukou", id_number=ids[0], event="死亡", event_on="2026-11-20")]
    upload("gongan.hukou", csv_bytes(headers_of("gongan.hukou"), rows))
    head.refresh_from_db()
    assert head.death_date is not None
    notice = Notice.objects.get(application=app, kind="suspend")

    web, bearer = signed_in(_Member(unseal("id_number", spouse.id_number_enc), "13900002222"), sms_file)
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert "救助金暂停发放告知书" in page and notice.number in page
    assert "起暂停发放（领款人死亡，待确定新的领款人）" in page  # what the money does now, in words
    body = Client().get(f"/api/v1/my/applications/{app.pk}", headers=bearer).json()
    assert "救助金暂停发放告知书" in [n["title"] for n in body["notices"]]
    view = web.get(f"/my/notices/{notice.pk}/")
    assert view.status_code == 200 and b"".join(view.streaming_content).startswith(b"%PDF")
    api = Client().get(f"/api/v1/my/notices/{notice.pk}.pdf", headers=bearer)
    assert api.status_code == 200 and api["Content-Type"] == "application/pdf"
    rows_logged = list(NoticeDelivery.objects.filter(notice=notice).order_by("id"))
    assert [(r.person_id, r.channel, r.mode) for r in rows_logged] == [
        (spouse.pk, "web", "view"),
        (spouse.pk, "api", "download"),
    ]

    other = family()  # another household signed in does not reach it
    other_web, _ = signed_in(other, sms_file)
    assert other_web.get(f"/my/notices/{notice.pk}/").status_code == 404


def test_the_family_reads_what_its_money_does_now(world, approved_case, sms_file):
    """INT-9 in the family's words: an approved 低保 says how much comes every month and from
    when; once stopped it says so and why, and points to the 停发告知书 — not "按月发放" still."""
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments.tests.conftest import NOV

    app = approved_case(size=2, start_month=NOV)
    head = app.household.members.get(relation="self")
    update_member(head, {"phone": "13900003333"}, by=world.user("tez_zhangshanzi"))
    web, bearer = signed_in(_Member(unseal("id_number", head.id_number_enc), "13900003333"), sms_file)
    amount = f"{app.amount_fen / 100:,.2f}元"
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert f"每月救助金{amount}，自2026年11月起按月发放" in page
    monitoring.stop_benefit(app, by=world.user("tez_county"), reason="income", note="家庭成员就业，收入超过标准")
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert "救助金已停发（家庭收入超过标准）" in page and "《救助金停发告知书》" in page
    assert "按月发放" not in page
    body = Client().get(f"/api/v1/my/applications/{app.pk}", headers=bearer).json()
    assert body["plain"] == "救助金已停发（家庭收入超过标准）。"


def test_the_family_reads_the_amount_it_receives_after_a_raise_and_a_review(
    world, county, admin, approved_case, locked_roster, signed_intake, sms_file
):
    """INT-9, DYN-4: after the 低保标准 rises the family is told the new monthly amount and from
    when, with what it was before — not the amount of the first approval; a review's adjustment
    decided before its month comes is told as the amount to come."""
    import copy

    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.core.dates import month_label
    from jiuzhu.monitoring import actions as monitoring
    from jiuzhu.payments.tests.conftest import DEC, NOV, raise_standard
    from jiuzhu.verification.actions import run_verification

    app = approved_case(household=signed_intake(programs=("dibao_edge",)).household, start_month=NOV)
    first = app.amount_fen
    locked_roster()
    raise_standard(app, county=county, admin=admin)
    raised = locked_roster(month=DEC).lines.get(application=app).amount_fen
    assert raised > first
    head = app.household.members.get(relation="self")
    update_member(head, {"phone": "13900004444"}, by=world.user("tez_zhangshanzi"))
    web, bearer = signed_in(_Member(unseal("id_number", head.id_number_enc), "13900004444"), sms_file)
    yuan = lambda fen: f"{fen / 100:,.2f}元"  # noqa: E731
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert f"每月救助金{yuan(raised)}，自2026年12月起调整（此前每月{yuan(first)}）" in page
    assert f"每月救助金{yuan(first)}，自2026年11月起按月发放" not in page

    # a review: the family now gets 300元 a month from the children, so 300元 less from next month
    from jiuzhu.applications.models import Application
    from jiuzhu.registry.models import Household

    household = Household.objects.get(pk=app.household_id)
    facts = copy.deepcopy(app.facts)
    facts["members"][0].setdefault("incomes", {})["transfer"] = 30000
    review = monitoring.report_change(app, by=county, reason="子女每月给付赡养费300元", facts=facts)
    review = monitoring.start_review(review, by=county)
    run_verification(by=SystemActor("核对中心"), household=household, program=app.program, request=review.verification)
    review.refresh_from_db()
    review = monitoring.decide_review(review, by=county, outcome="change", note="赡养费增加")
    after = Application.objects.get(pk=app.pk).amount_fen
    assert review.effective_month > DEC and after < raised  # decided today, in force from next month
    since = month_label(review.effective_month)
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert f"每月救助金{yuan(after)}，自{since}起调整（此前每月{yuan(raised)}）" in page
    body = Client().get(f"/api/v1/my/applications/{app.pk}", headers=bearer).json()
    assert body["plain"].startswith(f"每月救助金{yuan(after)}，自{since}起调整")


def test_a_family_without_a_registered_account_is_told_what_to_bring(world, approved_case, sms_file):
    """INT-9: the roster holds a line whose payee has no account (暂缓发放) until the town
    registers one; the family was told the money went to its card. It is now told it waits, and
    what to bring where; once the account is registered it reads where the money goes."""
    from jiuzhu.payments.tests.conftest import new_account, set_account

    app = approved_case(account=None)
    head = app.household.members.get(relation="self")
    update_member(head, {"phone": "13900005555"}, by=world.user("tez_zhangshanzi"))
    web, bearer = signed_in(_Member(unseal("id_number", head.id_number_enc), "13900005555"), sms_file)
    waiting = f"领款人{head.name}尚未登记社会保障卡（一卡通）账户，救助金暂不能发放"
    assert waiting in web.get(f"/my/applications/{app.pk}/").content.decode()
    body = Client().get(f"/api/v1/my/applications/{app.pk}", headers=bearer).json()
    assert body["next_step"].startswith(waiting) and "社会救助窗口登记" in body["next_step"]
    set_account(head, new_account())
    page = web.get(f"/my/applications/{app.pk}/").content.decode()
    assert waiting not in page and "救助金发放至领款人的社会保障卡（一卡通）账户" in page


def test_the_family_follows_a_one_off_to_the_bank_and_reads_a_failed_transfer(
    world, county, approved_case, locked_roster
):
    """INT-9 (found walking): a one-off 临时救助 read "救助金发放至领款人的社会保障卡账户" before,
    during and after the bank — and after a failed transfer. The family now reads where it is:
    sent, paid (the amount and the roster's month), or failed with the bank's reason and what to do."""
    import datetime as dt

    from django.utils import timezone

    from jiuzhu.applications.models import Application
    from jiuzhu.payments import actions
    from jiuzhu.payments.tests.conftest import NOV, result_csv
    from jiuzhu.portal.queries import case_view

    app = approved_case()
    Application.objects.filter(pk=app.pk).update(
        program="temporary",
        amount_fen=150_000,
        start_month=None,
        decided_at=timezone.make_aware(dt.datetime(2026, 11, 3)),
    )
    app.refresh_from_db()
    assert case_view(app).plain == "申请已批准，临时救助金1,500.00元，一次性发放。"
    roster = locked_roster(month=NOV)
    batch, _, _ = actions.export_bank_file(roster, by=county)
    assert case_view(app).plain.endswith("已送银行办理转账。")
    reference = batch.lines.get(line__application=app).reference
    actions.import_bank_results(
        batch, by=county, file_name="回盘.csv", data=result_csv(batch, fail={reference: "账户已销户"})
    )
    view = case_view(app)
    assert view.plain == "申请已批准，临时救助金1,500.00元，一次性发放，银行转账未成功（账户已销户）。"
    assert view.next_step.startswith("镇（街道）将核实账户后重新发放")
