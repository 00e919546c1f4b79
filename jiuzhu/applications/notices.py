"""Notices (文书): numbered per county, year and kind, rendered to PDF, kept in the archive."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from jiuzhu.registry.actions import store_generated
from jiuzhu.web.seal import render_signed

from .config import config_for
from .models import NOTICE_KINDS, Application, Intake, Notice, NoticeSequence

KIND_MARK = {
    "receipt": "受",
    "checklist": "告",
    "not_accepted": "不受",
    "approval": "批",
    "rejection": "不批",
    "advance": "急",
    "adjustment": "调",
    "stop": "停",
    "gradual": "渐",
}


def next_sequence(county_code: str, kind: str) -> int:
    """The next number of a per-county, per-year sequence; the row is locked, so no repeats."""
    year = timezone.localdate().year
    NoticeSequence.objects.get_or_create(county_code=county_code, year=year, kind=kind)
    seq = NoticeSequence.objects.select_for_update().get(county_code=county_code, year=year, kind=kind)
    seq.last += 1
    seq.save(update_fields=["last"])
    return seq.last


def next_number(county_code: str, kind: str, prefix: str) -> str:
    """``台民救〔2026〕批0012号``."""
    year = timezone.localdate().year
    return f"{prefix}〔{year}〕{KIND_MARK[kind]}{next_sequence(county_code, kind):04d}号"


def issue(
    by: Any, kind: str, *, intake: Intake, application: Application | None = None, extra: dict[str, Any] | None = None
) -> Notice:
    """Render and archive one notice; call inside the action's transaction."""
    county = intake.area_code[:6]
    config = config_for(county)
    number = next_number(county, kind, config.notice_prefix)
    title = dict(NOTICE_KINDS)[kind]
    context = {
        "number": number,
        "title": title,
        "intake": intake,
        "application": application,
        "config": config,
        "household": intake.household,
        "applicant": intake.applicant,
        "today": timezone.localdate(),
        "applications": list(intake.applications.all()),
        **(extra or {}),
    }
    pdf, _ = render_signed(
        f"applications/notices/{kind}.html",
        context,
        kind=f"notice.{kind}",
        number=number,
        title=title,
        issuer=config.issuer_name,
        area_code=intake.area_code,
    )
    document = store_generated(
        by,
        intake.household,
        pdf,
        kind="notice",
        title=f"{title} {number}",
        filename=f"{title}-{number}.pdf",
        content_type="application/pdf",
        person=intake.applicant,
    )
    return Notice.objects.create(
        application=application,
        intake=intake,
        kind=kind,
        number=number,
        document=document,
        issued_by=by if getattr(by, "pk", None) else None,
    )
