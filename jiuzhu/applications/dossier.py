"""案卷导出 (一户一档, SUP-9): everything about a case in order, as one ZIP — a dossier PDF
(cover, procedure record, investigation, 公示, objections, 民主评议, decision with its
calculation basis, audit history) followed by every notice, signature, photo and report."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from jiuzhu.audit.changes import name_references
from jiuzhu.audit.log import record
from jiuzhu.audit.models import AuditEntry
from jiuzhu.registry.models import Document
from jiuzhu.registry.storage import read_bytes
from jiuzhu.verification.models import Report
from jiuzhu.verification.report import pdf_bytes as report_pdf
from jiuzhu.web.pdf import render_pdf

from .config import config_for_case
from .models import Application, SpecialDeliberation

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def _documents(app: Application) -> list[Document]:
    """Files of the household produced or attached since the intake, oldest first."""
    since = app.intake.created_at
    return list(Document.objects.filter(household=app.household, uploaded_at__gte=since).order_by("uploaded_at", "id"))


def build(app: Application) -> bytes:
    history = name_references(AuditEntry.objects.for_object(app).order_by("seq"))
    docs = _documents(app)
    reports = list(Report.objects.filter(application=app).order_by("created_at", "id"))
    summary = render_pdf(
        "applications/dossier.html",
        {
            "app": app,
            "config": config_for_case(app),
            "history": history,
            "documents": docs,
            "investigations": app.investigations.all(),
            "objections": app.objections.all(),
            "deliberations": app.deliberations.all(),
            "deadlines": app.deadlines.all(),
            "notices": app.notices.all(),
            "members": app.household.current_members(),
            "now": timezone.now(),
            "requests": app.verification_requests.all(),
            "reports": reports,
            "special": SpecialDeliberation.objects.filter(application=app).select_related("convened_by").first(),
        },
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"00-案卷目录与办理记录-{app.number}.pdf", summary)
        for i, doc in enumerate(docs, start=1):
            ext = doc.original_name.rsplit(".", 1)[-1] if "." in doc.original_name else "bin"
            name = _UNSAFE.sub("_", doc.title)[:60]
            zf.writestr(f"{i:02d}-{doc.get_kind_display()}-{name}.{ext}", read_bytes(doc.storage_name))
        for j, report in enumerate(reports, start=len(docs) + 1):
            zf.writestr(f"{j:02d}-核对报告-{report.number}.pdf", report_pdf(report))
    return buf.getvalue()


def response(by: Any, app: Application) -> HttpResponse:
    """The dossier as a download; exporting it (reports of department facts included) is audited."""
    data = build(app)
    with transaction.atomic():
        record(
            by,
            "applications.dossier.export",
            app,
            changes={
                "bytes": len(data),
                "reports": list(Report.objects.filter(application=app).values_list("number", flat=True)),
            },
        )
    out = HttpResponse(data, content_type="application/zip")
    out["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'案卷-{app.number}.zip')}"
    return out
