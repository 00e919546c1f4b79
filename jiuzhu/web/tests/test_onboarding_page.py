"""The 开通县区 page (issue 16 item 5; GOV-3, GOV-5, GOV-17): the checklist for the county
administrator, jurisdiction (own county only; a superuser any), and the upload of the three
files with a confirmation step before anything is written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import SystemActor
from jiuzhu.web import onboarding

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "onboarding" / "example"


def uploads(**replace: bytes) -> dict[str, Any]:
    data = {name: (EXAMPLE / name).read_bytes() for name in onboarding.FILES}
    data.update({k.replace("_", "."): v for k, v in replace.items()})
    return {
        "areas": SimpleUploadedFile("areas.csv", data["areas.csv"]),
        "staff": SimpleUploadedFile("staff.xlsx", data["staff.xlsx"]),
        "county": SimpleUploadedFile("county.yaml", data["county.yaml"]),
    }


@pytest.fixture
def superuser(world: Any) -> Client:
    user = User.objects.create_superuser("root_onboard", password="x-unused-x")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def onboarded(world: Any) -> None:
    onboarding.onboard(onboarding.read_directory(EXAMPLE), by=SystemActor())


def client_for(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_it_shows_the_administrator_the_checklist_of_their_county(onboarded: None) -> None:
    page = client_for("xc_admin").get("/onboarding/").content.decode()
    assert "薛城区（370403）开办检查：各项均已就绪" in page
    assert page.count("✓") == len(onboarding.checklist("370403")) == 9 and "✗" not in page


def test_it_shows_what_is_missing_with_links_to_fix_it(world: Any) -> None:
    """A demo county whose chosen programs were all removed: the checklist says so, with the link."""
    from jiuzhu.programs.models import CountyProgram

    CountyProgram.objects.filter(county_code="370405").delete()
    page = client_for("tez_admin").get("/onboarding/").content.decode()
    assert "台儿庄区（370405）开办检查：尚缺" in page
    assert 'data-testid="check-programs" class="missing"' in page and "救助项目库" in page
    assert 'href="/programs/"' in page


def test_it_refuses_a_role_that_does_not_manage_accounts(world: Any, client_of: Any) -> None:
    assert client_of("tez_zhangshanzi").get("/onboarding/").status_code == 403
    assert client_of("tez_county").get("/onboarding/").status_code == 403


def test_it_hides_another_county_from_an_administrator(onboarded: None) -> None:
    assert client_for("tez_admin").get("/onboarding/?county=370403").status_code == 404
    assert client_for("xc_admin").get("/onboarding/?county=370405").status_code == 404


def test_an_administrator_cannot_onboard_another_county(world: Any) -> None:
    page = client_for("tez_admin").post("/onboarding/", uploads()).content.decode()
    assert "370403不在您的管辖范围内" in page
    assert not User.objects.filter(username="xc_admin").exists()


def test_it_previews_then_writes_only_on_confirmation(superuser: Client) -> None:
    """GOV-17: what will be created is shown first; nothing is written until confirmed; the
    one-time passwords are shown once, and the checklist is then complete."""
    preview = superuser.post("/onboarding/?county=370403", uploads())
    page = preview.content.decode()
    assert "请确认：将为 370403 写入以下内容" in page and "账号：新建 xc_shagou" in page
    assert not User.objects.filter(username="xc_shagou").exists()
    token = preview.context["token"]
    done = superuser.post("/onboarding/?county=370403", {"token": token})
    page = done.content.decode()
    assert "开通材料已导入" in page and "各项均已就绪" in page
    assert done["Cache-Control"] == "no-store"
    username, _, _, password = done.context["report"].passwords[0]
    assert User.objects.get(username=username).check_password(password) and password in page
    again = superuser.post("/onboarding/?county=370403", {"token": token}).content.decode()
    assert "确认已过期或已执行" in again


def test_it_lists_every_problem_of_bad_files_and_writes_nothing(superuser: Client) -> None:
    bad = (
        (EXAMPLE / "county.yaml")
        .read_text(encoding="utf-8")
        .replace("confirmed_by: xc_admin", "confirmed_by: xc_county")
    )
    page = superuser.post("/onboarding/", uploads(county_yaml=bad.encode())).content.decode()
    assert "未写入任何数据" in page and "录入人和确认人不能是同一人" in page
    assert not User.objects.filter(username="xc_county").exists()


def test_the_home_page_links_the_administrator_to_it(world: Any, client_of: Any) -> None:
    assert 'data-testid="home-onboarding"' in client_of("tez_admin").get("/").content.decode()
    assert 'data-testid="home-onboarding"' not in client_of("tez_zhangshanzi").get("/").content.decode()
