"""花名册: generate, check, lock (two people), with amounts recomputed each month (FND-4, DYN-4)."""

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.monitoring import actions as monitoring
from jiuzhu.payments import actions
from jiuzhu.payments.models import LedgerEntry, Roster, RosterLine
from jiuzhu.payments.tests.conftest import DEC, NOV, new_account, raise_standard
from jiuzhu.programs.engine import evaluate_household

pytestmark = pytest.mark.django_db


def test_it_generates_one_line_per_active_case_with_the_engine_amount(county, approved_case):
    """FND-4: every case in force that month, amount recomputed with that month's parameters."""
    a = approved_case()
    b = approved_case("涧头集镇", size=2)
    approved_case(start_month=DEC)  # starts later: not in November
    roster = actions.generate_roster(by=county, area_code="370405", month="2026-11")
    lines = {line.application_id: line for line in roster.lines.all()}
    assert set(lines) == {a.pk, b.pk}
    expected = evaluate_household(a.area_code, NOV, ["dibao"], a.facts)["dibao"]["monthly_amount_fen"]
    assert lines[a.pk].amount_fen == expected and lines[a.pk].members == 3
    assert lines[a.pk].change == "new"
    assert roster.total_fen == sum(line.amount_fen for line in lines.values()) and roster.line_count == 2


def test_it_gives_the_same_roster_when_the_month_is_generated_twice(county, approved_case):
    approved_case()
    first = actions.generate_roster(by=county, area_code="370405", month=NOV)
    approved_case()  # a new case meanwhile does not create a second roster
    again = actions.generate_roster(by=county, area_code="370405", month=NOV)
    assert again.pk == first.pk and Roster.objects.count() == 1 and again.lines.count() == 1
    assert actions.request_roster(by=county, area_code="370405", month=NOV).pk == first.pk


def test_it_refreshes_a_draft_in_place(county, approved_case):
    approved_case()
    first = actions.generate_roster(by=county, area_code="370405", month=NOV)
    approved_case()
    again = actions.generate_roster(by=county, area_code="370405", month=NOV, refresh=True)
    assert again.pk == first.pk and again.lines.count() == 2


def test_it_refuses_a_town_roster_under_a_county_roster_of_the_same_month(county, approved_case):
    approved_case()
    actions.generate_roster(by=county, area_code="370405", month=NOV)
    with pytest.raises(DomainError) as exc:
        actions.generate_roster(by=county, area_code="370405101", month=NOV)
    assert exc.value.code == "roster_overlap"


def test_it_lists_missing_account_deceased_and_duplicate_accounts(county, approved_case):
    """SUP-11: payments after death and shared accounts are caught before paying."""
    from jiuzhu.registry.models import Person

    no_account = approved_case(account=None)
    dead = approved_case()
    Person.objects.filter(pk=dead.applicant_id).update(death_date=dt.date(2026, 10, 3))
    shared = new_account()
    dup_a = approved_case(account=shared)
    dup_b = approved_case("涧头集镇", account=shared)
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    exceptions = {line.application_id: line.exceptions for line in roster.lines.all()}
    assert "no_account" in exceptions[no_account.pk]
    assert "deceased" in exceptions[dead.pk]
    assert "duplicate_account" in exceptions[dup_a.pk] and "duplicate_account" in exceptions[dup_b.pk]
    assert roster.exception_count == 4
    # DYN-7: the death becomes a review task
    from jiuzhu.monitoring.models import Review

    assert Review.objects.filter(application=dead, kind="death").exists()


