"""一事一议 (STD-6, WF-17, DOC-14): the county's collective decision on a 支出型临时救助 above
the ordinary band, with its minutes and the participants' signatures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import user_or_none
from jiuzhu.core.dates import day_label
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.money import format_yuan
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.registry.actions import store_generated
from jiuzhu.registry.models import Household

from .. import notices
from ..models import Application, SpecialDeliberation
from ..procedure import ProcedureConfig
from ._common import (
    _EXT,
    MAX_SIGNATURE_BYTES,
    SignatureIn,
    _begin,
    _finish,
    _sniff,
    _today,
    _variable,
    _with_temporary,
    evaluate,
)


def special_deliberation_bounds(app: Application) -> dict[str, int]:
    """What a 一事一议 for this case may decide, from the rules (read only): above
    ``ordinary_max_fen`` and not above ``ceiling_fen``; ``proposed_fen`` is the ordinary amount.
    The engine computes the bounds for a case with a decided amount, so a probe of 1 fen is
    used; the bounds depend on the kind, the area and the date only."""
    facts = _with_temporary(app.facts, approval_level="deliberation", deliberated_amount_fen=1)
    try:
        result = evaluate_household(app.area_code, _today(), [app.program], facts)[app.program]
    except DomainError:
        return {}
    return {
        "ordinary_max_fen": int(_variable(result, "temporary_ordinary_max", 0)),
        "ceiling_fen": int(_variable(result, "temporary_deliberation_ceiling", 0)),
        "proposed_fen": int(_variable(result, "temporary_proposed", 0)),
    }


def record_special_deliberation(
    application: Application,
    *,
    by: User,
    held_on: dt.date | None,
    participants: list[str],
    hardship: str,
    minutes: str,
    decided_amount_fen: int | None,
    signature: SignatureIn | None,
) -> SpecialDeliberation:
    """一事一议 (STD-6, WF-17, DOC-14): the county's civil-affairs office convenes a collective
    meeting for a 支出型临时救助 of 重大生活困难 and decides an amount above the ordinary band
    (seed 003: 适度提高临时救助标准) and not above the 一事一议 ceiling — both rules parameters.
    The record keeps the participants, the hardship, the minutes and the signed sheet; the
    case's facts carry the decided amount, which the rules engine then pays on approval."""
    names = [n.strip() for n in participants or [] if n and n.strip()]
    today = _today()
    if held_on is None:
        raise InvalidInput("required", "请填写一事一议会议日期", field="held_on")
    if held_on > today:
        raise InvalidInput("invalid_date", "一事一议会议日期不能晚于今天", field="held_on")
    if len(set(names)) != len(names):
        raise InvalidInput("duplicate_participant", "参加人员姓名有重复，请核对", field="participants")
    if not (hardship or "").strip():
        raise InvalidInput("required", "请写明重大生活困难情形，即提高救助标准的理由", field="hardship")
    if not (minutes or "").strip():
        raise InvalidInput("required", "请填写会议纪要（集体研究的意见和议定事项）", field="minutes")
    if decided_amount_fen is None or decided_amount_fen <= 0:
        raise InvalidInput("required", "请填写一事一议决定的救助金额", field="decided_amount_fen")
    if signature is None:
        raise InvalidInput("required", "请上传与会人员签字页的扫描件，或由与会人员在签名板上签字", field="signature")
    with notices.rendered_after(), transaction.atomic():
        app, config, row = _begin(application, "special_deliberation", by=by)
        least = config.special_deliberation_min_participants
        if len(names) < least:
            raise InvalidInput(
                "too_few_participants",
                f"一事一议须集体研究，请填写至少{least}名参加人员（每行一人）",
                field="participants",
            )
        if held_on < timezone.localdate(app.accepted_at):
            raise InvalidInput("invalid_date", "一事一议会议日期不能早于申请受理日期", field="held_on")
        existing = SpecialDeliberation.objects.filter(application=app).first()
        if existing is not None:
            raise DomainError("already_deliberated", f"本案已于{day_label(existing.held_on)}召开一事一议，不能重复录入")
        app.facts = _with_temporary(app.facts, approval_level="deliberation", deliberated_amount_fen=decided_amount_fen)
        result = evaluate(app)
        ordinary = int(_variable(result, "temporary_ordinary_max", 0))
        ceiling = int(_variable(result, "temporary_deliberation_ceiling", 0))
        if decided_amount_fen <= ordinary:
            raise InvalidInput(
                "deliberation_not_above_band",
                f"一事一议决定金额应高于常规程序可批准的最高金额{format_yuan(ordinary)}；"
                "不超过该金额的，按常规程序由县级审批即可",
                field="decided_amount_fen",
            )
        if decided_amount_fen > ceiling:
            raise InvalidInput(
                "deliberation_above_ceiling",
                f"一事一议决定金额不得超过{format_yuan(ceiling)}（一事一议只能适度提高临时救助标准）",
                field="decided_amount_fen",
            )
        if not result["eligible"]:
            failed = "；".join(r["message"] for r in result["reasons"] if not r["passed"])
            raise DomainError("not_eligible", f"按现行标准测算不符合临时救助条件：{failed}")
        doc = _store_meeting_signature(app.household, signature, by=by)
        item = SpecialDeliberation.objects.create(
            application=app,
            held_on=held_on,
            participants=names,
            hardship=hardship.strip(),
            minutes=minutes.strip(),
            decided_amount_fen=decided_amount_fen,
            ordinary_max_fen=ordinary,
            ceiling_fen=ceiling,
            signature=doc,
            convened_by=user_or_none(by),
            area_code=app.area_code,
            county_code=app.county_code,
        )
        notices.after(lambda: _keep_minutes(app, item, config, by=by))
        _finish(
            app,
            row,
            {
                "special_deliberation": item.pk,
                "held_on": held_on,
                "participants": names,
                "decided_amount_fen": decided_amount_fen,
                "ordinary_max_fen": ordinary,
                "ceiling_fen": ceiling,
            },
            by=by,
        )
    return item


