"""The onboarding files' names and columns, what is read from them, and a run's report."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from jiuzhu.core.errors import InvalidInput

AREAS_FILE, STAFF_FILE, COUNTY_FILE = "areas.csv", "staff.xlsx", "county.yaml"
FILES = (AREAS_FILE, STAFF_FILE, COUNTY_FILE)
STAFF_COLUMNS = ("用户名", "姓名", "岗位", "所属区划代码", "所属部门")
STAFF_REQUIRED = STAFF_COLUMNS[:4]
# The roles a county needs before its first application is taken, decided and paid: the
# window accepts and investigates, the village helps and publishes, the town approver
# decides or proposes, the verification centre checks, the county officer approves and
# makes the roster, the administrator confirms its lock (a second person).
REQUIRED_ROLES = ("town_clerk", "town_approver", "village_assistant", "county_verifier", "county_officer", "admin")
STANDARDS = {"urban": ("dibao.standard.urban", "城市低保标准"), "rural": ("dibao.standard.rural", "农村低保标准")}
USERNAME = re.compile(r"^[A-Za-z0-9_.@+-]{2,150}$")
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"  # no 0/O, 1/l/I
PASSWORD_LENGTH = 14


class OnboardingInvalid(InvalidInput):
    """The files have problems; ``problems`` names each one (file, row, column)."""

    def __init__(self, problems: list[str]) -> None:
        shown = "；".join(problems[:30]) + ("；……" if len(problems) > 30 else "")
        super().__init__(
            "onboarding_invalid", f"开通材料有{len(problems)}处错误，未写入任何数据：{shown}", field="file"
        )
        self.problems = problems


@dataclass(frozen=True)
class StaffRow:
    row: int
    username: str
    full_name: str
    role: str
    area_code: str  # 12 digits
    department: str  # a department code of the county, or ""


@dataclass(frozen=True)
class Standard:
    kind: str  # urban | rural
    fen: int
    valid_from: dt.date
    source: str


@dataclass(frozen=True)
class ProgramDetails:
    """A program's county details from county.yaml (本县承办部门、联系人、联系电话、申请材料、
    取消的证明事项); ``department`` is a department code of the county file, or ""."""

    department: str
    contact_person: str
    contact_phone: str
    materials: list[str]
    abolished_proofs: list[dict[str, str]]


@dataclass
class CountySpec:
    county_code: str
    documents: dict[str, str]  # notice_prefix, issuer_name, remedy_review_body, remedy_court
    documents_valid_from: dt.date
    documents_source: str
    departments: list[tuple[str, str]]
    programs: list[str]
    program_details: dict[str, ProgramDetails]
    preset: str
    preset_valid_from: dt.date
    preset_source: str
    standards: list[Standard]
    entered_by: str
    confirmed_by: str


@dataclass(frozen=True)
class AreaRow:
    row: int
    code: str  # 12 digits
    name: str


@dataclass
class Package:
    areas: bytes
    area_rows: list[AreaRow]
    staff: list[StaffRow]
    county: CountySpec

    @property
    def county_code(self) -> str:
        return self.county.county_code


@dataclass
class Report:
    """What a run did (or, in a dry run, would do): lines in Chinese, and the new accounts'
    one-time passwords (username, name, role name, password)."""

    county_code: str
    dry_run: bool
    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    passwords: list[tuple[str, str, str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.done)


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    ok: bool
    detail: str
    link: str
    link_label: str