def test_an_account_shared_only_within_one_household_is_not_a_duplicate(county, approved_case):
    """SUP-11: only an account held in more than one household is flagged, at generation and
    at 核查; a spouse's card on the same account, or a registry person without a household, is not."""
    from jiuzhu.payments.tests.conftest import set_account
    from jiuzhu.registry.models import Person

    family = approved_case(account=new_account())
    head = Person.objects.get(pk=family.applicant_id)
    spouse = family.household.members.exclude(pk=head.pk).first()
    Person.objects.filter(pk=spouse.pk).update(
        bank_account_enc=head.bank_account_enc, bank_account_index=head.bank_account_index
    )
    loose = Person.objects.filter(pk=spouse.pk).first()
    loose.pk, loose.household, loose.id_number_index = None, None, "loose-person-index"
    loose.save()
    other = approved_case("涧头集镇", account=new_account())
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    exceptions = {line.application_id: line.exceptions for line in roster.lines.all()}
    assert "duplicate_account" not in exceptions[family.pk]
    assert "duplicate_account" not in exceptions[other.pk]
    # 核查 re-reads the accounts: the other family now uses the same account → both flagged
    set_account(Person.objects.get(pk=other.applicant_id), None)
    Person.objects.filter(pk=other.applicant_id).update(bank_account_index=head.bank_account_index)
    actions.check_roster(roster, by=county)
    exceptions = {line.application_id: line.exceptions for line in roster.lines.all()}
    assert "duplicate_account" in exceptions[family.pk] and "duplicate_account" in exceptions[other.pk]


def test_check_rereads_deaths_temporary_numbers_and_accounts_in_one_read(
    county, approved_case, django_assert_max_num_queries
):
    """SUP-11, INT-24: 核查 refreshes the payee checks from the registry — a death before the
    month, a 临时编号 payee, a removed account — and clears what no longer holds."""
    from jiuzhu.payments.tests.conftest import set_account
    from jiuzhu.registry.models import Person

    dead, temporary, unpaid, later = (approved_case() for _ in range(4))
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    assert roster.exception_count == 0
    Person.objects.filter(pk=dead.applicant_id).update(death_date=dt.date(2026, 10, 30))
    Person.objects.filter(pk=later.applicant_id).update(death_date=NOV)  # died in the month: paid
    Person.objects.filter(pk=temporary.applicant_id).update(temp_number="LS3704050001")
    set_account(Person.objects.get(pk=unpaid.applicant_id), None)
    actions.check_roster(roster, by=county)
    exceptions = {line.application_id: line.exceptions for line in roster.lines.all()}
    assert exceptions == {
        dead.pk: ["deceased"],
        temporary.pk: ["unidentified"],
        unpaid.pk: ["no_account"],
        later.pk: [],
    }
    Person.objects.filter(pk=temporary.applicant_id).update(temp_number="")
    with django_assert_max_num_queries(13):
        result = actions.check_roster(roster, by=county)
    assert result["status"] == "generated"
    assert {line.application_id: line.exceptions for line in roster.lines.all()}[temporary.pk] == []


def test_it_flags_an_amount_change_above_the_threshold(county, admin, approved_case, locked_roster):
    app = approved_case()
    locked_roster()
    facts = {**app.facts, "members": app.facts["members"][:1]}  # two members left the household
    type(app).objects.filter(pk=app.pk).update(facts=facts, version=app.version + 1)
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    line = dec.lines.get()
    assert line.change == "facts" and "amount_jump" in line.exceptions
    assert line.previous_fen > line.amount_fen


def test_it_will_not_confirm_a_blocking_exception(county, approved_case):
    approved_case(account=None)
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    with pytest.raises(DomainError) as exc:
        actions.resolve_line(roster.lines.get(), by=county, decision="pay", note="先发")
    assert exc.value.code == "blocking_exception"
    assert actions.check_roster(roster, by=county)["unresolved"] == 1
    actions.resolve_line(roster.lines.get(), by=county, decision="hold", note="待补录账户")
    assert actions.check_roster(roster, by=county)["status"] == "checked"


