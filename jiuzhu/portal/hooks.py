"""What the portal tells the lower apps (called from ``PortalConfig.ready``): the staff case
page shows what the family uploaded for 补正 on the 掌上办 (issue 18 item 3); a new notice may be announced
by SMS (item 4)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from jiuzhu.applications import panels
from jiuzhu.applications.models import Application, Notice

from .models import Supplement


def supplements_panel(application: Application) -> SafeString:
    rows = list(Supplement.objects.filter(application=application).select_related("person", "document"))
    if not rows:
        return mark_safe("")
    return mark_safe(render_to_string("portal/_case_supplements.html", {"rows": rows}))


def notify_notice(sender: Any, instance: Notice, created: bool, **kwargs: Any) -> None:
    """短信提醒 (issue 18 item 4; SUP-16): a new notice to a family is announced by SMS to the
    applicant where the county enables ``portal.notice_sms`` (a dated setting, default off);
    each SMS is one row of the notice delivery log."""
    if not created or kwargs.get("raw"):
        return
    from .actions import notify_notice_issued

    notify_notice_issued(instance)


def connect() -> None:
    panels.register(supplements_panel)
    post_save.connect(notify_notice, sender=Notice, dispatch_uid="portal.notify_notice")
