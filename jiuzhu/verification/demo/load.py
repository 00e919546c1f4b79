"""Loading the demo: catalog, departments, the clean files as batches, signed 授权书 and pending 核对申请."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import system_user
from jiuzhu.registry.models import Household

from ..catalog import sync_catalog
from ..models import Authorization, Source
from .files import write_department_files
from .people import DEMO_COUNTY


def _png(text: str) -> bytes:
    """A tiny valid PNG (a 1×1 pixel) carrying ``text``, so each signature file is unique."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text.encode("utf-8"))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def sign_authorizations(household: Household, *, by: User | None = None) -> list[Authorization]:
    """Demo: every adult member signs the 授权书 (a signature image as registry document)."""
    from jiuzhu.registry.actions import attach_document

    by = by or system_user("系统（演示数据）")
    out = []
    for person in household.current_members().filter(death_date__isnull=True):
        if person.age < 18 or Authorization.objects.valid().filter(person=person, household=household).exists():
            continue
        upload = SimpleUploadedFile(f"授权书签名-{person.pk}.png", _png(f"authorization {person.pk}"), "image/png")
        doc = attach_document(
            household, upload, by=by, kind="signature", title=f"{person.name}核对授权书签名", person=person
        )
        with transaction.atomic():
            out.append(
                Authorization.objects.create(
                    person=person, household=household, area_code=household.area_id, method="pad", document=doc
                )
            )
    return out


def ensure_departments(county: str = DEMO_COUNTY) -> None:
    """Every data provider of the catalog as a department of the county (for uploads)."""
    from jiuzhu.accounts.models import Department
    from jiuzhu.areas.models import Area

    from ..models import Provider

    area = Area.objects.filter(code=county.ljust(12, "0")).first()
    if area is None:
        return
    for p in Provider.objects.all():
        Department.objects.get_or_create(area=area, code=p.code, defaults={"name": p.name})


def load_demo_sources(out_dir: Path | None = None, *, households_to_authorize: int = 12) -> dict[str, int]:
    """Demo: catalog, departments, the clean department files loaded as batches, and a
    few households with signed authorizations and pending 核对申请."""
    from ..actions import receive_batch, request_verification
    from ..ingest import process_batch

    sync_catalog()
    ensure_departments()
    out_dir = out_dir or Path(settings.MEDIA_ROOT) / "verification" / "demo_files"
    system = system_user("系统（演示数据）")
    loaded = 0
    for f in write_department_files(out_dir):
        if f.defective:
            continue
        source = Source.objects.get(code=f.source)
        with open(f.path, "rb") as fh:
            batch, created = receive_batch(
                source,
                iter(lambda: fh.read(1 << 20), b""),
                by=system,
                filename=f.path.name,
                channel="demo",
                county_code=DEMO_COUNTY,
            )
        if created or batch.status in ("queued", "processing"):
            batch = process_batch(batch.pk)
        loaded += int(batch.status == "loaded")
    authorized = 0
    for household in Household.objects.filter(county_code=DEMO_COUNTY).order_by("id")[:households_to_authorize]:
        sign_authorizations(household, by=system)
        authorized += 1
        if not household.verification_requests.exists():
            request_verification(by=system, household=household, program="dibao")
    return {"batches": loaded, "authorized_households": authorized}