def test_the_roster_page_offers_confirm_only_where_it_can_be_done(county, approved_case):
    """The page does not offer 确认发放 on a line with no bank account (the action refuses it);
    it says what to do instead. A line whose account is shared can still be confirmed."""
    import re

    from django.test import Client

    no_account = approved_case(account=None)
    shared = new_account()
    dup = approved_case(account=shared)
    approved_case("涧头集镇", account=shared)
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    client = Client()
    client.force_login(county)
    page = client.get(f"/payments/rosters/{roster.pk}/").content.decode()
    rows = re.findall(r'<tr data-testid="line-row".*?</tr>', page, re.S)
    row_of = {app.pk: next(r for r in rows if f"/payments/cases/{app.pk}/" in r) for app in (no_account, dup)}
    assert "暂缓发放" in row_of[no_account.pk] and "确认发放" not in row_of[no_account.pk]
    assert 'data-testid="line-blocked"' in row_of[no_account.pk]
    assert "确认发放" in row_of[dup.pk]


def test_it_needs_a_second_person_to_lock(county, admin, approved_case):
    """Two-person rule: the officer who asks to lock cannot confirm it."""
    approved_case()
    roster = actions.generate_roster(by=county, area_code="370405", month=NOV)
    actions.check_roster(roster, by=county)
    actions.request_lock(roster, by=county)
    with pytest.raises(Forbidden) as exc:
        actions.confirm_lock(roster, by=county)
    assert exc.value.code == "two_person_rule"
    assert not LedgerEntry.objects.exists()
    actions.confirm_lock(roster, by=admin)
    roster.refresh_from_db()
    assert roster.status == "locked" and roster.locked_by == admin


def test_it_books_an_entitlement_per_line_when_locked(approved_case, locked_roster):
    approved_case()
    approved_case(account=None)  # held: no entitlement
    roster = locked_roster()
    entries = LedgerEntry.objects.filter(kind="entitlement", roster=roster)
    assert entries.count() == 1
    paid_line = roster.lines.get(status="pending")
    assert entries.get().amount_fen == paid_line.amount_fen and entries.get().period == NOV


def test_it_applies_a_standard_change_from_its_month_and_says_why(world, county, admin, approved_case, locked_roster):
    """DYN-4: a new 低保标准 valid from December changes December's amounts, with the reason."""
    app = approved_case()
    nov = locked_roster()
    raise_standard(app, county=county, admin=admin)
    dec = actions.generate_roster(by=county, area_code="370405", month=DEC)
    old, new = nov.lines.get(application=app), dec.lines.get(application=app)
    assert (
        new.change == "standard"
        and ("调整为900元" in new.change_note or "调整为1,200元" in new.change_note)
        and "台政字〔2026〕99号" in new.change_note
    )
    assert new.previous_fen == old.amount_fen and new.amount_fen > old.amount_fen
    assert dec.summary["changes"]["standard"]["count"] == 1


def test_it_refuses_a_month_too_far_ahead(county):
    with pytest.raises(InvalidInput) as exc:
        actions.request_roster(by=county, area_code="370405", month="2030-01")
    assert exc.value.code == "month_too_late"


def test_it_hides_rosters_from_other_counties(world, approved_case):
    approved_case()
    with pytest.raises(DomainError) as exc:
        actions.generate_roster(by=world.user("yc_county"), area_code="370405", month=NOV)
    assert exc.value.status == 404


def test_a_town_clerk_may_not_generate_rosters(world):
    with pytest.raises(Forbidden):
        actions.generate_roster(by=world.user("tez_zhangshanzi"), area_code="370405101", month=NOV)


def test_the_job_records_progress_and_the_roster(county, approved_case):
    approved_case()
    run = actions.request_roster(by=county, area_code="370405", month=NOV)
    done = actions.run_roster(run.pk)
    assert done.status == "done" and done.roster.lines.count() == 1 and done.percent == 100


