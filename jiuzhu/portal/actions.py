"""掌上办 actions (issue 18 items 1 and 3; INT-2, INT-9, INT-22, SUP-16): one-time codes and
sign-in, the notice delivery log and the family's 补正 uploads.

No enumeration: an unknown ID number, a person without a phone number in the registry and a
known one get the same answer — a code row is written for each (the unknown one's code is
never sent and cannot be guessed) and the same limits apply.

A member without a phone number in the registry signs in at the number given for him at first
use once he has confirmed it himself: the number his family gave when applying online and at
which he signed the 授权书 with an SMS code (``login_phone``); never a number typed at the
sign-in page, since an ID number is no secret (docs/decisions.md, "掌上办 sign-in without a
registry phone")."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import system_user
from jiuzhu.applications import actions as case_actions
from jiuzhu.applications.models import Application, Notice
from jiuzhu.audit.log import record
from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.core.idnumber import normalize, parse_id_number
from jiuzhu.core.masking import mask_phone
from jiuzhu.registry import storage
from jiuzhu.registry.actions import ALLOWED_DOCUMENT_TYPES, MAX_DOCUMENT_BYTES
from jiuzhu.registry.models import Document, Person
from jiuzhu.registry.pii import blind_index, unseal

from . import sms
from .models import (
    ApplicantSession,
    DeclaredChange,
    LoginAttempt,
    LoginCode,
    NoticeDelivery,
    OnlineSignature,
    Supplement,
)

CODE_TTL = dt.timedelta(minutes=5)
CODE_TRIES = 5  # wrong answers before a code is spent
CODES_PER_ID_PER_HOUR = 5
CODE_INTERVAL = dt.timedelta(seconds=60)  # between two codes for the same ID number
CODES_PER_IP_PER_HOUR = 20
LOCK_WINDOW = dt.timedelta(minutes=30)
FAILURES_TO_LOCK_ID = 10
FAILURES_TO_LOCK_IP = 30

CODE_SENT = (
    "如该身份证号已在本县社会救助系统登记手机号（或家人网上申请时为您填写、经您本人签署确认的手机号），"
    "验证码已发送到该手机，5分钟内有效。没有收到短信？请联系村（社区）或乡镇（街道）社会救助窗口。"
)
WRONG_CODE = "验证码不正确或已失效，请重新获取"


class TooManyRequests(DomainError):  # 请求过于频繁
    status = 429


@dataclass(frozen=True)
class SignedIn:
    person: Person
    session: ApplicantSession
    token: str  # shown once: the cookie value or the bearer token


def _hash_code(code: str, salt: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()
    return f"{salt}${digest}"


def _code_matches(code: str, stored: str) -> bool:
    salt, _, _ = stored.partition("$")
    return hmac.compare_digest(_hash_code(code, salt), stored)


def _id_index(raw: str) -> str:
    """The blind index of a well-formed ID number (a malformed one is refused by its field)."""
    value = parse_id_number(raw, field="id_number").value
    return blind_index("id_number", value)


def login_phone(person: Person) -> tuple[str, str]:
    """The number a sign-in code goes to and where it came from: the registry's (``registry``);
    else the number given for him at first use (``first_use``) that he confirmed himself by
    signing an online application with an SMS code to it, unless the application was withdrawn
    or the town declined that number at 受理; else none."""
    phone = unseal("phone", person.phone_enc) if person.phone_enc else ""
    if phone:
        return phone, "registry"
    sig = (
        OnlineSignature.objects.filter(
            person=person,
            phone_source="first_use",
            signed_at__isnull=False,
            voided_at__isnull=True,
            given_phone_enc__isnull=False,
        )
        .exclude(application__state="withdrawn")
        .order_by("-signed_at", "-id")
        .first()
    )
    if sig is None:
        return "", ""
    declined = DeclaredChange.objects.filter(
        application_id=sig.application_id, kind="phone", person=person, state="declined"
    ).exists()
    return ("", "") if declined else (unseal("phone", sig.given_phone_enc), "first_use")


def _person_with_phone(id_index: str) -> tuple[Person | None, str, str]:
    person = Person.objects.filter(id_number_index=id_index, death_date__isnull=True, household__isnull=False).first()
    if person is None:
        return None, "", ""
    phone, source = login_phone(person)
    return (person, phone, source) if phone else (None, "", "")


def _locked(id_index: str, ip: str | None) -> bool:
    since = timezone.now() - LOCK_WINDOW
    failures = LoginAttempt.objects.filter(ok=False, at__gte=since)
    if failures.filter(id_index=id_index).count() >= FAILURES_TO_LOCK_ID:
        return True
    return bool(ip) and failures.filter(ip=ip).count() >= FAILURES_TO_LOCK_IP


LOCKED = "错误次数过多，已暂停登录30分钟，请稍后再试；如有疑问请联系乡镇（街道）社会救助窗口"


def request_code(id_number: str, *, ip: str | None) -> str:
    """获取验证码: a 6-digit code to the phone number in the registry; the answer never says
    whether the ID number is known."""
    id_index = _id_index(id_number)
    now = timezone.now()
    if _locked(id_index, ip):
        raise TooManyRequests("locked", LOCKED, field="id_number")
    hour_ago = now - dt.timedelta(hours=1)
    recent = LoginCode.objects.filter(id_index=id_index, created_at__gte=hour_ago)
    if recent.filter(created_at__gte=now - CODE_INTERVAL).exists():
        raise TooManyRequests("too_frequent", "验证码已发送，请1分钟后再重新获取", field="id_number")
    if recent.count() >= CODES_PER_ID_PER_HOUR:
        raise TooManyRequests("too_many_codes", "该身份证号1小时内获取验证码次数过多，请稍后再试", field="id_number")
    if ip and LoginCode.objects.filter(ip=ip, created_at__gte=hour_ago).count() >= CODES_PER_IP_PER_HOUR:
        raise TooManyRequests("too_many_codes", "本网络获取验证码次数过多，请稍后再试", field="id_number")
    person, phone, source = _person_with_phone(id_index)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        LoginCode.objects.create(
            id_index=id_index,
            person=person,
            code_hash=_hash_code(code, secrets.token_hex(8)),
            ip=ip,
            created_at=now,
            expires_at=now + CODE_TTL,
            phone_source=source,
            phone_masked=mask_phone(phone) if phone else "",
        )
    if person is not None:
        text = f"【{settings.JIUZHU_SMS_SIGN_NAME}】您的掌上办登录验证码为{code}，5分钟内有效，请勿告诉他人。"
        # A provider failure leaves the answer unchanged: the family asks again or calls the window.
        with contextlib.suppress(sms.SmsError):
            sms.send(phone, text, template="login_code", params={"code": code})
    return CODE_SENT


def sign_in(id_number: str, code: str, *, ip: str | None, channel: str) -> SignedIn:
    """登录: the latest code for this ID number, 5 tries, then spent; repeated failures lock
    the ID number and the network for 30 minutes."""
    id_index = _id_index(id_number)
    code = normalize(code or "")
    if not (len(code) == 6 and code.isdigit()):
        raise InvalidInput("invalid_code", "请填写短信中的6位数字验证码", field="code")
    if _locked(id_index, ip):
        raise TooManyRequests("locked", LOCKED, field="code")
    now = timezone.now()
    with transaction.atomic():
        row = (
            LoginCode.objects.select_for_update()
            .filter(id_index=id_index, used_at__isnull=True, expires_at__gt=now, attempts__lt=CODE_TRIES)
            .order_by("-created_at", "-id")
            .first()
        )
        ok = row is not None and row.person_id is not None and _code_matches(code, row.code_hash)
        LoginAttempt.objects.create(id_index=id_index, ip=ip, ok=ok, at=now)
        if row is not None and not ok:
            LoginCode.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1)
    if not ok or row is None or row.person is None:
        raise DomainError("wrong_code", WRONG_CODE, field="code")
    person = row.person
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        LoginCode.objects.filter(pk=row.pk).update(used_at=now)
        if row.phone_source == "first_use":  # not the registry's number: on the record, masked
            record(
                applicant_actor(person),
                "portal.sign_in_first_use",
                person,
                changes={"phone": row.phone_masked, "phone_source": "首次使用时提供（本人签署时已验证）"},
            )
        session = ApplicantSession.objects.create(
            person=person,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            channel=channel,
            created_at=now,
            expires_at=now + dt.timedelta(hours=settings.JIUZHU_MY_SESSION_HOURS),
        )
    return SignedIn(person, session, token)


def session_for(token: str) -> ApplicantSession | None:
    """The open session of a cookie or bearer token (``None`` when unknown, ended or expired)."""
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return (
        ApplicantSession.objects.select_related("person")
        .filter(token_hash=digest, ended_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def sign_out(session: ApplicantSession) -> None:
    ApplicantSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())


def applicant_actor(person: Person) -> User:
    """The family member as the actor of a case action: audited by name as 本人（掌上办）."""
    return system_user(f"{person.name}（申请人家庭成员·掌上办）")


def record_delivery(notice: Notice, *, person: Person, channel: str, mode: str, ip: str | None) -> NoticeDelivery:
    """文书送达 (SUP-16): the family opened or downloaded a notice; one append-only row each."""
    with transaction.atomic():
        return NoticeDelivery.objects.create(
            notice=notice,
            person=person,
            household_id=notice.intake.household_id,
            area_code=person.area_code,
            channel=channel,
            mode=mode,
            ip=ip,
        )


def checked_upload(upload: UploadedFile) -> tuple[bytes, str]:
    """A family's photo or scan, bounded like any archived document: not empty, ≤ 10 MB, JPG,
    PNG or PDF by its bytes. Returns the bytes and the sniffed type."""
    if upload.size == 0:
        raise InvalidInput("empty_file", "文件为空，请重新选择", field="file")
    if upload.size is not None and upload.size > MAX_DOCUMENT_BYTES:
        raise InvalidInput("file_too_large", f"单个材料不得超过{MAX_DOCUMENT_BYTES // 1024 // 1024}MB", field="file")
    content_type = storage.sniff_content_type(upload)
    if content_type not in ALLOWED_DOCUMENT_TYPES or content_type == "image/webp":
        raise InvalidInput("unsupported_file", "请上传JPG、PNG格式的照片或PDF扫描件", field="file")
    upload.seek(0)
    return upload.read(), content_type


def takes_photo_supplements(application: Application) -> bool:
    """补正 by photo is for a case returned for documents; an accepted case's missing items (a
    授权书 or 承诺书, the member's own signature) are brought to the window."""
    return application.state == "returned"


