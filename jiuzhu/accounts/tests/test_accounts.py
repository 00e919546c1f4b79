"""Login with lockout, roles and jurisdiction, API tokens (GOV-1, GOV-4, GOV-6, GOV-9, GOV-14, GOV-15)."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from jiuzhu.accounts.models import ApiToken
from jiuzhu.accounts.roles import ROLES
from jiuzhu.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
PASSWORD = "jiuzhu-demo-2026"


def test_every_role_of_the_issue_exists():
    names = {r.name for r in ROLES.values()}
    assert {
        "村协理员/网格员",
        "镇窗口经办",
        "镇审批",
        "县民政业务",
        "县核对员",
        "部门用户",
        "监督/只读",
        "系统管理员",
    } <= names


def test_a_demo_user_logs_in(world):
    c = Client()
    r = c.post("/login/", {"username": "tez_zhangshanzi", "password": PASSWORD})
    assert r.status_code == 302
    assert "张山子镇窗口" in c.get("/").content.decode()


def test_a_wrong_password_gets_a_chinese_message(world):
    r = Client().post("/login/", {"username": "tez_zhangshanzi", "password": "wrong"})
    assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()


def test_repeated_failures_lock_the_account(world):
    c = Client()
    for _ in range(5):
        c.post("/login/", {"username": "tez_jiantouji", "password": "wrong"})
    r = c.post("/login/", {"username": "tez_jiantouji", "password": PASSWORD})
    assert r.status_code == 429
    assert "锁定" in r.content.decode()
    assert Client().post("/login/", {"username": "tez_zhangshanzi", "password": PASSWORD}).status_code == 302


def test_the_command_prints_a_token_that_works(world):
    out = io.StringIO()
    call_command("create_api_token", "tez_county", stdout=out)
    token = out.getvalue().strip()
    assert token.startswith("jz_")
    r = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me")
    assert r.status_code == 200 and r.json()["role"] == "county_officer"
    assert token not in str(list(ApiToken.objects.values()))


def test_a_revoked_token_stops_working(world):
    out = io.StringIO()
    call_command("create_api_token", "tez_county", stdout=out)
    token = out.getvalue().strip()
    call_command("revoke_api_token", token, stdout=io.StringIO())
    r = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"
    assert AuditEntry.objects.filter(action="accounts.token.revoke").count() == 1


def test_an_expired_token_gets_401(world):
    out = io.StringIO()
    call_command("create_api_token", "tez_county", "--days", "1", stdout=out)
    token = out.getvalue().strip()
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/households")
    assert r.status_code == 401 and r.json() == {"code": "token_expired", "message": "访问令牌已过期，请重新申请"}


def test_a_made_up_token_gets_401(world):
    r = Client(headers={"Authorization": "Bearer jz_nope"}).get("/api/v1/households")
    assert r.status_code == 401 and r.json()["code"] == "invalid_token"


def test_an_unknown_user_cannot_get_a_token(world):
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", stdout=io.StringIO())


def test_a_user_issues_and_revokes_a_token_in_the_ui(client_of):
    c = client_of("tez_yibao")
    page = c.post("/tokens/", {"name": "医保系统对接", "days": "30"})
    token = page.context["new_token"]
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me").json()["username"] == "tez_yibao"
    row = ApiToken.objects.get()
    c.post(f"/tokens/{row.id}/revoke/")
    assert Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/me").status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(client_of, world):
    from jiuzhu.accounts.actions import create_api_token

    row, _ = create_api_token(world.user("tez_county"), by=None)
    assert client_of("tez_yibao").post(f"/tokens/{row.id}/revoke/").status_code == 404


def test_pages_require_login(world):
    r = Client().get("/households/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_each_role_gets_a_home_page(client_of):
    for username in [
        "tez_admin",
        "tez_county",
        "tez_zhangshanzi",
        "tez_beiluo",
        "tez_hecha",
        "tez_yibao",
        "tez_viewer",
    ]:
        assert client_of(username).get("/").status_code == 200, username


def test_a_village_assistant_sees_only_the_village(client_of, household_in, world):
    """GOV-6: the 协理员 works in his village."""
    from jiuzhu.registry.models import Household

    h = household_in("张山子镇")
    assert h.area.name == "张山子社区"
    assert client_of("tez_beiluo").get(f"/households/{h.id}/").status_code == 404
    assert Household.objects.visible_to(world.user("tez_zhangshanzi")).filter(pk=h.pk).exists()


def test_tokens_expire_by_default_and_within_the_longest_lifetime(world, settings):
    """Issue 19 item 5: no token lives for ever unless asked; the county sets both limits."""
    from jiuzhu.accounts.actions import create_api_token
    from jiuzhu.core.errors import InvalidInput

    settings.API_TOKEN_DEFAULT_DAYS, settings.API_TOKEN_MAX_DAYS = 30, 100
    row, _ = create_api_token(world.user("tez_county"), by=None)
    assert dt.timedelta(days=29) < row.expires_at - timezone.now() <= dt.timedelta(days=30)
    with pytest.raises(InvalidInput) as exc:
        create_api_token(world.user("tez_county"), by=None, days=101)
    assert "100" in exc.value.message


def test_a_lockout_stops_the_accounts_api_tokens(world):
    """Issue 19 item 5: repeated failed logins lock the account for the API as well."""
    out = io.StringIO()
    call_command("create_api_token", "tez_county", stdout=out)
    token = out.getvalue().strip()
    api = Client(headers={"Authorization": f"Bearer {token}"})
    assert api.get("/api/v1/me").status_code == 200
    for _ in range(5):
        Client().post("/login/", {"username": "tez_county", "password": "wrong"})
    r = api.get("/api/v1/me")
    assert r.status_code == 401 and r.json()["code"] == "user_locked"
    call_command("axes_reset_username", "tez_county", stdout=io.StringIO())
    assert api.get("/api/v1/me").status_code == 200
