"""复核与动态管理 (DYN-1 … DYN-8): due reviews, change reports, the review visit with a fresh
核对报告, the conclusion (continue, change, 渐退, stop) and stops decided directly."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import Subquery
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.permissions import require
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.applications.models import Application
from jiuzhu.audit.log import record
from jiuzhu.core.dates import month_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.payments import roster as roster_mod
from jiuzhu.payments.actions._common import (
    MAX_GRADUAL_MONTHS,
    _today,
    _who,
    check_chosen_stop_reason,
    parse_month,
)
from jiuzhu.payments.actions.benefits import end_benefit, lock_benefit, pull_lines
from jiuzhu.payments.actions.rosters import issue_notice
from jiuzhu.payments.models import Benefit, RosterLine, add_months, month_start
from jiuzhu.programs.engine import evaluate_household, work_income_rose
from jiuzhu.referrals.records import end_case_records
from jiuzhu.rules import amount_basis

from ..models import Review


def open_reviews(
    application_ids: list[int], kind: str, reason: str, start: dt.date, due_on: dt.date | None = None, *, by: User
) -> int:
    """Create review tasks (at most one open per case), set-based; returns how many were new.

    One ``INSERT … SELECT`` per county and chunk of cases; a case that already has an open
    review is skipped by the unique index (``ON CONFLICT DO NOTHING``), so the rows inserted
    are the reviews opened. (A re-verification's first run opens one per case with a finding,
    tens of thousands: building a model instance per row cost more than the finding itself.)"""
    if not application_ids:
        return 0
    counties = sorted(
        Application.objects.filter(pk__in=application_ids).order_by().values_list("county_code", flat=True).distinct()
    )
    calendar = current_calendar()
    creator = _who(by)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    insert = (
        f"INSERT INTO {Review._meta.db_table} (application_id, area_code, county_code, kind, status, due_on, "
        "reason, created_by_id, created_at, evaluation, outcome, note) "
        "SELECT id, area_code, county_code, %s, 'open', %s, %s, %s, %s, '{{}}', '', '' "
        f"FROM {Application._meta.db_table} WHERE county_code = %s AND id IN ({{ids}}) ON CONFLICT DO NOTHING"
    )
    opened = 0
    with transaction.atomic(), connection.cursor() as cur:
        for county in counties:
            # one deadline per county: same start, same limit
            due = due_on or calendar.add_working_days(start, roster_mod.config_for(county).review_limit_days)
            head = [kind, connection.ops.adapt_datefield_value(due), reason[:200], creator and creator.pk, now, county]
            for first in range(0, len(application_ids), OPEN_CHUNK):
                ids = application_ids[first : first + OPEN_CHUNK]
                cur.execute(insert.format(ids=", ".join(["%s"] * len(ids))), [*head, *ids])
                opened += max(cur.rowcount, 0)
        if opened:
            record(
                by,
                f"payments.review.open_{kind}",
                None,
                area_code=counties[0].ljust(12, "0"),
                changes={"cases": application_ids[:200], "count": opened, "reason": reason},
            )
    return opened


OPEN_CHUNK = 5000  # cases per statement (SQLite allows 32,766 parameters)


def create_due_reviews(*, by: User, on: dt.date | None = None, county_code: str | None = None) -> int:
    """定期复核 (DYN-1, DYN-5, DYN-8): cases due within the county's lead time become review
    tasks with the review date as deadline; 特困 minors turning 18 get an age review."""
    today = on or _today()
    made = 0
    counties = (
        [county_code]
        if county_code
        else list(Benefit.objects.exclude(status="stopped").values_list("county_code", flat=True).distinct())
    )
    for county in counties:
        config = roster_mod.config_for(county)
        horizon = today + dt.timedelta(days=config.review_lead_days)
        due = (
            Benefit.objects.filter(county_code=county, next_review_on__lte=horizon)
            .exclude(status="stopped")
            .exclude(application_id__in=Subquery(Review.objects.open().values("application_id")))
            .values_list("application_id", "next_review_on")
        )
        by_date: dict[dt.date, list[int]] = defaultdict(list)
        for app, when in due:
            by_date[when].append(app)
        for when, apps in by_date.items():
            made += open_reviews(
                apps, "periodic", f"定期复核（复核日期{when:%Y-%m-%d}）", today, due_on=max(when, today), by=by
            )
        adults = []
        for app, facts in Application.objects.filter(
            benefit__county_code=county, benefit__status="active", program="tekun"
        ).values_list("pk", "facts"):
            for m in (facts or {}).get("members", []):
                birth = m.get("birth_date")
                if birth and today <= _add_years(dt.date.fromisoformat(str(birth)[:10]), 18) <= horizon:
                    adults.append(app)
                    break
        made += open_reviews(adults, "age", "特困供养未成年人即将年满18周岁（DYN-5）", today, by=by)
    return made


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def report_change(application: Application, *, by: User, reason: str, facts: dict[str, Any] | None = None) -> Review:
    """变更报告 (成员变化、收入变化) at any time: a review of the case, with the new facts."""
    require(by, "payments.review")
    require_in_scope(by=by, area_code=application.area_code)
    if not (reason or "").strip():
        raise InvalidInput("required", "请说明变化情况（如成员变化、收入变化）", field="reason")
    if facts is not None:
        _validate_facts(application, facts)
    with transaction.atomic():
        lock_benefit(application)
        review = Review.objects.select_for_update().filter(application=application).open().first()
        if review is None:
            review = Review.objects.create(
                application=application,
                area_code=application.area_code,
                county_code=application.county_code,
                kind="change",
                reason=reason.strip()[:200],
                facts=facts,
                created_by=_who(by),
                due_on=current_calendar().add_working_days(
                    _today(), roster_mod.config_for(application.county_code).review_limit_days
                ),
            )
        else:
            review.reason = f"{review.reason}；{reason.strip()}"[:200]
            if facts is not None:
                review.facts = facts
            review.save(update_fields=["reason", "facts"])
        record(
            by,
            "payments.review.change_report",
            application,
            changes={"review": review.pk, "reason": reason, "facts_changed": facts is not None},
        )
    return review


def _validate_facts(application: Application, facts: dict[str, Any]) -> None:
    evaluate_household(application.area_code, _today(), [application.program], facts)


def start_review(review: Review, *, by: User, facts: dict[str, Any] | None = None) -> Review:
    """开始复核: record the household as found (入户) and request a fresh 核对报告."""
    require(by, "payments.review")
    require_in_scope(by=by, area_code=review.area_code)
    from jiuzhu.verification.actions import request_verification

    with transaction.atomic():
        review = Review.objects.select_for_update().select_related("application__household").get(pk=review.pk)
        if review.status != "open":
            raise DomainError("invalid_state", f"复核当前状态为“{review.get_status_display()}”，不能重新开始")
        app = review.application
        if facts is not None:
            _validate_facts(app, facts)
            review.facts = facts
        request = request_verification(by=by, household=app.household, program=app.program, application=app)
        review.verification, review.status = request, "verifying"
        review.save(update_fields=["verification", "status", "facts"])
        record(by, "payments.review.start", app, changes={"review": review.pk, "verification_request": request.pk})
    return review


def review_facts(review: Review) -> dict[str, Any]:
    """The household as the review finds it: as found at the visit (or as decided), corrected
    by the review's fresh 核对报告 (issue 14 item 5: a review reads the latest report)."""
    from jiuzhu.verification.verified import with_verified

    facts = review.facts or review.application.facts
    request = review.verification
    report = request.report if request is not None and request.status == "done" else None
    return with_verified(facts, report.content.get("verified") if report is not None else None)


