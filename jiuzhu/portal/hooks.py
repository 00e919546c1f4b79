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
from jiuzhu.core.masking import mask_ip
from jiuzhu.registry.rekey import register_sealed_table, reseal

from .models import SIGN_DOCUMENTS, DeclaredChange, OnlineApplication, OnlineSignature, Supplement


def supplements_panel(application: Application) -> SafeString:
    rows = list(Supplement.objects.filter(application=application).select_related("person", "document"))
    if not rows:
        return mark_safe("")
    return mark_safe(render_to_string("portal/_case_supplements.html", {"rows": rows}))


def online_panel(application: Application) -> SafeString:
    """掌上办签署记录 (issue 18 item 2): who signed which document, when, how (SMS code to the
    registry's number or to one given at first use) and from where (address masked), and
    whether it counts (已作废 with the reason, ``settle``); and the family's declared changes
    with what the town made of them."""
    from . import declare

    online = (
        OnlineApplication.objects.filter(intake_id=application.intake_id).first() if application.intake_id else None
    )
    if online is None:
        return mark_safe("")
    labels = dict(SIGN_DOCUMENTS)
    rows = [
        {
            "name": s.typed_name or s.member_name,
            "documents": "、".join(labels.get(d, d) for d in s.documents),
            "signed_at": s.signed_at,
            "how": f"掌上办 · 短信验证码（{s.phone_masked}，{s.get_phone_source_display() or '登记的手机号'}）",
            "ip": mask_ip(s.ip),
            # 已作废 (item 3): a declared member the town did not adopt, or a member whose removal it adopted
            "void": s.void_reason if s.voided_at else "",
        }
        for s in online.signatures.select_related("person", "change").filter(signed_at__isnull=False)
    ]
    context = {
        "online": online,
        "rows": rows,
        "changes": declare.changes_view(online),
        "finances": declare.finances_view(online),
    }
    return mark_safe(render_to_string("portal/_case_online.html", context))


def notify_notice(sender: Any, instance: Notice, created: bool, **kwargs: Any) -> None:
    """短信提醒 (issue 18 item 4; SUP-16): a new notice to a family is announced by SMS to the
    applicant where the county enables ``portal.notice_sms`` (a dated setting, default off);
    each SMS is one row of the notice delivery log."""
    if not created or kwargs.get("raw"):
        return
    from .actions import notify_notice_issued

    notify_notice_issued(instance)


def _rekey_declared(c: Any) -> list[str]:
    return reseal(c, ("id_number", "id_number_enc"), ("phone", "phone_enc"))


def _rekey_signature(s: Any) -> list[str]:
    return reseal(s, ("phone", "given_phone_enc"))


def connect() -> None:
    panels.register(supplements_panel)
    panels.register(online_panel)
    register_sealed_table(65, DeclaredChange, _rekey_declared)
    register_sealed_table(66, OnlineSignature, _rekey_signature)
    post_save.connect(notify_notice, sender=Notice, dispatch_uid="portal.notify_notice")
