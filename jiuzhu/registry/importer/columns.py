"""The columns of the household file (模板表头) and of the bulk COPY into the registry tables."""

from __future__ import annotations

from typing import Any

from ..models import RELATION_ORDER
from ..pii import seal
from ..validation import MemberData

# (key, header, required)
COLUMNS: list[tuple[str, str, bool]] = [
    ("household_ref", "家庭序号", True),
    ("area_code", "村（社区）区划代码", True),
    ("address", "家庭住址", True),
    ("poverty_cause", "主要致贫原因", False),
    ("rigid_expense_yuan", "年刚性支出（元）", False),
    ("name", "姓名", True),
    ("id_number", "身份证号码", True),
    ("relation", "与户主关系", True),
    ("phone", "联系电话", False),
    ("labour_capacity", "劳动能力", False),
    ("health_status", "健康状况", False),
    ("disability_category", "残疾类别", False),
    ("disability_grade", "残疾等级", False),
    ("marital_status", "婚姻状况", False),
    ("school_status", "在校情况", False),
    ("employment_status", "就业状况", False),
    ("bank_name", "开户银行", False),
    ("bank_account", "银行账号", False),
]
HEADER_TO_KEY = {header: key for key, header, _ in COLUMNS}
KEY_TO_HEADER = {key: header for key, header, _ in COLUMNS}


HOUSEHOLD_COLUMNS = (
    "id",
    "area_id",
    "county_code",
    "address",
    "urban_rural",
    "poverty_cause",
    "hardship_degree",
    "rigid_expense_yearly_fen",
    "remarks",
    "head_name",
    "member_count",
    "version",
    "created_at",
    "created_by_id",
    "updated_at",
)
PERSON_COLUMNS = (
    "id",
    "household_id",
    "relation",
    "relation_order",
    "area_code",
    "county_code",
    "name",
    "gender",
    "birth_date",
    "id_number_enc",
    "id_number_index",
    "id_number_masked",
    "phone_enc",
    "phone_masked",
    "bank_name",
    "bank_account_enc",
    "bank_account_index",
    "bank_account_masked",
    "labour_capacity",
    "health_status",
    "disability_category",
    "disability_grade",
    "marital_status",
    "school_status",
    "employment_status",
    "death_date",
    "temp_number",  # 临时编号: only a person registered without an ID has one, never a bulk import
    "merged_into_id",
    "version",
    "created_at",
    "updated_at",
)
MEMBERSHIP_COLUMNS = (
    "id",
    "person_id",
    "household_id",
    "relation",
    "joined_on",
    "left_on",
    "reason_joined",
    "reason_left",
)


def person_row(pid: int, household_id: int, area_code: str, md: MemberData, now: Any, id_index: str) -> tuple[Any, ...]:
    """One registry_person row in PERSON_COLUMNS order, PII sealed."""
    sid = seal("id_number", md.id_number, index=id_index)
    phone = seal("phone", md.phone) if md.phone else None
    bank = seal("bank_account", md.bank_account) if md.bank_account else None
    return (
        pid,
        household_id,
        md.relation,
        RELATION_ORDER.get(md.relation, 99),
        area_code,
        area_code[:6],
        md.name,
        md.gender,
        md.birth_date,
        sid.encrypted,
        sid.index,
        sid.masked,
        phone.encrypted if phone else None,
        phone.masked if phone else "",
        md.bank_name,
        bank.encrypted if bank else None,
        bank.index if bank else "",
        bank.masked if bank else "",
        md.labour_capacity,
        md.health_status,
        md.disability_category,
        md.disability_grade,
        md.marital_status,
        md.school_status,
        md.employment_status,
        md.death_date,
        None,
        None,
        1,
        now,
        now,
    )
