"""掌上办申请 (issue 18 item 2; INT-2, INT-8, INT-11, INT-22, LNK-3): a family member applies from a
phone — programs the county runs, the 救助测算 and the materials list, photos of documents —
every adult member signs the 经济状况授权书 (the applicant also the 诚信承诺书) from their own
phone by a one-time link and an SMS code to their own number, and the family submits. The
town accepts it through the one-door intake action (``applications.actions.intake``, channel
``online``): the legal clock starts there and the window continues the same case."""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import io
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.scope import require_in_scope
from jiuzhu.accounts.system import system_user
from jiuzhu.applications import notices
from jiuzhu.applications.actions import IntakeRequest, SignatureIn, intake
from jiuzhu.applications.models import PROGRAM_CHOICES, Intake
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput, NotFound
from jiuzhu.core.masking import mask_phone
from jiuzhu.programs.county import intake_materials, runs_engine_program
from jiuzhu.programs.engine import evaluate_household
from jiuzhu.programs.exclusivity import urban_of
from jiuzhu.programs.facts import default_facts
from jiuzhu.registry.actions import store_generated
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

from . import declare, settle, sms
from .actions import TooManyRequests, _code_matches, _hash_code, applicant_actor, checked_upload
from .models import PHONE_SOURCES, OnlineApplication, OnlineSignature, OnlineUpload

ADULT = 18
SIGN_CODE_TTL = dt.timedelta(minutes=5)
SIGN_CODE_INTERVAL = dt.timedelta(seconds=60)
SIGN_CODES_MAX = 5  # codes per signing link
SIGN_CODE_TRIES = 5  # wrong answers per signing link, then the link is spent
MAX_UPLOADS = 20
ONLINE_PROGRAMS = ("dibao", "tekun", "dibao_edge", "rigid_expense")  # 临时救助 needs the window's 急难/支出 assessment

PROGRAM_NAMES = dict(PROGRAM_CHOICES)


def _today() -> dt.date:
    return timezone.localdate()


def offered_programs(person: Person) -> list[tuple[str, str]]:
    """The programs a family may apply for online: those the county runs (PRG-2)."""
    county = person.area_code[:6]
    return [(p, PROGRAM_NAMES[p]) for p in ONLINE_PROGRAMS if p in PROGRAM_NAMES and runs_engine_program(county, p)]


def adults_of(person: Person) -> list[Person]:
    if person.household_id is None:
        return []
    members = Person.objects.filter(household_id=person.household_id, death_date__isnull=True).order_by("id")
    return [m for m in members if m.age_on(_today()) >= ADULT]


def estimate(app: OnlineApplication) -> dict[str, Any]:
    """救助测算 in plain words and the 申请材料 of the chosen programs, from the registry's facts."""
    household = app.household
    declared = {int(k[1:]): v for k, v in app.finances.items() if k.startswith("p")}  # registry members
    result = evaluate_household(household.area_id, _today(), list(app.programs), default_facts(household, declared))
    lines = []
    for code, r in result.items():
        if r.get("eligible"):
            amount = r.get("monthly_amount_fen")
            money = f"，初步测算每月约{amount / 100:.0f}元" if amount else ""
            lines.append(
                {"name": r.get("name", PROGRAM_NAMES.get(code, code)), "ok": True, "text": f"初步符合条件{money}"}
            )
        else:
            why = "；".join(x["message"] for x in r.get("reasons", []) if not x.get("passed"))
            lines.append(
                {
                    "name": r.get("name", PROGRAM_NAMES.get(code, code)),
                    "ok": False,
                    "text": f"按登记的情况初步不符合：{why}",
                }
            )
    return {
        "lines": lines,
        "materials": intake_materials(household.county_code, list(app.programs), urban=urban_of(household)),
        "note": "测算按系统中登记的家庭成员和您申报的收入、财产估算，结果以入户调查、核对后的审批为准。",
    }


