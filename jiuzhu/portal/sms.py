"""短信发送 through a pluggable backend, like Django's email backends (issue 18 item 1).

``settings.JIUZHU_SMS_BACKEND`` names the class:

- ``jiuzhu.portal.sms.ConsoleBackend`` — prints the message (development);
- ``jiuzhu.portal.sms.FileBackend`` — appends one JSON line per message to
  ``settings.JIUZHU_SMS_FILE`` (tests, demos);
- ``jiuzhu.portal.sms.HttpBackend`` — a generic 短信平台 over HTTPS (production), configured by
  ``JIUZHU_SMS_URL``, ``JIUZHU_SMS_KEY_ID``, ``JIUZHU_SMS_SECRET``, ``JIUZHU_SMS_SIGN_NAME``
  (see docs/portal.md). Never called in tests;
- ``jiuzhu.portal.sms.AliyunBackend`` — 阿里云短信服务 ``SendSms`` (RPC API, signature
  version 1.0): every message goes out as one of the county's approved 短信模板, named in
  ``JIUZHU_SMS_TEMPLATES`` (see docs/portal.md). Never called in tests.

Every message carries a template name (``login_code``, ``sign_link``, ``sign_code``,
``notice``) and its parameters beside the full text: a provider that sends free text uses
the text, a template provider the template.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import sys
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from jiuzhu.core.masking import mask_phone


class SmsError(Exception):
    """The provider refused or could not be reached."""


TEMPLATES = ("login_code", "sign_link", "sign_code", "notice")  # the messages the platform sends


class SmsBackend(Protocol):
    def send(self, phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None: ...


class ConsoleBackend:
    def send(self, phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None:
        # The console is a log: the phone number is masked like on every screen.
        sys.stdout.write(f"[短信] {mask_phone(phone)}: {text}\n")
        sys.stdout.flush()


class FileBackend:
    def send(self, phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None:
        path = Path(settings.JIUZHU_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {
                "at": timezone.now().isoformat(),
                "phone": phone,
                "text": text,
                "template": template,
                "params": dict(params or {}),
            },
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpBackend:
    """A generic 短信平台: POST JSON ``{phone, sign_name, text, timestamp}`` with the key id and
    an HMAC-SHA256 signature of the body in headers; a 2xx answer with ``{"code": "OK"}`` is a
    success. The URL and keys come from the environment (settings), never from the code."""

    timeout = 5.0

    def send(self, phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None:
        url, key_id, secret = settings.JIUZHU_SMS_URL, settings.JIUZHU_SMS_KEY_ID, settings.JIUZHU_SMS_SECRET
        if not (url and key_id and secret):
            raise SmsError("短信平台未配置（JIUZHU_SMS_URL、JIUZHU_SMS_KEY_ID、JIUZHU_SMS_SECRET）")
        body = json.dumps(
            {"phone": phone, "sign_name": settings.JIUZHU_SMS_SIGN_NAME, "text": text, "timestamp": int(time.time())},
            ensure_ascii=False,
        ).encode()
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-Key-Id": key_id, "X-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise SmsError(f"短信平台无法访问：{exc}") from exc
        if answer.get("code") != "OK":
            raise SmsError(f"短信平台拒绝发送：{answer.get('message', '')}")


def percent_encode(value: str) -> str:
    """阿里云 POP encoding: RFC 3986, UTF-8, only ``A-Z a-z 0-9 - _ . ~`` left as they are."""
    return urllib.parse.quote(value, safe="-_.~")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """Signature version 1.0 of 阿里云's RPC APIs: HMAC-SHA1 with ``secret + "&"`` over
    ``METHOD&%2F&`` + the encoded, sorted, encoded query string; base64."""
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunBackend:
    """阿里云短信服务 (Dysmsapi ``SendSms``, API version 2017-05-25) over HTTPS POST.

    Settings: ``JIUZHU_SMS_KEY_ID`` / ``JIUZHU_SMS_SECRET`` (the RAM user's AccessKey, allowed
    ``dysmsapi:SendSms`` only), ``JIUZHU_SMS_SIGN_NAME`` (the approved 短信签名),
    ``JIUZHU_SMS_TEMPLATES`` (template name → approved 模板CODE, all four required) and
    ``JIUZHU_SMS_ALIYUN_ENDPOINT``. The answer's ``Code`` must be ``OK``."""

    timeout = 5.0
    action, version, region = "SendSms", "2017-05-25", "cn-hangzhou"

    def request_params(self, phone: str, template: str, params: Mapping[str, str]) -> dict[str, str]:
        key_id, secret = settings.JIUZHU_SMS_KEY_ID, settings.JIUZHU_SMS_SECRET
        templates: Mapping[str, str] = settings.JIUZHU_SMS_TEMPLATES or {}
        missing = [name for name in TEMPLATES if not templates.get(name)]
        if not (key_id and secret and settings.JIUZHU_SMS_ALIYUN_ENDPOINT) or missing:
            raise SmsError(
                "阿里云短信未配置（JIUZHU_SMS_KEY_ID、JIUZHU_SMS_SECRET、JIUZHU_SMS_ALIYUN_ENDPOINT、"
                f"JIUZHU_SMS_TEMPLATES{'：缺少' + '、'.join(missing) if missing else ''}）"
            )
        if template not in templates:
            raise SmsError(f"没有为“{template or '（未指定）'}”配置短信模板")
        out = {
            "AccessKeyId": key_id,
            "Action": self.action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.version,
            "PhoneNumbers": phone,
            "SignName": settings.JIUZHU_SMS_SIGN_NAME,
            "TemplateCode": templates[template],
            "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
        }
        out["Signature"] = aliyun_signature(out, secret)
        return out

    def send(self, phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None:
        fields = self.request_params(phone, template, params or {})
        request = urllib.request.Request(
            settings.JIUZHU_SMS_ALIYUN_ENDPOINT,
            data=urllib.parse.urlencode(fields, quote_via=urllib.parse.quote).encode(),
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except (OSError, ValueError) as exc:
            raise SmsError(f"阿里云短信无法访问：{exc}") from exc
        if answer.get("Code") != "OK":
            raise SmsError(f"阿里云短信拒绝发送：{answer.get('Code', '')} {answer.get('Message', '')}".strip())


def backend() -> SmsBackend:
    cls = import_string(settings.JIUZHU_SMS_BACKEND)
    instance: SmsBackend = cls()
    return instance


def send(phone: str, text: str, *, template: str = "", params: Mapping[str, str] | None = None) -> None:
    """Send one message: the full ``text`` and, for template providers, ``template`` (one of
    ``TEMPLATES``) with its ``params``."""
    backend().send(phone, text, template=template, params=params)
