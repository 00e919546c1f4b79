"""Applications API (救助申请)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["救助申请"])
