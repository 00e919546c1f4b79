"""Open deadlines counted in working days, as the apps that hold them declare them.

The holidays app sits below the apps whose deadlines it moves; each of them registers, from
its ``AppConfig.ready``, a function answering its open deadlines as (queryset, date field).
``actions.recompute_open_deadlines`` asks every registered function."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models

OpenDeadlines = Callable[[], Iterable[tuple[models.QuerySet[Any], str]]]

_providers: list[OpenDeadlines] = []


def register(provider: OpenDeadlines) -> None:
    """Declare an app's open deadlines (once; registering the same function again is a no-op)."""
    if provider not in _providers:
        _providers.append(provider)


def open_due_dates() -> list[tuple[models.QuerySet[Any], str]]:
    """Every open deadline counted in working days, as (queryset, field)."""
    return [row for provider in _providers for row in provider()]
