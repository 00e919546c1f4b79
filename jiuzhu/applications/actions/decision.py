"""The decision: 审核意见 and 公示, 批准, 报县级审批, 不予批准, and the final close of a case."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.holidays.calendar import current_calendar
from jiuzhu.rules import amount_basis

from .. import notices, signals
from ..models import Application
from ..procedure import ProcedureConfig
from ._common import (
    _age_on,
    _begin,
    _conflict,
    _deadline,
    _finish,
    _meet,
    _today,
    _variable,
    _with_temporary,
    decision_facts,
    evaluate,
)
from .exclusivity import _check_decision


def _decide_amount(
    app: Application, on: dt.date, config: ProcedureConfig, *, check_limit: bool = True
) -> dict[str, Any]:
    result = evaluate(app, on)
    if not result["eligible"]:
        failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
        raise DomainError("not_eligible", f"按现行标准测算不符合条件：{failed}。请作出不予批准决定，或重新调查核实")
    if check_limit and app.program == "temporary" and _variable(result, "temporary_needs_higher_approval", False):
        _above_limit(app, result)
    return result


def _above_limit(app: Application, result: dict[str, Any]) -> None:
    """The amount the rules compute exceeds this level's limit (a rules parameter): name both
    and the way on — 报县级审批 from the town, 一事一议 at the county."""
    proposed = format_yuan(int(_variable(result, "temporary_proposed", 0)))
    limit = format_yuan(int(_variable(result, "temporary_cap", 0)))
    if (app.facts.get("temporary") or {}).get("approval_level") == "town":
        raise DomainError(
            "needs_higher_approval",
            f"测算金额{proposed}超过镇（街道）审批限额{limit}，请“报县级审批”，由县级民政部门审批",
        )
    raise DomainError(
        "needs_higher_approval",
        f"测算金额{proposed}超过县级审批限额{limit}：须由县级民政部门召开“一事一议”集体研究决定救助金额后再审批",
    )


def _start_publicity(app: Application, config: ProcedureConfig) -> None:
    app.publicity_start = _today()
    app.publicity_end = _today() + dt.timedelta(days=config.publicity_days)
    _deadline(app, "publicity", "村（居）公示", app.publicity_end)


def _record_decision(app: Application, result: dict[str, Any], config: ProcedureConfig, *, by: User) -> None:
    today = _today()
    app.decision, app.decided_at, app.decided_by = "approved", timezone.now(), user_or_none(by)
    app.amount_fen = app.approved_amount_fen = result["monthly_amount_fen"]
    app.trace = result["trace"]
    # the case's facts become the ones decided on (the declaration corrected by the 核对报告),
    # so that every roster pays the amount on the notice; the declaration stays beside them
    decided = decision_facts(app)
    if decided != app.facts:
        if app.declared_facts is None:
            app.declared_facts = app.facts
        app.facts = decided
    if app.program in ("dibao", "tekun"):
        app.start_month = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        app.review_cycle_months = _review_cycle(app, config)


def _review_cycle(app: Application, config: ProcedureConfig) -> int:
    """Yearly for stable households (every member at the configured age — exact age on the
    day of the decision — or severely disabled), else every 6 months (DYN-4)."""
    members = app.facts.get("members", [])
    today = _today()

    def stable(m: dict[str, Any]) -> bool:
        birth = m.get("birth_date")
        age = m.get("age") if birth is None else _age_on(dt.date.fromisoformat(str(birth)[:10]), today)
        return (age or 0) >= config.review_stable_age or (m.get("disability_grade") in (1, 2))

    return (
        config.review_cycle_stable_months
        if members and all(stable(m) for m in members)
        else config.review_cycle_other_months
    )


def _close(app: Application, *, by: User) -> None:
    """Final approval: the notice, the recipients' registry, and 一体联动 referrals (LNK-4)."""
    _check_decision(app)
    _meet(app, "publicity")
    _meet(app, "overall")
    notices.issue_after(
        by,
        "approval",
        intake=app.intake,
        application=app,
        extra={"basis": amount_basis(app.trace or {})},
    )
    signals.decided.send(sender=Application, application=app, by=by, refer=True)


def propose(application: Application, *, by: User, note: str = "") -> Application:
    """提出审核意见并公示 (national: the town's proposal is published for 7 days)."""
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "propose", by=by)
        _conflict(app, by=by)
        # The town proposes what the rules give; above the county's limit the county decides (一事一议).
        result = _decide_amount(app, _today(), config, check_limit=False)
        app.proposed_amount_fen, app.proposal = result["monthly_amount_fen"], {**result, "note": note}
        _start_publicity(app, config)
        return _finish(app, row, {"proposed_amount_fen": app.proposed_amount_fen, "note": note}, by=by)