def review_evaluation(review: Review, on: dt.date | None = None) -> dict[str, Any]:
    app = review.application
    effective = on or add_months(month_start(_today()), 1)
    found = review_facts(review)
    result = evaluate_household(app.area_code, effective, [app.program], found)[app.program]
    failed = [r["code"] for r in result["reasons"] if not r["passed"]]
    # 渐退 only when the income rose through work (income.work.* parameters; issue 14 item 14)
    working = work_income_rose(app.area_code, effective, app.facts, found)
    return {
        "effective_month": effective.isoformat(),
        "eligible": result["eligible"],
        "amount_fen": result["monthly_amount_fen"],
        "failed": failed,
        "reasons": result["reasons"],
        "gradual_allowed": (not result["eligible"]) and set(failed) <= {"income_below_standard"} and working,
        "trace": result["trace"],
    }


def current_amount(application: Application) -> int:
    last = (
        RosterLine.objects.filter(application=application)
        .order_by("-month")
        .values_list("amount_fen", flat=True)
        .first()
    )
    return int(last if last is not None else application.amount_fen or 0)


def decide_review(
    review: Review,
    *,
    by: User,
    outcome: str,
    note: str = "",
    gradual_months: int | None = None,
    stop_reason: str = "income",
) -> Review:
    """复核结论 (DYN-1, DYN-2, DYN-8): once the fresh 核对报告 is out, the rules engine is run
    on the household as found; the case continues, changes amount, enters 渐退 or stops, with
    the notice (调整/渐退/停发告知书) issued in the same transaction."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=review.area_code)
    if outcome not in ("continue", "change", "gradual", "stop"):
        raise InvalidInput("invalid_choice", "复核结论应为维持、调整金额、渐退或停发", field="outcome")
    with transaction.atomic():
        review = (
            Review.objects.select_for_update(of=("self",))
            .select_related("application__intake", "verification")
            .get(pk=review.pk)
        )
        if review.status == "decided":
            raise DomainError("already_decided", "该复核已办结")
        if review.verification is None or review.verification.status != "done":
            raise DomainError(
                "verification_pending", "家庭经济状况核对报告尚未出具：请先开始复核并待核对中心出具报告后再作出结论"
            )
        app = Application.objects.select_for_update().get(pk=review.application_id)
        review.application = app
        benefit = lock_benefit(app)
        if benefit.status == "stopped":
            raise DomainError("benefit_stopped", "该案件已停发")
        if benefit.status == "suspended" and outcome == "gradual":
            raise DomainError("benefit_suspended", "该案件已暂停发放：请先恢复发放，再作出渐退结论")
        ev = review_evaluation(review)
        effective = dt.date.fromisoformat(ev["effective_month"])
        before = current_amount(app)
        config = roster_mod.config_for(app.county_code)
        new_facts = review_facts(review)
        notice = None
        if outcome in ("continue", "change") and not ev["eligible"]:
            failed = "；".join(r["message"] for r in ev["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"按复核后情况测算已不符合条件（{failed}），请选择渐退或停发")
        if outcome == "continue" and ev["amount_fen"] != before:
            raise DomainError(
                "amount_changed",
                f"按复核后情况测算月救助金为{format_yuan(ev['amount_fen'])}，与现发放{format_yuan(before)}不同，请选择调整金额",
            )
        if outcome == "change" and ev["amount_fen"] == before:
            raise DomainError("amount_unchanged", "测算金额与现发放金额相同，请选择维持")
        if outcome == "gradual":
            months = config.gradual_exit_months if gradual_months is None else gradual_months
            if not ev["gradual_allowed"]:
                raise DomainError(
                    "gradual_not_allowed", "渐退仅适用于家庭成员就业使收入超过标准（财产等其他条件仍符合）的情形"
                )
            if not 1 <= months <= min(MAX_GRADUAL_MONTHS, max(config.gradual_exit_months, 1)):
                raise InvalidInput(
                    "invalid_months",
                    f"渐退期应为1–{min(MAX_GRADUAL_MONTHS, config.gradual_exit_months)}个月",
                    field="gradual_months",
                )
            if config.gradual_exit_months == 0:
                raise DomainError("gradual_disabled", "本县未实行渐退期，请选择停发")
        if outcome == "stop":
            check_chosen_stop_reason(stop_reason, "stop_reason")
        if outcome == "stop" and not note.strip():
            raise InvalidInput("required", "停发须填写情况说明", field="note")

        if outcome in ("continue", "change"):
            if outcome == "change" or review.facts:
                app.facts, app.trace = new_facts, ev["trace"]
                app.amount_fen = ev["amount_fen"]
                app.version += 1
                app.save(update_fields=["facts", "trace", "amount_fen", "version", "updated_at"])
            if outcome == "change":
                notice = issue_notice(
                    app,
                    "adjustment",
                    effective,
                    by=by,
                    reason="经复核家庭情况发生变化" + (f"（{note.strip()}）" if note.strip() else ""),
                    amount_before_fen=before,
                    amount_after_fen=ev["amount_fen"],
                    effective_month=effective,
                    basis=amount_basis(ev["trace"]),
                )
            benefit.next_review_on = add_months(effective, app.review_cycle_months or config_review(app))
            benefit.save(update_fields=["next_review_on", "updated_at"])
            review.amount_after_fen = ev["amount_fen"]
        elif outcome == "gradual":
            last = add_months(effective, months - 1)
            benefit.status, benefit.gradual_amount_fen, benefit.end_month = "gradual", before, last
            benefit.stop_reason, benefit.stop_note = "gradual_end", f"渐退期满（{month_label(last)}）"
            benefit.save()
            pull_lines(app.pk, by=by, from_month=add_months(last, 1), reason="渐退期满")
            end_case_records(app, roster_mod.month_end(last))
            app.facts, app.trace = new_facts, ev["trace"]
            app.version += 1
            app.save(update_fields=["facts", "trace", "version", "updated_at"])
            notice = issue_notice(
                app,
                "gradual",
                effective,
                by=by,
                months=months,
                effective_month=effective,
                last_month=last,
                stop_month=add_months(last, 1),
                amount_fen=before,
            )
            review.amount_after_fen = before
        else:
            notice, _ = end_benefit(
                app, benefit, by=by, reason=stop_reason, note=note, last_month=add_months(effective, -1)
            )
            review.amount_after_fen = 0
        review.status, review.outcome, review.note = "decided", outcome, note.strip()[:200]
        review.amount_before_fen, review.effective_month = before, effective
        review.evaluation = {k: v for k, v in ev.items() if k != "trace"}
        review.notice, review.decided_by, review.decided_at = notice, _who(by), timezone.now()
        review.save()
        record(
            by,
            "payments.review.decide",
            app,
            changes={
                "review": review.pk,
                "outcome": outcome,
                "amount_before_fen": before,
                "amount_after_fen": review.amount_after_fen,
                "effective_month": effective,
                "note": note,
                "notice": getattr(notice, "number", None),
            },
        )
    return review


def config_review(app: Application) -> int:
    from jiuzhu.applications.config import config_for

    return config_for(app.county_code).review_cycle_other_months


def stop_benefit(application: Application, *, by: User, reason: str, note: str, last_month: Any = None) -> Benefit:
    """停发 (退出) with reason and 停发告知书: death, moving away, income, refusal to be reviewed,
    fraud… Payment continues to ``last_month`` (default: this month)."""
    require(by, "payments.decide")
    require_in_scope(by=by, area_code=application.area_code)
    check_chosen_stop_reason(reason, "reason")
    if not (note or "").strip():
        raise InvalidInput("required", "请填写停发情况说明", field="note")
    last = parse_month(last_month, "last_month") if last_month else month_start(_today())
    with transaction.atomic():
        app = Application.objects.select_for_update().select_related("intake").get(pk=application.pk)
        benefit = lock_benefit(app)
        if benefit.status == "stopped":
            raise DomainError("benefit_stopped", "该案件已停发")
        if last < add_months(benefit.start_month, -1):
            raise InvalidInput("invalid_month", "最后发放月份不能早于起始发放月份", field="last_month")
        notice, pulled = end_benefit(app, benefit, by=by, reason=reason, note=note, last_month=last)
        Review.objects.filter(application=app).open().update(
            status="decided", outcome="stop", decided_by=_who(by), decided_at=timezone.now(), note="已停发"
        )
        record(
            by,
            "payments.benefit.stop",
            app,
            changes={
                "reason": reason,
                "note": note,
                "last_month": benefit.end_month,
                "notice": notice.number,
                **pulled.changes(),
            },
        )
    return benefit


# ==== recoveries and 失信 records ================================================================
