"""急难型临时救助: 先行救助 within hours, paid from the town's reserve, then 补办登记."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.holidays.calendar import current_calendar

from .. import notices, signals
from ..models import Application
from ._common import _begin, _deadline, _finish, _meet, _today, evaluate


def advance_pay(application: Application, *, by: User, amount_fen: int, note: str = "") -> Application:
    """急难型临时救助 先行救助 within 24 hours (WF-*, seed 004): within the configured band,
    without verification or publicity; formal registration follows within 5 working days."""
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "advance_pay", by=by)
        result = evaluate(app)
        if not result["eligible"]:
            failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"不符合急难型临时救助条件：{failed}")
        cap = result["monthly_amount_fen"]
        if amount_fen <= 0 or amount_fen > cap:
            raise InvalidInput(
                "amount_out_of_band",
                f"先行救助金额应大于0且不超过{cap / 100:.2f}元（按当地标准测算）",
                field="amount_fen",
            )
        # Paid from the town's 备用金 by payments, which refuses it below zero (FND-3).
        if not signals.advance_paid.send(sender=Application, application=app, by=by, amount_fen=amount_fen, note=note):
            raise ImproperlyConfigured("no receiver pays 先行救助 (applications.signals.advance_paid)")
        app.advance_amount_fen, app.advance_paid_at, app.trace = amount_fen, timezone.now(), result["trace"]
        due = current_calendar().add_working_days(_today(), config.emergency_register_days)
        _meet(app, "advance")
        _deadline(app, "registration", "急难救助补办登记", due)
        notices.issue_after(by, "advance", intake=app.intake, application=app, extra={"register_due": due})
        return _finish(app, row, {"amount_fen": amount_fen, "note": note}, by=by)


def register_formally(application: Application, *, by: User, note: str = "") -> Application:
    """补办登记: record the 先行救助 as the decision and close the case."""
    with notices.rendered_after(), transaction.atomic():
        app, _, row = _begin(application, "register_formally", by=by)
        app.decision, app.decided_at, app.decided_by = "approved", timezone.now(), user_or_none(by)
        app.amount_fen = app.approved_amount_fen = app.advance_amount_fen
        _meet(app, "registration")
        _meet(app, "overall")
        notices.issue_after(by, "approval", intake=app.intake, application=app)
        signals.decided.send(sender=Application, application=app, by=by, refer=False)
        return _finish(app, row, {"note": note}, by=by)
