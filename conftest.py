"""Shared fixtures: the demo world (areas, departments, users of every role in two towns
and an outsider county), clients logged in as any demo user, API clients with tokens,
and valid synthetic ID numbers."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API + live_server

TEST_MASTER_KEY = "dGVzdC1rZXktZm9yLWppdXpodS10ZXN0cy0zMmJ5dGU="  # 32 bytes, tests only
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from django.conf import settings

    from jiuzhu.registry.pii import cipher

    settings.JIUZHU_MASTER_KEY = TEST_MASTER_KEY
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cipher.cache_clear()
    yield
    cipher.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_holiday_years() -> Iterator[None]:
    """The entered-years cache must not outlive a test's rolled-back rows."""
    from jiuzhu.holidays.calendar import forget_entered_years

    forget_entered_years()
    yield
    forget_entered_years()


class World:
    """The demo areas, departments and users, built fast (bulk, pre-hashed password)."""

    def __init__(self) -> None:
        from jiuzhu.accounts.models import User
        from jiuzhu.areas.models import Area

        self.users = {u.username: u for u in User.objects.select_related("area", "department")}
        self.areas = {a.code: a for a in Area.objects.all()}

    def user(self, username: str) -> Any:
        return self.users[username]

    def area_named(self, name: str) -> Any:
        return next(a for a in self.areas.values() if a.name == name)

    def village_in(self, town_name: str) -> Any:
        town = self.area_named(town_name)
        return next(
            a
            for a in sorted(self.areas.values(), key=lambda a: a.code)
            if a.parent_id == town.code and a.level == "village"
        )


_PASSWORD_HASH: dict[str, str] = {}


def build_world() -> World:
    from django.contrib.auth.hashers import make_password

    from jiuzhu.accounts.models import Department, User
    from jiuzhu.areas.importer import import_areas
    from jiuzhu.areas.models import Area
    from jiuzhu.web import demo

    if not Area.objects.exists():
        from django.db import transaction

        with transaction.atomic():
            import_areas(demo.AREA_FILE.read_bytes())
    county = Area.objects.get(code=demo.TAIERZHUANG)
    Department.objects.bulk_create(
        [Department(area=county, code=c, name=n) for c, n in demo.DEPARTMENTS], ignore_conflicts=True
    )
    departments = {d.code: d for d in Department.objects.filter(area=county)}
    if "hash" not in _PASSWORD_HASH:
        _PASSWORD_HASH["hash"] = make_password(demo.DEMO_PASSWORD)
    specs = [*demo.USERS, demo.DemoUser("yc_county", "峄城区民政业务员", "county_officer", "370404000000")]
    User.objects.bulk_create(
        [
            User(
                username=s.username,
                full_name=s.full_name,
                role=s.role,
                area_id=s.area,
                department=departments.get(s.department),
                is_staff=s.staff,
                password=_PASSWORD_HASH["hash"],
            )
            for s in specs
        ],
        ignore_conflicts=True,
    )
    from django.contrib.auth.models import Permission

    perms = list(Permission.objects.filter(content_type__app_label__in=demo.ADMIN_MODEL_PERMS))
    for user in User.objects.filter(is_staff=True):
        user.user_permissions.set(perms)
    from jiuzhu.programs.catalog import sync_catalog

    sync_catalog()
    from jiuzhu.applications.config import DEMO_COUNTIES
    from jiuzhu.payments.bankfiles import install_standard_layouts

    for code in DEMO_COUNTIES:  # as the demo loader and onboarding install them
        install_standard_layouts(code)
    from jiuzhu.web.demo import load_demo_programs

    load_demo_programs()  # the demo counties run every catalog program (PRG-2): intake refuses others
    return World()


@pytest.fixture
def world(db: None) -> World:
    return build_world()


@pytest.fixture(scope="module")
def demo_loaded(_test_settings: None, django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The demo (``manage.py load_demo``) loaded once for a whole test module, from the empty test
    database, inside an outer transaction rolled back when the module ends. Each test of the
    module runs in a savepoint within it (the ``db`` fixture), so what a test changes is rolled
    back as usual and the next test sees the demo as loaded. Yields the command's output.

    A full load takes tens of seconds (18 cases and three relieved households driven through the
    actions, their notices rendered and signed): once per module instead of once per test. Take it
    in every test of the module (or none): it stays loaded until the module's last test ends."""
    from io import StringIO

    from django.core.management import call_command
    from django.db import transaction

    outer = transaction.atomic()
    outer._from_testcase = True  # as TestCase's own atomics: a durable block inside still runs
    out = StringIO()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            call_command("load_demo", stdout=out)
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield out.getvalue()
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def client_of(world: World) -> Callable[[str], Any]:
    from django.test import Client

    def make(username: str) -> Client:
        c = Client()
        c.force_login(world.user(username))
        return c

    return make


@pytest.fixture
def api_of(world: World) -> Callable[[str], Any]:
    """A client that authenticates like an outside system: ``Authorization: Bearer``."""
    from django.test import Client

    from jiuzhu.accounts.actions import create_api_token

    def make(username: str) -> Client:
        _, token = create_api_token(world.user(username), by=None, name="test")
        return Client(headers={"Authorization": f"Bearer {token}"})

    return make


_id_counter = itertools.count(1)


@pytest.fixture
def new_id() -> Callable[..., str]:
    """Fresh valid synthetic ID numbers: ``new_id(age=40, gender="F")``."""
    from jiuzhu.core.idnumber import make_id_number

    def make(age: int = 40, gender: str = "M", area: str = "370405") -> str:
        n = next(_id_counter)
        birth = dt.date(2026 - age, 1 + n % 12, 1 + n % 28)
        if birth > dt.date.today():  # a newborn's month may still lie ahead: the ID would be invalid
            birth = birth.replace(year=birth.year - 1)
        return make_id_number(area, birth, (n * 2) % 1000, gender)

    return make


@pytest.fixture
def household_in(world: World, new_id: Callable[..., str]) -> Callable[..., Any]:
    """Create a household in the first village of a town, as that town's clerk would."""
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.registry.actions import create_household

    def make(town: str = "张山子镇", size: int = 3, **kwargs: Any) -> Any:
        village = world.village_in(town)
        relations = ["self", "spouse", "child", "child", "parent", "other"]
        members = [
            {
                "name": "测试" + "甲乙丙丁戊己"[i],
                "id_number": new_id(age=45 - i * 10 if i < 3 else 70, gender="MF"[i % 2], area=village.county_code),
                "relation": relations[i],
            }
            for i in range(size)
        ]
        return create_household(
            by=SystemActor(),
            area_code=village.code,
            address=f"{village.name}1号",
            members=kwargs.pop("members", members),
            **kwargs,
        )

    return make


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"浏览器测试需要 Debian chromium（{CHROMIUM}）：请运行 make setup", pytrace=False)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    """Browser contexts a test opens (one per user), closed before the live server stops so
    that no request thread outlives the test database."""
    opened: list[Any] = []
    yield opened
    for context in opened:
        context.close()