def own_application(person: Person, pk: int) -> OnlineApplication:
    """One online application of the person's household, else 404."""
    if person.household_id is None:
        raise NotFound("not_found", "未找到")
    app: OnlineApplication | None = OnlineApplication.objects.filter(household_id=person.household_id, pk=pk).first()
    if app is None:
        raise NotFound("not_found", "未找到")
    return app


def start(person: Person, *, programs: list[str], reason: str) -> OnlineApplication:
    """Begin an application for the person's household: the programs (only those the county
    runs, else ``program_not_run``) and one signing row per adult member."""
    if person.household_id is None:
        raise NotFound("not_found", "未找到")
    if not programs:
        raise InvalidInput("required", "请至少选择一个救助项目", field="programs")
    offered = dict(offered_programs(person))
    for i, p in enumerate(programs):
        if p not in PROGRAM_NAMES:
            raise InvalidInput("unknown_program", f"未知救助项目“{p}”", field=f"programs[{i}]")
        if p not in offered:
            raise InvalidInput(
                "program_not_run",
                f"本县（市、区）未开展“{PROGRAM_NAMES[p]}”网上申请，请到乡镇（街道）窗口咨询",
                field=f"programs[{i}]",
            )
    if len(set(programs)) != len(programs):
        raise InvalidInput("duplicate_program", "同一救助项目不能重复选择", field="programs")
    if OnlineApplication.objects.filter(household_id=person.household_id, state__in=("draft", "submitted")).exists():
        raise DomainError("already_open", "您家已有一份未受理的网上申请，请先完成或撤回")
    by = applicant_actor(person)
    with transaction.atomic():
        app = OnlineApplication.objects.create(
            household_id=person.household_id,
            applicant=person,
            area_code=person.area_code,
            programs=list(programs),
            reason=(reason or "").strip()[:1000],
        )
        for member in adults_of(person):
            docs = ["authorization", "commitment"] if member.pk == person.pk else ["authorization"]
            OnlineSignature.objects.create(
                application=app, person=member, documents=docs, token_hash=secrets.token_hex(32)
            )
        record(by, "portal.apply_start", app, changes={"programs": list(programs)})
    return app


def _editable(app: OnlineApplication) -> None:
    if app.state != "draft":
        raise DomainError("invalid_state", f"申请已{app.get_state_display()}，不能再修改")


def add_upload(app: OnlineApplication, *, person: Person, item: str, upload: UploadedFile) -> OnlineUpload:
    """A photo or scan of one material (≤ 10 MB; JPG, PNG or PDF by its bytes), kept in the
    household's archive like the 补正 uploads."""
    _editable(app)
    item = (item or "").strip()[:100]
    if not item:
        raise InvalidInput("required", "请填写或选择材料名称", field="item")
    if app.uploads.count() >= MAX_UPLOADS:
        raise InvalidInput("too_many_files", f"每份申请最多上传{MAX_UPLOADS}个材料", field="file")
    data, content_type = checked_upload(upload)
    ext = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}[content_type]
    by = applicant_actor(person)
    with transaction.atomic():
        doc = store_generated(
            app.household,
            data,
            by=by,
            kind="other",
            title=item,
            filename=f"申请材料-{item[:40]}.{ext}",
            content_type=content_type,
        )
        row = OnlineUpload.objects.create(application=app, item=item, document=doc)
        record(by, "portal.apply_upload", app, changes={"item": item})
    return row


def _phone_of(person: Person) -> str:
    return unseal("phone", person.phone_enc) if person.phone_enc else ""


def sign_phone(sig: OnlineSignature) -> tuple[str, str]:
    """The number a member's link and code go to, and where it came from: the registry, the
    one the applicant gave at first use (``declare.give_phone``), or for a member declared new
    the one declared with him (``declare.declare_member``)."""
    if sig.person is None:
        change = sig.change
        declared = unseal("phone", change.phone_enc) if change is not None and change.phone_enc else ""
        return declared, "declared" if declared else ""
    phone = _phone_of(sig.person)
    if phone:
        return phone, "registry"
    given = unseal("phone", sig.given_phone_enc) if sig.given_phone_enc else ""
    return given, "first_use" if given else ""


