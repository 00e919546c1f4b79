"""The assistance cases verification asks about, as the app that holds them answers.

Verification sits below applications: a batch re-verifies the active cases it touches, and a
cross-county answer lists the assistance a person's household receives here. The applications
app registers its answer from its ``AppConfig.ready`` (``register``); with none registered
there are no cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Assistance:
    program: str
    program_name: str
    since: dt.date | None


class Cases(Protocol):
    def approved(self, household_id: int) -> list[Assistance]:
        """The household's approved cases, oldest first."""
        ...

    def households_with_approved(self, household_ids: Collection[int], programs: Collection[str]) -> set[int]:
        """Those of ``household_ids`` with an approved case in one of ``programs``."""
        ...


class _NoCases:
    def approved(self, household_id: int) -> list[Assistance]:
        return []

    def households_with_approved(self, household_ids: Collection[int], programs: Collection[str]) -> set[int]:
        return set()


_cases: list[Cases] = [_NoCases()]


def register(cases: Cases) -> None:
    _cases[0] = cases


def cases() -> Cases:
    return _cases[0]
