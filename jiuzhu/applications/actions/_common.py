"""Helpers shared by the case actions: deadlines, the engine's view of a case, signatures, and
the begin/finish pair every transition runs in (lock, workflow row, save, audit row)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.programs.exclusivity import urban_of
from jiuzhu.registry.actions import store_generated
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.storage import sniff_content_type

from .. import signals, workflow
from ..config import config_for_case, settings_snapshot
from ..models import PROGRAM_CHOICES, Application, CaseDeadline
from ..procedure import ProcedureConfig

ADULT = 18
DECIDED_STATES = ("approved", "rejected", "not_accepted")  # 批准, 不予批准, 不予受理


MAX_SIGNATURE_BYTES = 2 * 1024 * 1024


PROGRAM_NAMES = dict(PROGRAM_CHOICES)


@dataclass
class SignatureIn:  # a drawn signature (PNG) or a scan (JPEG/PNG/PDF)
    person_id: int
    data: bytes
    method: str = "pad"


@dataclass
class EntrustmentIn:  # 申请委托 (帮办代办, INT-10): the principal's signed 申请委托书
    principal_id: int
    reason: str
    signature: SignatureIn
    agent_name: str = ""


@dataclass
class MaterialIn:  # 补正材料: a scan of a missing document, named as on the 一次性告知书
    name: str
    data: bytes


def _today() -> dt.date:
    return timezone.localdate()


def _deadline(
    application: Application,
    step: str,
    label: str,
    due_on: dt.date,
    responsible: str = "town",
    *,
    new_case: bool = False,
    **clock: Any,
) -> None:
    """Start (or restart) the case's open clock of ``step``, due on ``due_on``; ``clock``: the
    columns of a clock counted in hours (``due_at``, ``hours``). ``new_case``: the case was
    created in this transaction and has no clock to restart (one insert instead of
    ``update_or_create``'s six statements with its savepoints)."""
    values = {
        "label": label,
        "started_on": _today(),
        "due_on": due_on,
        "area_code": application.area_code,
        "responsible": responsible,
        "clerk_id": application.accepted_by_id,
        **clock,
    }
    if new_case:
        CaseDeadline.objects.create(application=application, step=step, **values)
    else:
        CaseDeadline.objects.update_or_create(application=application, step=step, met_on=None, defaults=values)


def _deadline_in_hours(
    application: Application, step: str, label: str, hours: int, responsible: str = "town", *, new_case: bool = False
) -> None:
    """A clock counted in hours from now (急难: 24 hours, whatever the calendar says)."""
    due_at = timezone.now() + dt.timedelta(hours=hours)
    _deadline(
        application, step, label, timezone.localdate(due_at), responsible, new_case=new_case, due_at=due_at, hours=hours
    )


def _meet(application: Application, step: str) -> None:
    CaseDeadline.objects.filter(application=application, step=step, met_on__isnull=True).update(
        met_on=_today(), met_at=timezone.now()
    )


def _age_on(birth: dt.date, day: dt.date) -> int:
    """Exact age in whole years (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _variable(result: dict[str, Any], name: str, default: Any = None) -> Any:
    """A traced variable's value (the trace keeps ``{"label", "unit", "value"}`` per variable)."""
    entry = (result.get("trace") or {}).get("variables", {}).get(name)
    return entry.get("value", default) if isinstance(entry, dict) else default


def _with_temporary(facts: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The case's facts with its 临时救助 request changed (approval level, 一事一议 amount)."""
    temporary = {**(facts.get("temporary") or {}), **changes}
    return {**facts, "temporary": {k: v for k, v in temporary.items() if v not in (None, 0)}}


def _facts_for(
    application_program: str, base: dict[str, Any], temporary_kind: str, level: str, event: str
) -> dict[str, Any]:
    facts = {k: v for k, v in base.items() if k != "temporary"}
    if application_program == "temporary":
        facts["temporary"] = {"kind": temporary_kind, "approval_level": level, "event": event}
    return facts


def latest_report(application: Application) -> Any:
    """The case's most recent 核对报告, or None."""
    from jiuzhu.verification.models import Report

    return Report.objects.filter(application=application).order_by("-id").first()


def decision_facts(application: Application) -> dict[str, Any]:
    """The facts a decision uses (issue 14 item 5, VER-12): the declaration corrected by the
    latest 核对报告 — a department's figure where it is complete, never less than it elsewhere."""
    from jiuzhu.verification.verified import with_verified

    report = latest_report(application)
    return with_verified(application.facts, report.content.get("verified") if report else None)


def evaluate(application: Application, on: dt.date | None = None) -> dict[str, Any]:
    """The rules engine's result for this case's program and facts, with reasons and trace."""
    facts = decision_facts(application)
    result: dict[str, Any] = evaluate_household(application.area_code, on or _today(), [application.program], facts)[
        application.program
    ]
    return result


def _store_signature(household: Household, person: Person, sig: SignatureIn, label: str, *, by: User) -> Any:
    if sig.method not in ("pad", "scan"):
        raise InvalidInput("invalid_choice", "签署方式应为电子签名（pad）或扫描件（scan）", field="signatures")
    if not sig.data or len(sig.data) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("invalid_signature", f"{person.name}的{label}签名为空或超过2MB", field="signatures")
    kind = _sniff(sig.data)
    if kind not in ("image/png", "image/jpeg", "application/pdf") or (sig.method == "pad" and kind != "image/png"):
        raise InvalidInput(
            "invalid_signature", f"{person.name}的{label}签名应为PNG图片（扫描件可为JPG或PDF）", field="signatures"
        )
    ext = _EXT[kind]
    return store_generated(
        household,
        sig.data,
        by=by,
        kind="signature",
        title=f"{label}签名（{person.name}）",
        filename=f"{label}-{person.pk}.{ext}",
        content_type=kind,
        person=person,
    )


_EXT = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}


def _sniff(data: bytes) -> str:
    from io import BytesIO

    from django.core.files.uploadedfile import InMemoryUploadedFile

    buf = BytesIO(data)
    return sniff_content_type(InMemoryUploadedFile(buf, "file", "x", "application/octet-stream", len(data), None))


URBAN_LABEL = {True: "城市", False: "农村"}


def _urban_checked(household: Household, declared: Any, field: str) -> bool:
    """城市 or 农村 comes from the household's 户籍/area, never from the declared facts."""
    urban = urban_of(household)
    if declared is not None and declared != urban:
        raise InvalidInput(
            "urban_rural_mismatch",
            f"城乡类别以家庭户籍所在地为准：该家庭为{URBAN_LABEL[urban]}家庭"
            f"（{household.get_urban_rural_display()}），不能按{URBAN_LABEL[bool(declared)]}标准申请或测算",
            field=field,
        )
    return urban


def _begin(application: Application, name: str, *, by: User) -> tuple[Application, ProcedureConfig, Any]:
    app = Application.objects.select_for_update().get(pk=application.pk)
    config = config_for_case(app)
    row = workflow.check(app, name, by, config)
    return app, config, row


def _finish(app: Application, row: Any, changes: dict[str, Any] | None = None, *, by: User) -> Application:
    before = app.state
    if row.target:
        app.state = row.target
    if (app.decision or app.state in DECIDED_STATES) and not app.decision_settings:
        # A case keeps the settings version it was decided under (GOV-5, GOV-8).
        app.decision_settings = settings_snapshot(app)
    app.version += 1
    app.save()
    if app.state == "approved" and before != "approved":
        signals.approved.send(sender=Application, application=app, by=by)  # payments open the benefit
    record(by, f"applications.{row.name}", app, changes={"from": before, "to": app.state, **(changes or {})})
    return app


def _conflict(app: Application, *, by: User) -> None:
    if app.staff_relative_of_id and getattr(by, "pk", None) == app.staff_relative_of_id:
        raise DomainError("conflict_of_interest", "该申请人为您的近亲属（已单独登记备案），须由其他人员审批")
