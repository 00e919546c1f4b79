"""Fixtures of the verification tests: the catalog, jobs run at once, department files,
authorized households and approved cases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.tests.conftest import png, signed_intake  # noqa: F401  (fixtures)
from jiuzhu.payments.tests.conftest import approved_case  # noqa: F401  (fixture)

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
_numbers = itertools.count(1)


@pytest.fixture
def catalog(db: None) -> None:
    from jiuzhu.verification.catalog import sync_catalog

    sync_catalog()


@pytest.fixture
def jobs(settings: Any, django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """Background jobs run at once (django-tasks ImmediateBackend) when their transaction
    commits: ``with jobs(): ...``."""
    settings.TASKS = IMMEDIATE

    def capture() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return capture


def csv_bytes(headers: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(headers)
    w.writerows(rows)
    return out.getvalue().encode(encoding)


def headers_of(code: str) -> list[str]:
    from jiuzhu.verification.models import Source

    return Source.objects.get(code=code).current_schema.headers


def row_for(code: str, **values: Any) -> list[Any]:
    """A row in the data type's column order from field keys."""
    from jiuzhu.verification.models import Source

    schema = Source.objects.get(code=code).current_schema
    return [values.get(f["key"], "") for f in schema.fields]


@pytest.fixture
def upload(world: Any, jobs: Callable[[], Any]) -> Callable[..., Any]:
    """Receive and process a department file as ``username`` (default the 医保 user for
    yibao.*, else the system), returning the finished batch."""
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.models import Batch, Source

    def do(code: str, data: bytes, *, user: Any = None, filename: str = "", **kwargs: Any) -> Batch:
        source = Source.objects.get(code=code)
        actor = world.user(user) if isinstance(user, str) else (user or SystemActor())
        if not getattr(actor, "area", None):
            kwargs.setdefault("county_code", "370405")
        with jobs():
            batch, _ = receive_batch(source, [data], by=actor, filename=filename or f"{code}.csv", **kwargs)
        batch.refresh_from_db()
        return batch

    return do


@pytest.fixture
def authorized(household_in: Callable[..., Any]) -> Callable[..., Any]:
    """A household whose adult members all signed the 授权书."""
    from jiuzhu.verification.demo import sign_authorizations

    def make(town: str = "张山子镇", size: int = 3, **kwargs: Any) -> Any:
        household = household_in(town, size=size, **kwargs)
        sign_authorizations(household)
        return household

    return make


def plain_ids(household: Any) -> list[str]:
    from jiuzhu.registry.pii import unseal

    return [unseal("id_number", p.id_number_enc) for p in household.current_members()]


@pytest.fixture
def case_of(db: None) -> Callable[..., Any]:
    """An application of the household in the given state (default approved)."""
    from jiuzhu.applications.models import Application, Intake

    def make(household: Any, program: str = "dibao", state: str = "approved") -> Application:
        n = next(_numbers)
        applicant = household.current_members().first()
        intake = Intake.objects.create(
            receipt_number=f"T{n:08d}",
            household=household,
            applicant=applicant,
            channel="window",
            area_code=household.area_id,
        )
        return Application.objects.create(
            number=f"TA{n:08d}",
            intake=intake,
            household=household,
            applicant=applicant,
            program=program,
            channel="window",
            state=state,
            area_code=household.area_id,
            county_code=household.county_code,
            urban=household.urban_rural == "urban",
            due_on=dt.date(2026, 12, 31),
        )

    return make


@pytest.fixture
def vehicle_file() -> Callable[..., bytes]:
    def make(*owners: tuple[str, str], state: str = "正常") -> bytes:
        rows = [
            row_for(
                "gongan.vehicle",
                name="车主",
                id_number=id_number,
                plate=plate,
                vehicle_type="小型轿车",
                registered_on="2024-05-01",
                state=state,
            )
            for id_number, plate in owners
        ]
        return csv_bytes(headers_of("gongan.vehicle"), rows)

    return make


@pytest.fixture(scope="session")
def instance_template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A migrated database with the catalog, cloned for every separate instance."""
    from .instances import Instance

    template = Instance(tmp_path_factory.mktemp("instances"), "template")
    template.manage("migrate", "-v0")
    template.manage("sync_source_catalog")
    yield template
    template.close()


@pytest.fixture
def new_instance(instance_template: Any, tmp_path: Any) -> Any:
    from .instances import Instance

    made: list[Instance] = []

    def make(name: str, **kwargs: Any) -> Instance:
        instance = Instance(tmp_path, name, template=instance_template, **kwargs)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.close()