def send_link(sig: OnlineSignature, *, by_person: Person, base_url: str) -> str:
    """A one-time signing link by SMS to the member's own phone number in the registry; a new
    link replaces the old one. Returns the masked number it went to."""
    app = sig.application
    _editable(app)
    if sig.signed_at is not None:
        raise DomainError("already_signed", f"{sig.member_name}已签署")
    phone, _ = sign_phone(sig)
    if not phone:
        name = sig.member_name
        raise InvalidInput("no_phone", f"系统中没有{name}的手机号，请填写{name}本人的手机号", field="phone")
    now = timezone.now()
    if sig.link_sent_at and now - sig.link_sent_at < SIGN_CODE_INTERVAL:
        raise TooManyRequests("too_frequent", "签署链接已发送，请1分钟后再重新发送")
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        OnlineSignature.objects.filter(pk=sig.pk).update(
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            link_sent_at=now,
            attempts=0,
            code_hash="",
            codes_sent=0,
        )
        record(applicant_actor(by_person), "portal.apply_link", app, changes={"member": sig.member_name})
    url = f"{base_url.rstrip('/')}/my/sign/{token}/"
    text = f"【社会救助】{app.applicant.name}在掌上办为您家申请社会救助，请本人打开链接签署授权书：{url}"
    try:
        sms.send(phone, text, template="sign_link", params={"name": app.applicant.name, "url": url})
    except sms.SmsError as exc:
        raise DomainError("sms_failed", "短信发送失败，请稍后再试") from exc
    return mask_phone(phone)


def signature_for(token: str) -> OnlineSignature:
    """The unsigned signing row of a link, else 404 (unknown, spent or the application left draft)."""
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    sig = (
        OnlineSignature.objects.select_related("application", "person", "change", "application__applicant")
        .filter(token_hash=digest, signed_at__isnull=True, application__state="draft", link_sent_at__isnull=False)
        .first()
    )
    if sig is None or sig.attempts >= SIGN_CODE_TRIES:
        raise NotFound("not_found", "签署链接无效或已使用")
    return sig


def send_sign_code(sig: OnlineSignature) -> str:
    """A 6-digit code to the member's own phone: one a minute, 5 per link."""
    now = timezone.now()
    if sig.code_sent_at and now - sig.code_sent_at < SIGN_CODE_INTERVAL:
        raise TooManyRequests("too_frequent", "验证码已发送，请1分钟后再重新获取", field="code")
    if sig.codes_sent >= SIGN_CODES_MAX:
        raise TooManyRequests("too_many_codes", "获取验证码次数过多，请让申请人重新发送签署链接", field="code")
    phone, _ = sign_phone(sig)
    if not phone:
        raise DomainError("no_phone", "没有可接收验证码的手机号，请让申请人重新发送签署链接")
    code = f"{secrets.randbelow(10**6):06d}"
    OnlineSignature.objects.filter(pk=sig.pk).update(
        code_hash=_hash_code(code, secrets.token_hex(8)), code_sent_at=now, codes_sent=F("codes_sent") + 1
    )
    try:
        sms.send(
            phone,
            f"【社会救助】您的掌上办签署验证码为{code}，5分钟内有效，请勿告诉他人。",
            template="sign_code",
            params={"code": code},
        )
    except sms.SmsError as exc:
        raise DomainError("sms_failed", "短信发送失败，请稍后再试") from exc
    return mask_phone(phone)


def signer_actor(sig: OnlineSignature) -> User:
    """The signer as the actor of his signature: a registry member, or one declared new."""
    if sig.person is not None:
        return applicant_actor(sig.person)
    return system_user(f"{sig.member_name}（申报新增家庭成员·掌上办）")


