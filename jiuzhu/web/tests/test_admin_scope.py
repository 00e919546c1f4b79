"""The Django admin within the administrator's jurisdiction, in Chinese (issue 16 item 6;
GOV-3, GOV-17, GOV-19): two counties' administrators each see and change only their own
county's users, departments, areas, tokens, referral settings and data batches; foreign-key
choices offer only their own rows; a row outside their area is refused with a Chinese form
error and nothing is saved; a superuser sees everything; no English on the pages they use."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client

from jiuzhu.accounts.models import ApiToken, Department, User
from jiuzhu.programs.models import AssistanceProgram
from jiuzhu.referrals.models import ReferralPolicy
from jiuzhu.web.demo import ADMIN_MODEL_PERMS

pytestmark = pytest.mark.django_db
TEZ, YC = "370405", "370404"


@pytest.fixture
def admins(world: Any) -> dict[str, Client]:
    """台儿庄区's administrator (demo) and one for 峄城区 with the same model permissions; a
    峄城区 department, user and referral setting to be hidden from 台儿庄区."""
    yc_admin = User.objects.create_user(
        "yc_admin", password="x", full_name="峄城区系统管理员", role="admin", area_id=f"{YC}000000", is_staff=True
    )
    yc_admin.user_permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_MODEL_PERMS))
    Department.objects.create(code="minzheng", name="峄城区民政局", area_id=f"{YC}000000")
    program = AssistanceProgram.objects.get(code="dibao_urban")
    ReferralPolicy.objects.create(county_code=YC, program=program, days=10)
    ReferralPolicy.objects.create(county_code=TEZ, program=program, days=7)
    root = User.objects.create_superuser("root", password="x")
    clients = {}
    for name, user in (("tez", world.user("tez_admin")), ("yc", yc_admin), ("root", root)):
        clients[name] = Client()
        clients[name].force_login(user)
    return clients


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return str(response.content.decode())


def test_it_lists_only_the_users_of_the_administrators_county(admins: dict[str, Client]) -> None:
    """GOV-3: each county's administrator sees its own staff; a superuser sees both."""
    tez, yc, root = (page(admins[k], "/admin/accounts/user/?all=") for k in ("tez", "yc", "root"))
    assert "tez_zhangshanzi" in tez and "yc_county" not in tez and "yc_admin" not in tez
    assert "yc_county" in yc and "tez_zhangshanzi" not in yc
    assert "yc_county" in root and "tez_zhangshanzi" in root


def test_it_lists_only_the_departments_areas_and_referral_settings_of_the_county(admins: dict[str, Client]) -> None:
    """GOV-3: departments, the area tree and 派单配置 are scoped the same way."""
    assert "峄城区民政局" not in page(admins["tez"], "/admin/accounts/department/")
    assert "峄城区民政局" in page(admins["yc"], "/admin/accounts/department/")
    areas = page(admins["tez"], "/admin/areas/area/?q=370404")
    assert "370404000000" not in areas
    assert "370405000000" in page(admins["tez"], "/admin/areas/area/?q=370405000000")
    policies = page(admins["tez"], "/admin/referrals/referralpolicy/")
    assert ">370405<" in policies and ">370404<" not in policies
    assert ">370404<" in page(admins["root"], "/admin/referrals/referralpolicy/")


def test_it_answers_a_row_of_another_county_as_not_found(admins: dict[str, Client]) -> None:
    """GOV-3: another county's row does not exist for the administrator (redirect with a note)."""
    yc_user = User.objects.get(username="yc_county")
    response = admins["tez"].get(f"/admin/accounts/user/{yc_user.pk}/change/", follow=True)
    assert response.redirect_chain and "不存在" in response.content.decode()
    response = admins["tez"].get(f"/admin/areas/area/{YC}000000/change/")
    assert response.status_code == 302
    assert admins["yc"].get(f"/admin/accounts/user/{yc_user.pk}/change/").status_code == 200


def test_it_offers_only_the_county_s_areas_as_choices(admins: dict[str, Client]) -> None:
    """GOV-3: the department form lists the administrator's own areas only."""
    form = page(admins["tez"], "/admin/accounts/department/add/")
    options = re.findall(r'<option value="(\d{12})"', form)
    assert options and all(code.startswith(TEZ) for code in options)
    assert any(
        code.startswith(YC)
        for code in re.findall(r'<option value="(\d{12})"', page(admins["root"], "/admin/accounts/department/add/"))
    )


