"""监督/只读 means no write of any kind, anywhere (issue 14 item 10; GOV-1, SUP-6): every page
and API operation that accepts an unsafe method is enumerated from the URL configuration and
the API itself — so one added later is covered too — and refuses the read-only user; the audit
log refuses to record a write by that user whatever path it took."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from jiuzhu.accounts.permissions import posts_to_read
from jiuzhu.api import api
from jiuzhu.core.errors import Forbidden

pytestmark = pytest.mark.django_db
SAMPLE = {"int": "1", "str": "x", "slug": "x", "path": "x", "uuid": "00000000-0000-0000-0000-000000000001"}


def page_urls() -> list[str]:
    found: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = getattr(p.pattern, "_route", None)
            if route is None:
                continue  # regex routes (the admin's): covered by /admin/ below
            route = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                found.append("/" + prefix + route)

    walk(get_resolver().url_patterns, "")
    return sorted({u for u in found if not u.startswith("/api/")} | {"/admin/", "/admin/login/"})


def api_writes() -> list[tuple[str, str]]:
    found = []
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method in methods:
            if method in ("post", "put", "patch", "delete"):
                found.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return found


def test_no_page_takes_a_write_from_the_read_only_user(client_of, world):
    viewer = client_of("tez_viewer")
    urls = page_urls()
    assert len(urls) > 60 and "/tokens/" in urls and "/verification/findings/1/handle/" in urls
    wrong = []
    for url in urls:
        if posts_to_read(url):
            continue
        r = viewer.post(url, {"note": "x", "reason": "x", "name": "x"})
        if r.status_code != 403 or "只读账号" not in r.content.decode():
            wrong.append(f"POST {url} → {r.status_code}")
    assert wrong == []


def test_no_api_operation_takes_a_write_from_the_read_only_user(world, client_of):
    out = io.StringIO()
    call_command("create_api_token", "tez_viewer", stdout=out)
    token = Client(headers={"Authorization": f"Bearer {out.getvalue().strip()}"})
    session = client_of("tez_viewer")
    writes = api_writes()
    assert len(writes) > 40
    wrong = []
    for method, path in writes:
        if posts_to_read(path) or path.startswith("/api/v1/public/"):
            continue  # the public site takes no staff identity (issue 18): an anonymous form
        for label, client in (("token", token), ("session", session)):
            if label == "token" and path == "/api/v1/verifications/peer/query":
                continue  # signed by a peer county, not a user token (see test_api_unauthenticated)
            if label == "token" and path.startswith("/api/v1/my/"):
                continue  # 掌上办: a staff token is no credential there (jiuzhu/portal/tests/test_login.py)
            r = client.generic(method.upper(), path, b"{}", content_type="application/json")
            body = r.json() if r.get("Content-Type", "").startswith("application/json") else {}
            if r.status_code != 403 or body.get("code") != "read_only":
                wrong.append(f"{label} {method.upper()} {path} → {r.status_code} {body.get('code')}")
    assert wrong == []


def test_the_audit_log_refuses_a_write_by_the_read_only_user(world, household_in):
    """The backstop: even an action whose permission check would let the supervisor through
    (closing a 核对预警 needs only verification.view) fails, and nothing is written."""
    from django.db import transaction

    from jiuzhu.accounts.actions import create_api_token
    from jiuzhu.accounts.models import ApiToken
    from jiuzhu.audit.log import record
    from jiuzhu.audit.models import AuditEntry

    viewer = world.user("tez_viewer")
    with pytest.raises(Forbidden) as exc:
        create_api_token(viewer, by=viewer, name="自己签发")
    assert exc.value.code == "read_only" and not ApiToken.objects.exists()
    h = household_in("张山子镇")
    before = AuditEntry.objects.count()
    with pytest.raises(Forbidden), transaction.atomic():
        record(viewer, "verification.finding.handle", h)
    with transaction.atomic():  # a view is recorded
        record(viewer, "registry.pii.reveal", h)
    assert AuditEntry.objects.count() == before + 1


def test_the_read_only_user_sees_no_form_that_writes(client_of, household_in):
    h = household_in("张山子镇")
    page = client_of("tez_viewer").get(f"/households/{h.id}/").content.decode()
    assert 'class="read-only"' in page and 'data-testid="read-only-banner"' in page
    assert client_of("tez_viewer").get("/households/").status_code == 200
    r = client_of("tez_viewer").post("/households/", {"q": "张"})  # a search is a read
    assert r.status_code in (200, 302)