def sign(sig: OnlineSignature, *, typed_name: str, code: str, agreed: bool, ip: str | None) -> OnlineSignature:
    """签署: the member agrees to the texts, types their name and confirms with the SMS code
    to their own phone; who, when, how (短信验证码) and from where are recorded."""
    if not agreed:
        raise InvalidInput("required", "请阅读并勾选“我已阅读并同意”", field="agreed")
    name = sig.member_name
    if (typed_name or "").strip() != name:
        raise InvalidInput("name_mismatch", "请输入您本人的姓名（与户籍登记一致）", field="typed_name")
    code = (code or "").strip()
    now = timezone.now()
    with transaction.atomic():
        row = OnlineSignature.objects.select_for_update().get(pk=sig.pk)
        fresh = row.code_hash and row.code_sent_at and now - row.code_sent_at < SIGN_CODE_TTL
        if not (fresh and len(code) == 6 and code.isdigit() and _code_matches(code, row.code_hash)):
            OnlineSignature.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
            ok = False
        else:
            ok = True
            phone, source = sign_phone(row)
            row.typed_name = name
            row.phone_masked = mask_phone(phone)
            row.phone_source = source
            row.ip = ip
            row.signed_at = now
            row.code_hash = ""
            row.save(update_fields=["typed_name", "phone_masked", "phone_source", "ip", "signed_at", "code_hash"])
            record(
                signer_actor(sig),
                "portal.apply_sign",
                sig.application,
                changes={
                    "member": name,
                    "documents": [dict(SIGN_LABELS)[d] for d in row.documents],
                    "phone": row.phone_masked,
                    "phone_source": dict(PHONE_SOURCES).get(source, ""),
                },
            )
    if not ok:
        raise DomainError("wrong_code", "验证码不正确或已失效，请重新获取", field="code")
    return row


SIGN_LABELS = [("authorization", "家庭经济状况核对授权书"), ("commitment", "诚信承诺书")]


def unsigned(app: OnlineApplication) -> list[str]:
    """The adults who still have to sign before the family submits. A member declared leaving
    need not: if the town adopts his 迁出 his signature would not count; if it does not, the
    intake's 一次性告知 asks for his 授权书 like any adult's who has not signed."""
    leaving = set(app.changes.filter(kind="remove_member").values_list("person_id", flat=True))
    rows = app.signatures.select_related("person", "change").filter(signed_at__isnull=True)
    return [s.member_name for s in rows if s.person_id is None or s.person_id not in leaving]


def submit(app: OnlineApplication, *, person: Person) -> OnlineApplication:
    """提交: only when every adult member (but one declared leaving) has signed."""
    _editable(app)
    unsigned_names = unsigned(app)
    if unsigned_names:
        raise DomainError(
            "unsigned", f"还有家庭成员未签署：{'、'.join(unsigned_names)}。所有成年家庭成员签署后才能提交"
        )
    with transaction.atomic():
        app.state = "submitted"
        app.submitted_at = timezone.now()
        app.save(update_fields=["state", "submitted_at"])
        record(applicant_actor(person), "portal.apply_submit", app, changes={"state": "submitted"})
    return app


def withdraw(app: OnlineApplication, *, person: Person) -> OnlineApplication:
    if app.state not in ("draft", "submitted"):
        raise DomainError("invalid_state", f"申请已{app.get_state_display()}，不能撤回")
    with transaction.atomic():
        app.state = "withdrawn"
        app.save(update_fields=["state"])
        record(applicant_actor(person), "portal.apply_withdraw", app, changes={"state": "withdrawn"})
    return app


def _font(size: int) -> Any:
    from PIL import ImageFont

    for path in sorted(glob.glob("/usr/share/fonts/**/*CJK*Regular*.tt[cf]", recursive=True)):
        return ImageFont.truetype(path, size)
    return None