def test_it_refuses_a_department_in_another_county_and_saves_nothing(admins: dict[str, Client]) -> None:
    """GOV-17: the choice is refused with a Chinese message; no row is written."""
    before = Department.objects.count()
    response = admins["tez"].post(
        "/admin/accounts/department/add/", {"code": "yibao", "name": "峄城区医疗保障局", "area": f"{YC}000000"}
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert Department.objects.count() == before


def test_it_refuses_a_referral_setting_for_another_county_naming_the_field(admins: dict[str, Client]) -> None:
    """GOV-17, GOV-19: a county code outside the administrator's area is a form error in Chinese."""
    program = AssistanceProgram.objects.get(code="tekun")
    response = admins["tez"].post(
        "/admin/referrals/referralpolicy/add/", {"county_code": YC, "program": program.pk, "days": "5", "enabled": "on"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "县级区划为“370404”，不在您的管辖范围（台儿庄区）内，不能保存" in body
    assert not ReferralPolicy.objects.filter(program=program).exists()
    ok = admins["tez"].post(
        "/admin/referrals/referralpolicy/add/",
        {"county_code": TEZ, "program": program.pk, "days": "5", "enabled": "on"},
    )
    assert ok.status_code == 302 and ReferralPolicy.objects.filter(program=program, county_code=TEZ).exists()


def test_it_refuses_moving_a_user_to_another_county(admins: dict[str, Client], world: Any) -> None:
    """GOV-17: an account cannot be moved out of the administrator's area."""
    user = world.user("tez_hecha")
    response = admins["tez"].post(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role,
            "area": f"{YC}000000",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    user.refresh_from_db()
    assert user.area_id.startswith(TEZ)


def test_a_county_administrator_cannot_grant_superuser_or_permissions(admins: dict[str, Client], world: Any) -> None:
    """GOV-17: powers come from the role; only a superuser edits grants."""
    user = world.user("tez_hecha")
    form = page(admins["tez"], f"/admin/accounts/user/{user.pk}/change/")
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form
    assert 'name="is_superuser"' in page(admins["root"], f"/admin/accounts/user/{user.pk}/change/")


def test_it_scopes_api_tokens_by_their_user_s_area(admins: dict[str, Client], world: Any) -> None:
    """GOV-3: a token belongs to the county of its user."""
    from jiuzhu.accounts.actions import create_api_token

    create_api_token(User.objects.get(username="yc_county"), by=None, name="峄城区对接")
    create_api_token(world.user("tez_county"), by=None, name="台儿庄区对接")
    tokens = page(admins["tez"], "/admin/accounts/apitoken/")
    assert "台儿庄区对接" in tokens and "峄城区对接" not in tokens
    assert "峄城区对接" in page(admins["yc"], "/admin/accounts/apitoken/")
    assert ApiToken.objects.count() == 2


def test_the_national_program_catalog_is_read_only_for_a_county(admins: dict[str, Client]) -> None:
    """GOV-19: the 救助项目库 is shared; a county chooses from it on its own page."""
    assert admins["tez"].get("/admin/programs/assistanceprogram/add/").status_code == 403
    assert admins["root"].get("/admin/programs/assistanceprogram/add/").status_code == 200


def _text(body: str) -> str:
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", body)
    body = re.sub(r"(?s)<!--.*?-->", " ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def data_words() -> set[str]:
    """Codes and names that are data, not labels: usernames, department, program and data
    source codes, the request header a peer sends, the JSON literal of an empty schema field."""
    from jiuzhu.verification.models import Provider, Source

    words = {"VER", "Jiuzhu", "Peer", "null"}
    for model, field in ((User, "username"), (Department, "code"), (AssistanceProgram, "code")):
        words |= set(model.objects.values_list(field, flat=True))
    words |= set(Provider.objects.values_list("code", flat=True)) | set(Source.objects.values_list("code", flat=True))
    return {part for w in words for part in (w, *re.split(r"[_.]", w))} | {"vehicle"}  # help: 如 gongan.vehicle


def test_the_pages_a_county_administrator_uses_are_chinese(admins: dict[str, Client]) -> None:
    """The admin speaks Chinese: index, every list and form the administrator may open."""
    client = admins["tez"]
    urls = ["/admin/"]
    for model in admin.site._registry:
        meta = model._meta
        urls += [f"/admin/{meta.app_label}/{meta.model_name}/", f"/admin/{meta.app_label}/{meta.model_name}/add/"]
    urls += [f"/admin/accounts/user/{User.objects.get(username='tez_admin').pk}/change/"]
    checked, data = 0, data_words()
    for url in urls:
        response = client.get(url)
        if response.status_code != 200:
            continue
        checked += 1
        # Whole words only: letters inside a random token (a key prefix such as 3cda9) are not English,
        # nor the shown start of a masked password hash (adebbe*****: six hex digits that may
        # all be letters, one time in ~360).
        text = re.sub(r"[0-9A-Za-z+/=]+\*{4,}", " ", _text(response.content.decode()))
        words = set(re.findall(r"(?<![A-Za-z0-9])[A-Za-z][A-Za-z_]{2,}(?![A-Za-z0-9])", text)) - data
        assert not words, (url, sorted(words))
    assert checked >= 15
