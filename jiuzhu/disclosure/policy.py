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


# What the village board (长期公开) gives of a program's settings: the figures a family compares
# itself with (保障标准, 特困 基本生活 and 照料护理 standards, the 低保边缘 income line); every rule
# (asset limits, disability grades, approval limits) is on the policy page.
BOARD_SETTINGS = (".standard.", "tekun.basic_multiplier.", "tekun.care_allowance.", "dibao_edge.income_multiplier")


def board_lines(pages: list[ProgramPage]) -> list[tuple[str, list[Setting]]]:
    """The board's list: each program by name, with its headline figures, each figure once
    (特困's 集中供养 and 分散供养 share 特困人员救助供养's standards)."""
    shown: set[str] = set()
    lines = []
    for page in pages:
        figures = [s for s in page.standards if any(k in s.key for k in BOARD_SETTINGS) and s.key not in shown]
        shown.update(s.key for s in figures)
        lines.append((page.view.program.name, figures))
    return lines


def program_page(county_code: str, code: str, on: dt.date) -> ProgramPage | None:
    return next((p for p in program_pages(county_code, on) if p.code == code), None)


def hotline(county_code: str, on: dt.date) -> str:
    """The county's 救助热线 from the settings store when set, else the national 12345."""
    for s in settings_in_force(county_code, on):
        if s.key.endswith("hotline"):
            return s.display
    return "12345"