def signature_image(sig: OnlineSignature, label: str) -> bytes:
    """The PNG kept as the signature of one document: the typed name and how it was confirmed
    (the record itself stays on the ``OnlineSignature`` row)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 200), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(40), _font(20)
    when = timezone.localtime(sig.signed_at).strftime("%Y-%m-%d %H:%M") if sig.signed_at else ""
    if font is not None:
        draw.text((20, 20), sig.typed_name, fill="black", font=font)
        draw.text((20, 90), f"{label}·掌上办签署", fill="black", font=small)
        draw.text((20, 125), f"短信验证码确认 {sig.phone_masked} {when}", fill="black", font=small)
    else:
        draw.text((20, 20), f"online signature, SMS code {sig.phone_masked} {when}", fill="black")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def is_town_window(user: User) -> bool:
    """Who takes 掌上办申请: the town's intake staff, not a village assistant (whose intake
    would be 帮办代办), or an administrator. The queue page and the staff API both ask this."""
    if user.is_superuser:
        return True
    return user.has_perm_code("applications.intake") and getattr(user, "role", "") != "village_assistant"


def accept(app: OnlineApplication, *, by: User, adopted: Iterable[int] | None = None) -> Intake:
    """受理 (town window): the one-door intake action with channel 掌上办 (``online``), the
    members' online signatures as their 授权书 and the applicant's 承诺书, the uploaded
    photos as materials provided; the legal clock starts now. The family's declared changes
    the clerk adopts (``adopted`` ids; ``None``: all) update the registry first, through its
    own actions, in the same transaction; declared incomes and assets are the case's facts."""
    if getattr(by, "role", "") == "village_assistant":
        # The family applied itself: a village assistant's intake would be 帮办代办 (channel village).
        raise Forbidden("town_accepts", "掌上办申请由乡镇（街道）社会救助窗口受理")
    require_in_scope(by=by, area_code=app.area_code, what="掌上办申请")
    if app.state != "submitted":
        raise DomainError("invalid_state", f"申请{app.get_state_display()}，不能受理")
    # the PNGs are drawn before the transaction; which of them count is known only after adoption
    images = {
        (s.pk, doc): signature_image(s, label)
        for s in app.signatures.filter(signed_at__isnull=False, voided_at__isnull=True)
        for doc, label in (("authorization", "核对授权书"), ("commitment", "诚信承诺书"))
        if doc in s.documents
    }
    req = IntakeRequest(
        household=app.household,
        applicant=app.applicant,
        programs=list(app.programs),
        channel="online",
        documents_provided=[u.item for u in app.uploads.all()],
        remarks=f"掌上办申请（{app.pk}）" + (f"：{app.reason}" if app.reason else ""),
    )
    with notices.rendered_after(), transaction.atomic():
        locked = OnlineApplication.objects.select_for_update().get(pk=app.pk)
        if locked.state != "submitted":
            raise DomainError("invalid_state", "申请已被受理或撤回")
        req.facts = declare.facts_after(locked, declare.adopt(locked, by=by, adopted=adopted))
        # a member declared new signs as himself once adopted; a declined one's or a removed one's is void
        counted = settle.signatures_after_adoption(locked, by=by)
        signed = [
            (c.person_id, images.get((c.signature.pk, "authorization")), images.get((c.signature.pk, "commitment")))
            for c in counted
        ]
        req.authorizations = [SignatureIn(pid, png) for pid, png, _ in signed if png is not None]
        req.commitment = next((SignatureIn(pid, png) for pid, _, png in signed if png is not None), None)
        record_intake = intake(req, by=by)
        locked.state = "accepted"
        locked.intake = record_intake
        locked.save(update_fields=["state", "intake"])
        record(by, "portal.online_accept", locked, changes={"receipt": record_intake.receipt_number})
    app.refresh_from_db()
    return record_intake
