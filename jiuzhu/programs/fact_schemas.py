"""The household facts of 救助测算 as typed API schemas (issue 14 item 18), built from the
rules engine's own dataclasses (``jiuzhu.rules.facts``) so that the description in
``/api/v1/openapi.json`` can never drift from what the engine reads. The engine still
parses and validates the body itself (codes, ranges, field paths in Chinese messages)."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from jiuzhu.rules import facts as rf


def _codes(table: Mapping[str, Any]) -> str:
    names = {code: label[0] if isinstance(label, tuple) else label for code, label in table.items()}
    return "；".join(f"{code or '（空）'}={name}" for code, name in names.items())


DESCRIPTIONS: dict[str, str] = {
    "age": "评估日的周岁年龄（与 birth_date 二选一）",
    "birth_date": "出生日期（与 age 二选一）",
    "relation": "与申请人关系：" + _codes(rf.RELATIONS),
    "incomes": "月收入（分），按收入类型：" + _codes(rf.INCOME_TYPES),
    "assets": "财产：存款、有价证券以分计，车辆、住房、企业以数量计：" + _codes(rf.ASSET_TYPES),
    "disability_grade": "残疾等级 1–4（一级最重），0 为无",
    "disability_type": "残疾类别：" + _codes(rf.DISABILITY_TYPES),
    "labour_capacity": "劳动能力：" + _codes(rf.LABOUR_CAPACITY),
    "self_care_unable": "不能自理的生活自理项目：" + _codes(rf.SELF_CARE_ITEMS),
    "school": "在学情况：" + _codes(rf.SCHOOL),
    "medical_oop_fen": "近12个月个人自付医疗费用（分）",
    "education_oop_fen": "近12个月个人自付教育费用（分）",
    "serious_illness": "重病患者（患重特大疾病）",
    "monthly_income_fen": "赡养（抚养、扶养）义务人月收入（分）",
    "is_tekun": "义务人本人是特困人员",
    "is_dibao": "义务人本人是低保对象",
    "incapacitated": "义务人无民事行为能力、被宣告失踪或在监狱服刑",
    "assets_within_limit": "义务人财产符合当地低收入家庭财产状况规定",
    "kind": "临时救助类别：" + _codes(rf.TEMPORARY_KINDS),
    "approval_level": "审批层级：" + _codes(rf.APPROVAL_LEVELS),
    "event": "急难事由：" + _codes(rf.EMERGENCY_EVENTS),
    "deliberated_amount_fen": "一事一议决定金额（分），0 为尚未议定",
    "members": "共同生活家庭成员（单独申请时只含申请人）",
    "urban": "城市（true）或农村（false）低保标准",
    "area_code": "居住地区划代码（2–12位）",
    "supporters": "不在共同生活家庭内的法定赡养、抚养、扶养义务人",
    "temporary": "临时救助申请事由（仅临时救助需要）",
    "alone": "单独申请（参照单人户）",
    "family_edge": "所在共同生活家庭为低保边缘家庭",
}


class _FactsSchema(BaseModel):
    # Unknown keys reach the engine, which names them (code unknown_field) with their path.
    model_config = ConfigDict(extra="allow")


def _api_type(hint: Any, nested: dict[type, type[BaseModel]]) -> Any:
    """The API type of a dataclass field: mappings become objects, tuples lists, nested
    dataclasses their schemas."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint in nested:
        return nested[hint]
    if origin in (Mapping, dict, typing.Mapping):
        return dict[str, int]
    if origin is tuple:
        return list[_api_type(args[0], nested)]  # type: ignore[misc]
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        return _api_type(inner[0], nested) | None
    return hint


def _schema(name: str, source: type, doc: str, nested: dict[type, type[BaseModel]]) -> type[BaseModel]:
    hints = typing.get_type_hints(source)  # resolved in the module that defines the dataclass
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(source):
        if f.default is not dataclasses.MISSING:
            default: Any = list(f.default) if isinstance(f.default, tuple) else f.default
        elif f.default_factory is not dataclasses.MISSING:
            made = f.default_factory()
            default = list(made) if isinstance(made, tuple) else dict(made) if isinstance(made, Mapping) else made
        elif f.name == "members":
            default = ...
        else:  # the engine decides (``urban`` follows the area when absent) and says what is missing
            default = None
        api_type = _api_type(hints[f.name], nested)
        if default is None:
            api_type = api_type | None
        fields[f.name] = (api_type, Field(default, description=DESCRIPTIONS.get(f.name)))
    model = create_model(name, __base__=_FactsSchema, __doc__=doc, **fields)
    return typing.cast(type[BaseModel], model)


MemberFactsIn = _schema("MemberFactsIn", rf.Member, "家庭成员（共同生活家庭成员）", {})
SupporterFactsIn = _schema("SupporterFactsIn", rf.Supporter, "法定赡养、抚养、扶养义务人（不在共同生活家庭内）", {})
TemporaryRequestIn = _schema("TemporaryRequestIn", rf.TemporaryRequest, "临时救助申请事由", {})
HouseholdFactsIn = _schema(
    "HouseholdFactsIn",
    rf.HouseholdFacts,
    "家庭（共同生活家庭）的情况：救助测算依据",
    {rf.Member: MemberFactsIn, rf.Supporter: SupporterFactsIn, rf.TemporaryRequest: TemporaryRequestIn},
)