def upload_supplement(
    application: Application, *, by: User, person: Person, item: str, upload: UploadedFile
) -> Supplement:
    """补正 without a trip (issue 18 item 3): a photo or scan of one item the 一次性告知书 asked
    for, checked like any archived document, filed through the case's own 补正 action so the
    item leaves the missing list and the window clerk sees it on the case."""
    if not takes_photo_supplements(application):
        state = application.get_state_display()
        if application.is_open and application.missing_documents:  # e.g. a 授权书 only the member can sign
            raise DomainError(
                "invalid_state", f"申请当前状态为“{state}”，待补事项请到镇（街道）便民服务中心社会救助窗口补交"
            )
        raise DomainError("invalid_state", f"申请当前状态为“{state}”，不需要补交材料")
    items = [m["name"] for m in application.missing_documents]
    item = (item or "").strip()
    if not item:
        raise InvalidInput("required", "请选择要补交的材料", field="item")
    if case_actions.is_signature_item(item):
        raise InvalidInput(
            "signature_in_person",
            f"“{item}”须由家庭成员本人到镇（街道）便民服务中心社会救助窗口签署，不能上传照片",
            field="item",
        )
    if item not in items:
        raise InvalidInput("invalid_choice", f"“{item}”不在一次性告知书所列的待补材料中", field="item")
    data, _ = checked_upload(upload)
    with transaction.atomic():
        case_actions.supplement(application, by=by, authorizations=[], materials=[case_actions.MaterialIn(item, data)])
        document = Document.objects.get(household_id=application.household_id, sha256=hashlib.sha256(data).hexdigest())
        return Supplement.objects.create(application=application, person=person, item=item, document=document)


