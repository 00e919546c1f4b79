"""Checking the onboarding files across each other and against the database."""

from __future__ import annotations

from jiuzhu.accounts.models import Department, User
from jiuzhu.accounts.roles import ROLES
from jiuzhu.areas.models import LEVEL_NAMES, Area, full_code, level_of, prefix_of

from .spec import (
    AREAS_FILE,
    COUNTY_FILE,
    STAFF_FILE,
    AreaRow,
    CountySpec,
    StaffRow,
)


def _check_areas(county: CountySpec, rows: list[AreaRow], problems: list[str]) -> None:
    code = county.county_code
    own = full_code(code)
    for r in rows:
        if not r.code.startswith(code) and not own.startswith(prefix_of(r.code)):
            problems.append(f"{AREAS_FILE} 第{r.row}行“code”列：区划代码{r.code}不属于本县（{code}）")
    if rows and own not in {r.code for r in rows} and not Area.objects.filter(code=own).exists():
        problems.append(f"{AREAS_FILE}：缺少本县（{code}）本身的一行")


def _check_staff(county: CountySpec, area_rows: list[AreaRow], staff: list[StaffRow], problems: list[str]) -> None:
    code = county.county_code
    in_file = {r.code for r in area_rows}
    in_db = set(Area.objects.filter(code__in=[s.area_code for s in staff]).values_list("code", flat=True))
    departments = {c for c, _ in county.departments} | set(
        Department.objects.filter(area_id=full_code(code)).values_list("code", flat=True)
    )
    existing = {u.username.lower(): u for u in User.objects.filter(username__in=[s.username for s in staff])}
    for s in staff:
        where = f"{STAFF_FILE} 第{s.row}行"
        role = ROLES[s.role]
        if not s.area_code.startswith(code):
            problems.append(f"{where}“所属区划代码”列：{s.area_code}不在本县（{code}）范围内")
        elif s.area_code not in in_file and s.area_code not in in_db:
            problems.append(f"{where}“所属区划代码”列：{s.area_code}既不在{AREAS_FILE}中也不在系统中")
        elif level_of(s.area_code) != role.level:
            problems.append(
                f"{where}“所属区划代码”列：岗位“{role.name}”应属于{LEVEL_NAMES[role.level]}级区划，"
                f"{s.area_code}是{LEVEL_NAMES[level_of(s.area_code)]}"
            )
        if s.department and s.department not in departments:
            problems.append(f"{where}“所属部门”列：部门代码“{s.department}”不在{COUNTY_FILE}的 departments 中")
        if s.role == "department" and not s.department:
            problems.append(f"{where}“所属部门”列：部门用户须填写所属部门")
        user = existing.get(s.username.lower())
        if user is not None and (user.area_id != s.area_code or user.role != s.role):
            problems.append(
                f"{where}“用户名”列：账号“{s.username}”已存在且岗位或区划不同；开通程序不修改已有账号，请换用户名或在用户管理中调整"
            )


def _check_people(county: CountySpec, staff: list[StaffRow], problems: list[str]) -> None:
    """entered_by / confirmed_by: two different staff of the county who may enter and confirm
    settings (the two-person rule)."""
    named = {s.username: s.role for s in staff}
    for key, permission, what in (
        ("entered_by", "parameters.propose", "录入"),
        ("confirmed_by", "parameters.confirm", "确认"),
    ):
        username = getattr(county, key)
        role = named.get(username)
        if role is None:
            user = User.objects.filter(username=username, area__code__startswith=county.county_code).first()
            role = user.role if user is not None else None
        if role is None:
            problems.append(f"{COUNTY_FILE}“{key}”：用户名“{username}”不在{STAFF_FILE}中，也不是本县已有账号")
        elif permission not in ROLES[role].permissions:
            problems.append(
                f"{COUNTY_FILE}“{key}”：“{username}”的岗位“{ROLES[role].name}”无权{what}设置，应为县民政业务或系统管理员"
            )
    if county.entered_by and county.entered_by == county.confirmed_by:
        problems.append(f"{COUNTY_FILE}“confirmed_by”：录入人和确认人不能是同一人（设置须由另一名工作人员确认）")