def _keep_minutes(app: Application, item: SpecialDeliberation, config: ProcedureConfig, *, by: User) -> None:
    """一事一议会议纪要 (DOC-14) as a PDF in the family's archive (and so in the dossier), made
    once the meeting's record has committed and kept with it in a short transaction."""
    import base64

    from jiuzhu.web.pdf import render_pdf

    doc = item.signature
    src = ""
    if doc.content_type in ("image/png", "image/jpeg"):
        from jiuzhu.registry.storage import read_bytes

        src = f"data:{doc.content_type};base64,{base64.b64encode(read_bytes(doc.storage_name)).decode()}"
    pdf = render_pdf(
        "applications/special_deliberation_minutes.html",
        {"app": app, "d": item, "config": config, "signature_src": src},
    )
    with notices.rendered_after(), transaction.atomic():
        item.minutes_document = store_generated(
            app.household,
            pdf,
            by=by,
            kind="notice",
            title=f"一事一议会议纪要 {app.number}",
            filename=f"一事一议会议纪要-{app.number}.pdf",
            content_type="application/pdf",
        )
        item.save(update_fields=["minutes_document"])


def _store_meeting_signature(household: Household, sig: SignatureIn, *, by: User) -> Any:
    """The 一事一议 participants' signatures: one signature-pad drawing (PNG) or a scan of the
    signed sheet (JPG, PNG or PDF), kept in the family's archive with the case."""
    if sig.method not in ("pad", "scan"):
        raise InvalidInput("invalid_choice", "签署方式应为电子签名（pad）或扫描件（scan）", field="signature")
    if not sig.data or len(sig.data) > MAX_SIGNATURE_BYTES:
        raise InvalidInput("invalid_signature", "与会人员签字为空或超过2MB", field="signature")
    kind = _sniff(sig.data)
    if kind not in ("image/png", "image/jpeg", "application/pdf") or (sig.method == "pad" and kind != "image/png"):
        raise InvalidInput("invalid_signature", "与会人员签字应为PNG图片（扫描件可为JPG或PDF）", field="signature")
    ext = _EXT[kind]
    return store_generated(
        household,
        sig.data,
        by=by,
        kind="signature",
        title="一事一议与会人员签字",
        filename=f"一事一议签字.{ext}",
        content_type=kind,
    )