NOTICE_SMS_SETTING = "portal.notice_sms"


def notice_sms_enabled(area_code: str) -> bool:
    """Whether the county of ``area_code`` announces new notices by SMS (dated setting, default off)."""
    from jiuzhu.programs.engine import parameter_store

    return bool(parameter_store().lookup(NOTICE_SMS_SETTING, area_code, timezone.localdate()).value)


def notify_notice_issued(notice: Notice) -> NoticeDelivery | None:
    """短信提醒: tell the applicant a notice was issued and where to read it; logged as a delivery
    (channel 短信, mode 短信提醒). No phone number or a provider failure sends nothing and logs nothing."""
    record_intake = notice.intake
    if not notice_sms_enabled(record_intake.area_code):
        return None
    person = record_intake.applicant
    phone = unseal("phone", person.phone_enc) if person.phone_enc else ""
    if not phone:
        return None
    text = (
        f"【{settings.JIUZHU_SMS_SIGN_NAME}】您家的社会救助申请有新的文书：《{notice.get_kind_display()}》"
        f"（{notice.number}），请登录掌上办查看或到村（社区）领取。"
    )
    try:
        sms.send(phone, text, template="notice", params={"name": notice.get_kind_display(), "number": notice.number})
    except sms.SmsError:
        return None
    with transaction.atomic():
        return NoticeDelivery.objects.create(
            notice=notice,
            person=person,
            household_id=record_intake.household_id,
            area_code=record_intake.area_code,
            channel="sms",
            mode="notify",
        )
