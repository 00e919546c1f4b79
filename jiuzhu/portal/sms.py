"""短信发送 through a pluggable backend, like Django's email backends (issue 18 item 1).

``settings.JIUZHU_SMS_BACKEND`` names the class:

- ``jiuzhu.portal.sms.ConsoleBackend`` — prints the message (development);
- ``jiuzhu.portal.sms.FileBackend`` — appends one JSON line per message to
  ``settings.JIUZHU_SMS_FILE`` (tests, demos);
- ``jiuzhu.portal.sms.HttpBackend`` — a generic 短信平台 over HTTPS (production), configured by
  ``JIUZHU_SMS_URL``, ``JIUZHU_SMS_KEY_ID``, ``JIUZHU_SMS_SECRET``, ``JIUZHU_SMS_SIGN_NAME``
  (see docs/portal.md). Never called in tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from jiuzhu.core.masking import mask_phone


class SmsError(Exception):
    """The provider refused or could not be reached."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleBackend:
    def send(self, phone: str, text: str) -> None:
        # The console is a log: the phone number is masked like on every screen.
        sys.stdout.write(f"[短信] {mask_phone(phone)}: {text}\n")
        sys.stdout.flush()


class FileBackend:
    def send(self, phone: str, text: str) -> None:
        path = Path(settings.JIUZHU_SMS_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": timezone.now().isoformat(), "phone": phone, "text": text}, ensure_ascii=False)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


class HttpBackend:
    """A generic 短信平台: POST JSON ``{phone, sign_name, text, timestamp}`` with the key id and
    an HMAC-SHA256 signature of the body in headers; a 2xx answer with ``{"code": "OK"}`` is a
    success. The URL and keys come from the environment (settings), never from the code."""

    timeout = 5.0

    def send(self, phone: str, text: str) -> None:
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


def backend() -> SmsBackend:
    cls = import_string(settings.JIUZHU_SMS_BACKEND)
    instance: SmsBackend = cls()
    return instance


def send(phone: str, text: str) -> None:
    backend().send(phone, text)
