"""Every API operation, whatever its method, answers 401 with the JSON error body when the
token is missing or unknown (issue 14 item 15; GOV-9): enumerated from the API itself, so an
operation added later is covered too."""

import re

import pytest
from django.test import Client

from jiuzhu.api import api

pytestmark = pytest.mark.django_db
# 掌上办 sign-in (issue 18): how an applicant gets a token; it needs none.
PUBLIC = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/my/login/code", "/api/v1/my/login"}
# The public site (issue 18: status query, 公示 and objections, policy pages) needs no login by
# design; without a token it must still answer with a JSON body and never fail.
PUBLIC_SITE = "/api/v1/public/"
# Authenticated by the peer county's HMAC signature, not a user token: its own 401 code.
PEER_SIGNED = {"/api/v1/verifications/peer/query"}


def operations() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, methods in schema["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in methods:
            if method in ("get", "post", "put", "patch", "delete") and path not in PUBLIC:
                found.append((method, concrete))
    return found


def test_the_enumeration_sees_the_writes():
    ops = operations()
    assert len(ops) > 80
    assert ("post", "/api/v1/applications/1/actions/approve") in ops or any(
        m == "post" and p.startswith("/api/v1/applications") for m, p in ops
    )
    assert sum(1 for m, _ in ops if m != "get") > 40


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer jz_unknown"}, {"Authorization": "Basic eDp5"}])
def test_every_operation_answers_401_without_a_valid_token(world, headers):
    client = Client(enforce_csrf_checks=True, headers=headers)
    wrong = []
    for method, path in operations():
        body_bytes = b"" if method == "get" else b"{}"
        r = client.generic(method.upper(), path, body_bytes, content_type="application/json")
        body = r.json() if r.get("Content-Type", "").startswith("application/json") else {}
        expected = "invalid_token" if "Bearer" in headers.get("Authorization", "") else "unauthorized"
        if path in PEER_SIGNED:
            expected = body.get("code") or "a code"
        if path.startswith(PUBLIC_SITE):
            if r.status_code >= 500 or not body:
                wrong.append(f"{method.upper()} {path} → {r.status_code} {r.content[:60]!r}")
            continue
        if r.status_code != 401 or body.get("code") != expected or not body.get("message"):
            wrong.append(f"{method.upper()} {path} → {r.status_code} {body or r.content[:60]!r}")
    assert wrong == []


def test_a_signed_in_session_still_needs_the_csrf_token(client_of):
    client = client_of("tez_zhangshanzi")
    client.handler.enforce_csrf_checks = True
    r = client.post("/api/v1/households", data="{}", content_type="application/json")
    assert r.status_code == 403
