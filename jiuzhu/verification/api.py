"""Verification API (家庭经济状况核对)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["家庭经济状况核对"])
