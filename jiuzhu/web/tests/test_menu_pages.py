"""Every page of every menu opens for the user it is shown to: the county's officers, a town's
clerk and approver, a village assistant, the verification centre, departments, the supervisor,
the administrator and a city's officer (a user above any one county) — no error page."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

USERS = [
    "tez_county",
    "tez_zhangshanzi",
    "tez_zhangshanzi_sp",
    "tez_beiluo",
    "tez_hecha",
    "tez_yibao",
    "tez_viewer",
    "tez_admin",
    "tez_gongan",
    "zz_jiuzhu",
    "zz_admin",
]


@pytest.mark.parametrize("username", USERS)
def test_every_menu_page_opens(world: Any, client_of: Any, username: str) -> None:
    client = client_of(username)
    home = client.get("/")
    assert home.status_code == 200
    urls = [url for url, _label, _current in home.context["nav_items"]]
    assert len(urls) > 5
    failed = {url: r.status_code for url in urls if (r := client.get(url)).status_code != 200}
    assert failed == {}, username


def test_a_department_s_home_shows_its_referrals_not_the_registry_s_counts(world: Any, client_of: Any) -> None:
    """A department sees no households (only what is referred to it): its home page does not show
    "辖区家庭 0 · 在册人员 0 · 超期环节 0" as if its county were empty; the county's does."""
    department = client_of("tez_yibao").get("/").content.decode()
    assert 'data-testid="household-count"' not in department and "派单" in department
    assert 'data-testid="household-count"' in client_of("tez_county").get("/").content.decode()