def approve(application: Application, *, by: User, note: str = "") -> Application:
    """批准 / 审核确认 (WF-*): amount from the rules engine with its trace; payment from the
    month after approval; a stable household is reviewed yearly, others every 6 months."""
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "approve", by=by)
        _conflict(app, by=by)
        if app.state == "publicizing" and app.publicity_end and _today() <= app.publicity_end:
            raise DomainError("publicity_running", f"公示期至{day_label(app.publicity_end)}，公示期满后方可审批")
        _check_decision(app)
        if config.preset == "devolved" and app.state in ("reviewing", "county_review"):
            _record_decision(app, _decide_amount(app, _today(), config), config, by=by)
            _start_publicity(app, config)
            _meet(app, "county_review")
            _finish(app, row, {"amount_fen": app.amount_fen, "note": note}, by=by)
            return app
        if config.preset == "devolved" and app.state == "decision_pending" and _publicity_runs(app):
            # 维持批准 after a 民主评议 within the result's publicity: the publicity runs on to its
            # end (others may still object) and the decision takes effect when it closes
            changes = {"amount_fen": app.amount_fen, "note": note, "publicity_end": app.publicity_end}
            return _finish(app, replace(row, target="publicizing"), changes, by=by)
        if not app.decision:
            _record_decision(app, _decide_amount(app, _today(), config), config, by=by)
        _meet(app, "county_review")
        _close(app, by=by)
        return _finish(app, row, {"amount_fen": app.amount_fen, "note": note}, by=by)


def _publicity_runs(app: Application) -> bool:
    return app.publicity_end is not None and _today() <= app.publicity_end


def escalate(application: Application, *, by: User, reason: str) -> Application:
    """报县级审批 (STD-6, WF-17, GOV-5): a 支出型临时救助 whose amount is above the town's limit,
    or whose need goes beyond the ordinary band (a case for 一事一议), goes to the county's
    civil-affairs office, which decides it."""
    if not (reason or "").strip():
        raise InvalidInput("required", "请填写报县级审批的理由", field="reason")
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "escalate", by=by)
        _conflict(app, by=by)
        result = _decide_amount(app, _today(), config, check_limit=False)
        proposed = int(_variable(result, "temporary_proposed", 0))
        limit = int(_variable(result, "temporary_cap", 0))
        band_top = int(_variable(result, "temporary_band_max", 0))
        if not _variable(result, "temporary_needs_higher_approval", False) and proposed < band_top:
            raise DomainError(
                "within_limit",
                f"测算金额{format_yuan(proposed)}未超过镇（街道）审批限额{format_yuan(limit)}，"
                "也未达到救助标准倍数区间上限，请由镇（街道）直接审批",
            )
        app.facts = _with_temporary(app.facts, approval_level="county")
        _deadline(app, "county_review", "县级审批", app.due_on, "county")
        return _finish(
            app,
            row,
            {"reason": reason.strip(), "proposed_amount_fen": proposed, "town_limit_fen": limit},
            by=by,
        )


def reject(application: Application, *, by: User, reason_codes: list[str] | None = None, note: str = "") -> Application:
    """不予批准 with reasons chosen from the failed tests plus free text; the notice is issued
    at once (within the 3-working-day limit) and kept in the archive."""
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "reject", by=by)
        _conflict(app, by=by)
        result = evaluate(app)
        failed = {r["code"]: r["message"] for r in result["reasons"] if not r["passed"]}
        reasons = []
        for code in reason_codes or []:
            if code not in failed:
                raise InvalidInput("invalid_reason", f"理由“{code}”不是本案测算未通过的条件", field="reason_codes")
            reasons.append({"code": code, "message": failed[code]})
        if note.strip():
            reasons.append({"code": "other", "message": note.strip()})
        if not reasons:
            raise InvalidInput("required", "请至少选择或填写一条不予批准的理由", field="reason_codes")
        app.decision, app.decided_at, app.decided_by = "rejected", timezone.now(), user_or_none(by)
        app.rejection_reasons, app.trace = reasons, result["trace"]
        _deadline(
            app,
            "rejection_notice",
            "不予批准告知",
            current_calendar().add_working_days(_today(), config.rejection_notice_days),
        )
        notices.issue_after(by, "rejection", intake=app.intake, application=app)
        for step in ("rejection_notice", "publicity", "overall", "investigation", "county_review"):
            _meet(app, step)
        return _finish(app, row, {"reasons": reasons}, by=by)
