"""政策公开 (SUP-1, PUB-2, DOC-13): programs, standards in force and materials lists of a county,
read from the catalog and the dated settings on the day asked, so they are never out of date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings as django_settings

from jiuzhu.programs.county import CountyProgramView, county_views
from jiuzhu.programs.settings import Setting, settings_in_force


def default_county() -> str:
    return str(getattr(django_settings, "PUBLIC_COUNTY_CODE", "370405"))


@dataclass(frozen=True)
class ProgramPage:
    view: CountyProgramView
    standards: list[Setting]  # the program's own settings in force (救助标准 among them)

    @property
    def code(self) -> str:
        return self.view.program.code


def _program_settings(view: CountyProgramView, rows: list[Setting]) -> list[Setting]:
    """The program's settings, its 保障标准 first (a family reads the 明白纸 from the top and
    compares its income with that figure); a rural program leaves out the urban standard and
    the other way round."""
    engine = view.program.engine_program
    if not engine:
        return []
    other = {"urban": "rural", "rural": "urban"}.get(view.program.code.rsplit("_", 1)[-1])
    own = [s for s in rows if s.key.split(".", 1)[0] == engine and not (other and s.key.endswith(f".standard.{other}"))]
    return sorted(own, key=lambda s: ".standard" not in s.key)


def program_pages(county_code: str, on: dt.date) -> list[ProgramPage]:
    rows = settings_in_force(county_code, on)
    return [
        ProgramPage(v, _program_settings(v, rows))
        for v in county_views(county_code)
        if v.row is None or v.row.is_active
    ]


def program_page(county_code: str, code: str, on: dt.date) -> ProgramPage | None:
    return next((p for p in program_pages(county_code, on) if p.code == code), None)


def hotline(county_code: str, on: dt.date) -> str:
    """The county's 救助热线 from the settings store when set, else the national 12345."""
    for s in settings_in_force(county_code, on):
        if s.key.endswith("hotline"):
            return s.display
    return "12345"
