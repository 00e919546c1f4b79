"""Fixtures for cases: a valid PNG signature and an intake helper."""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from jiuzhu.applications import walk
from jiuzhu.applications.walk import Visit


def png(width: int = 4, height: int = 2) -> bytes:
    """A real (tiny) PNG image, as a signature pad would send."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\x00\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def png_b64(width: int = 4) -> str:
    return "data:image/png;base64," + base64.b64encode(png(width)).decode()


@pytest.fixture
def signed_intake(world: Any, household_in: Callable[..., Any]) -> Callable[..., Any]:
    """Intake at a town with every adult's 授权书 and the 承诺书 signed on the pad."""
    from jiuzhu.applications.actions import IntakeRequest, SignatureIn, intake

    def make(
        town: str = "张山子镇",
        programs: tuple[str, ...] = ("dibao",),
        by: str = "tez_zhangshanzi",
        household: Any = None,
        **kwargs: Any,
    ) -> Any:
        h = household or household_in(town)
        adults = [p for p in h.members.all() if p.age >= 18]
        req = IntakeRequest(
            household=h,
            applicant=h.members.get(relation="self"),
            programs=list(programs),
            authorizations=[SignatureIn(p.pk, png(4 + i)) for i, p in enumerate(adults)],
            commitment=SignatureIn(h.members.get(relation="self").pk, png(9)),
            **kwargs,
        )
        return intake(req, by=world.user(by))

    return make


# The visit the application tests record (two investigators, as the rules require).
VISIT = Visit(
    investigators="张三、李四", housing="砖瓦房两间", living_conditions="基本生活困难", labour="户主务农", health="健康"
)


def investigate(world: Any, app: Any, facts: dict[str, Any] | None = None) -> None:
    """The clerk starts the 入户调查与核对 and records the visit of two staff."""
    walk.investigate(app, by=world.user("tez_zhangshanzi"), visit=VISIT, facts=facts)
