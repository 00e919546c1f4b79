"""What a case asks of the referrals app without importing it (issue 15 item 4).

Applications and referrals are one layer and do not import each other. Two answers only
referrals hold: who receives which program now (the 社会救助对象基础信息库 of the 两清单, read by
the exclusivity check), and which department programs a family could still be referred to (the
联动建议 on a decided case). Referrals provide both in ``ReferralsConfig.ready``
(``referrals/providers.py``); the exclusivity check refuses to run without its provider.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from .models import Application


@dataclass(frozen=True)
class Receiving:
    """One person receiving a program on a day, as the register of recipients records it."""

    name: str
    program_name: str
    source: str  # where the record comes from, in words (本系统审批, 部门导入 …)
    start_on: dt.date


ReceivingLookup = Callable[[Iterable[str], Iterable[str], dt.date], list[Receiving]]
SuggestionLookup = Callable[["Application"], list[dict[str, str]]]


@dataclass
class _Providers:
    receiving: ReceivingLookup | None = None
    suggestions: SuggestionLookup | None = None


_providers = _Providers()


def provide(*, receiving: ReceivingLookup, suggestions: SuggestionLookup) -> None:
    """Called once by the referrals app at start-up."""
    _providers.receiving, _providers.suggestions = receiving, suggestions


def receiving(id_indexes: Iterable[str], program_codes: Iterable[str], on: dt.date) -> list[Receiving]:
    """Who of these persons (blind indexes) receives one of these register programs on ``on``,
    oldest first."""
    if _providers.receiving is None:
        raise ImproperlyConfigured("the register of recipients has no provider (referrals app not installed?)")
    return _providers.receiving(id_indexes, program_codes, on)


def referral_suggestions(application: Application) -> list[dict[str, str]]:
    """Department programs the family qualifies for and was not yet referred to."""
    return _providers.suggestions(application) if _providers.suggestions is not None else []