def test_lines_of_a_stopped_case_end_after_the_last_month(county, approved_case):
    app = approved_case()
    monitoring.stop_benefit(app, by=county, reason="moved", note="迁往外县", last_month=NOV)
    assert actions.generate_roster(by=county, area_code="370405", month=NOV).lines.count() == 1
    assert not RosterLine.objects.filter(month=DEC).exists()
    assert actions.generate_roster(by=county, area_code="370405", month=DEC).lines.count() == 0


def test_a_town_roster_compares_with_last_months_county_roster(county, approved_case, locked_roster):
    """FND-4: 与上月比较 — a case on last month's county roster is "same" on this month's town
    roster with last month's amount; a stopped case is counted as dropped, and a month where the
    town pays nobody still reports who dropped out."""
    stays = approved_case()
    ends = approved_case()
    elsewhere = approved_case("涧头集镇")
    locked_roster()  # November, the whole county
    monitoring.stop_benefit(ends, by=county, reason="moved", note="迁往外县", last_month=NOV)
    december = actions.generate_roster(by=county, area_code="370405101", month=DEC)  # 张山子镇
    line = december.lines.get()
    november = RosterLine.objects.get(month=NOV, application=stays)
    assert line.application_id == stays.pk and line.change == "same"
    assert line.previous_fen == november.amount_fen == line.amount_fen
    assert december.summary["dropped"] == 1 and december.summary["dropped_ids"] == [ends.pk]
    assert not december.lines.filter(application=elsewhere).exists()
    monitoring.stop_benefit(stays, by=county, reason="moved", note="迁往外县", last_month=DEC)
    january = actions.generate_roster(by=county, area_code="370405101", month=dt.date(2027, 1, 1))
    assert january.line_count == 0
    assert january.summary["dropped"] == 1 and january.summary["dropped_ids"] == [stays.pk]


def test_a_new_lines_note_is_shown_only_when_it_adds_to_the_label(county, approved_case):
    """A case paid from this month says since when; one that started earlier is just 新增."""
    starts_now = approved_case(start_month=DEC)
    started_before = approved_case(start_month=NOV)
    lines = {
        line.application_id: line
        for line in actions.generate_roster(by=county, area_code="370405", month=DEC).lines.all()
    }
    assert lines[starts_now.pk].change_detail == "自2026年12月起发放"
    assert lines[started_before.pk].change == "new" and lines[started_before.pk].change_detail == ""


def test_a_roster_is_computed_with_the_cyclic_collector_paused(county, approved_case):
    """Issue 20 item 4: a roster's hundreds of thousands of live tuples made the collector run
    over and over for nothing; it waits until the roster is written."""
    import gc

    approved_case()
    seen: list[bool] = []
    actions.generate_roster(by=county, area_code="370405", month=NOV, progress=lambda *_: seen.append(gc.isenabled()))
    assert seen and not any(seen)
    assert gc.isenabled()


def test_a_case_whose_facts_the_rules_refuse_gets_a_line_saying_why(county, approved_case):
    """The 测算基础 of each case is built beside the reading of the next ones (issue 20 item 4):
    a case whose stored facts the engine refuses still gets its line, at 0 with the reason, and
    the others are paid — on the first roster (every case read in one stream) and on a later one
    (only the changed case read again)."""
    from django.db.models import F

    from jiuzhu.applications.models import Application

    good, bad, other, *more = (approved_case() for _ in range(5))  # later, 2 of 5 read again: by their ids
    Application.objects.filter(pk=bad.pk).update(
        facts={"urban": False, "members": [{"relation": "self", "age": 300}]}, version=F("version") + 1
    )
    first = actions.generate_roster(by=county, area_code="370405", month=NOV)
    lines = {line.application_id: line for line in first.lines.all()}
    assert lines[bad.pk].amount_fen == 0 and lines[bad.pk].change_note.startswith("家庭情况数据有误：")
    assert lines[good.pk].amount_fen > 0 and lines[other.pk].amount_fen > 0 and len(lines) == 5

    Application.objects.filter(pk=other.pk).update(
        facts={"urban": False, "members": [{"relation": "self", "age": -1}]}, version=F("version") + 1
    )
    second = actions.generate_roster(by=county, area_code="370405", month=DEC)
    lines = {line.application_id: line for line in second.lines.all()}
    assert lines[other.pk].amount_fen == 0 and lines[other.pk].change_note.startswith("家庭情况数据有误：")
    assert lines[bad.pk].amount_fen == 0 and lines[good.pk].amount_fen > 0
    assert all(lines[case.pk].amount_fen > 0 for case in more)


