"""短信 backends (issue 18 item 1; INT-2): chosen by ``JIUZHU_SMS_BACKEND``; the file backend
writes one line per message; the 短信平台 adapter signs its request and refuses to run
unconfigured. No test reaches a provider: ``urlopen`` is replaced."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
from typing import Any

import pytest

from jiuzhu.portal import sms


def test_the_file_backend_writes_one_json_line_per_message(sms_file):
    sms.send("13800000000", "测试短信")
    sms.send("13900000000", "第二条")
    lines = [json.loads(x) for x in sms_file.read_text(encoding="utf-8").splitlines()]
    assert [(x["phone"], x["text"]) for x in lines] == [("13800000000", "测试短信"), ("13900000000", "第二条")]


def test_the_backend_is_chosen_by_the_setting(settings):
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.ConsoleBackend"
    assert isinstance(sms.backend(), sms.ConsoleBackend)


def test_the_console_backend_masks_the_phone_number(settings, capsys):
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.ConsoleBackend"
    sms.send("13812345678", "您的验证码是 123456")
    out = capsys.readouterr().out
    assert "13812345678" not in out
    assert "138****5678" in out and "123456" in out


def test_the_http_adapter_refuses_to_run_unconfigured(settings):
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.HttpBackend"
    settings.JIUZHU_SMS_URL = ""
    with pytest.raises(sms.SmsError, match="未配置"):
        sms.send("13800000000", "x")


def test_the_http_adapter_signs_its_request(settings, monkeypatch):
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.HttpBackend"
    settings.JIUZHU_SMS_URL = "https://sms.invalid/send"
    settings.JIUZHU_SMS_KEY_ID, settings.JIUZHU_SMS_SECRET = "key-1", "secret-1"
    seen: dict[str, Any] = {}

    def fake_urlopen(request: Any, timeout: float) -> Any:
        seen["request"] = request
        return io.BytesIO(b'{"code": "OK"}')

    monkeypatch.setattr(sms.urllib.request, "urlopen", fake_urlopen)
    sms.send("13800000000", "验证码123456")
    request = seen["request"]
    body = request.data
    assert json.loads(body)["phone"] == "13800000000" and request.get_header("X-key-id") == "key-1"
    assert request.get_header("X-signature") == hmac.new(b"secret-1", body, hashlib.sha256).hexdigest()
    monkeypatch.setattr(sms.urllib.request, "urlopen", lambda r, timeout: io.BytesIO(b'{"code": "DENIED"}'))
    with pytest.raises(sms.SmsError, match="拒绝"):
        sms.send("13800000000", "x")
