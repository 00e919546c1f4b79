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


ALIYUN_TEMPLATES = {"login_code": "SMS_1", "sign_link": "SMS_2", "sign_code": "SMS_3", "notice": "SMS_4"}


def test_the_aliyun_signature_reproduces_the_providers_published_example():
    """Item 1, the real provider adapter: 阿里云's SendSms document signs this request with
    AccessKeySecret ``testSecret`` to ``zJDF+Lrzhj/ThnlvIToysFRq6t4=``."""
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sms.aliyun_signature(params, "testSecret", method="GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sms.percent_encode("a b*~/") == "a%20b%2A~%2F"


def test_the_aliyun_adapter_sends_the_template_and_refuses_to_run_unconfigured(settings, monkeypatch):
    settings.JIUZHU_SMS_BACKEND = "jiuzhu.portal.sms.AliyunBackend"
    settings.JIUZHU_SMS_KEY_ID, settings.JIUZHU_SMS_SECRET = "key-1", "secret-1"
    settings.JIUZHU_SMS_ALIYUN_ENDPOINT = "https://sms.invalid/"
    settings.JIUZHU_SMS_TEMPLATES = {"login_code": "SMS_1"}
    with pytest.raises(sms.SmsError, match="缺少sign_link"):
        sms.send("13800000000", "x", template="login_code", params={"code": "123456"})
    settings.JIUZHU_SMS_TEMPLATES = ALIYUN_TEMPLATES
    seen: dict[str, Any] = {}

    def fake_urlopen(request: Any, timeout: float) -> Any:
        seen["request"] = request
        return io.BytesIO(b'{"Code": "OK", "Message": "OK"}')

    monkeypatch.setattr(sms.urllib.request, "urlopen", fake_urlopen)
    sms.send("13800000000", "您的验证码为123456", template="login_code", params={"code": "123456"})
    fields = dict(sms.urllib.parse.parse_qsl(seen["request"].data.decode()))
    assert fields["TemplateCode"] == "SMS_1" and json.loads(fields["TemplateParam"]) == {"code": "123456"}
    assert fields["PhoneNumbers"] == "13800000000" and fields["AccessKeyId"] == "key-1"
    signature = fields.pop("Signature")
    assert signature == sms.aliyun_signature(fields, "secret-1")
    with pytest.raises(sms.SmsError, match="没有为"):
        sms.send("13800000000", "x", template="", params={})
    monkeypatch.setattr(
        sms.urllib.request, "urlopen", lambda r, timeout: io.BytesIO(b'{"Code": "isv.BUSINESS_LIMIT_CONTROL"}')
    )
    with pytest.raises(sms.SmsError, match="拒绝"):
        sms.send("13800000000", "x", template="sign_code", params={"code": "1"})


def test_every_message_names_its_template(sms_file, world, household_in, new_id):
    """A template provider needs the template of every message the platform sends."""
    from jiuzhu.portal import actions

    county = world.village_in("张山子镇").county_code
    id_number = new_id(age=40, area=county)
    household_in(
        "张山子镇", members=[{"name": "吴立新", "id_number": id_number, "relation": "self", "phone": "13900001111"}]
    )
    actions.request_code(id_number, ip="127.0.0.1")
    line = json.loads(sms_file.read_text(encoding="utf-8").splitlines()[-1])
    assert line["template"] == "login_code" and line["template"] in sms.TEMPLATES and len(line["params"]["code"]) == 6