def test_a_one_off_paid_last_month_is_not_counted_as_dropped(county, approved_case):
    """FND-4 (found walking): December's roster said "上月在册、本月不再发放：1 户（停发、渐退期满或
    迁出）" for a 临时救助 paid once in November — nobody had stopped. Only monthly cases were 在册."""
    import datetime as dt_

    from django.utils import timezone

    from jiuzhu.applications.models import Application

    monthly = approved_case()
    once = approved_case()  # then made a decided one-off 临时救助 (written directly)
    Application.objects.filter(pk=once.pk).update(
        program="temporary",
        amount_fen=150_000,
        start_month=None,
        decided_at=timezone.make_aware(dt_.datetime(2026, 11, 5, 10)),
    )
    november = actions.generate_roster(by=county, area_code="370405", month=NOV)
    assert {line.application_id for line in november.lines.all()} == {monthly.pk, once.pk}
    december = actions.generate_roster(by=county, area_code="370405", month=DEC)
    assert {line.application_id for line in december.lines.all()} == {monthly.pk}
    assert december.summary["dropped"] == 0 and december.summary["dropped_ids"] == []


def test_a_case_approved_after_its_first_month_s_roster_is_paid_that_month_too(county, approved_case, locked_roster):
    """PAY-1 (found walking; a 特困 case there, 低保 here): 王淑兰's 特困 was approved from
    January after January's roster was locked; February's roster paid February only — January
    was never paid and nothing said so, while 掌上办 told her "自2027年1月起按月发放". The first
    line of a case now also pays each month from its start whose roster (of its area or above) it
    missed — 补发, noted on the line and kept as a 专项发放 of kind 补发; the family still reads
    the monthly amount. A month with no roster in this system owes nothing."""
    from jiuzhu.monitoring.amounts import monthly_amount
    from jiuzhu.payments.models import ScheduledPayment

    jan, feb = dt.date(2027, 1, 1), dt.date(2027, 2, 1)
    locked_roster(month=DEC)  # December's roster, locked before the late case was approved
    late = approved_case(start_month=DEC)
    old = approved_case(start_month=NOV)  # no November roster in this system: only December owed
    january = actions.generate_roster(by=county, area_code="370405", month=jan)
    line = january.lines.get(application=late)
    february = actions.generate_roster(by=county, area_code="370405", month=feb)
    monthly = february.lines.get(application=late).amount_fen
    assert line.amount_fen == 2 * monthly and line.change == "new"
    assert "含补发2026年12月救助金（审批晚于当月花名册生成）" in line.change_note
    kept = ScheduledPayment.objects.get(application=late)
    assert (kept.kind, kept.month, kept.amount_fen) == ("back_pay", jan, monthly)
    owed = january.lines.get(application=old)
    assert owed.amount_fen == 2 * february.lines.get(application=old).amount_fen
    assert "补发2026年12月救助金" in owed.change_note and "2026年11月" not in owed.change_note
    assert "补发" not in february.lines.get(application=late).change_note
    assert monthly_amount(late)[0] == monthly and monthly_amount(late)[2] is None
    # generated again (a draft), the back pay is carried once, not twice
    again = actions.generate_roster(by=county, area_code="370405", month=jan, refresh=True)
    assert again.lines.get(application=late).amount_fen == 2 * monthly
    assert ScheduledPayment.objects.filter(application=late).count() == 1
