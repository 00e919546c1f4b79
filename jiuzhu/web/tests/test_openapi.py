"""The API's own description is right (issue 14 item 18): every request and response schema
has a name of its own (two classes of one name overwrite each other in openapi.json), the
application and referral actions and the two kinds of "changes" are documented with their own
bodies, and 救助测算 documents the household facts field by field."""

import pydantic

from jiuzhu.api import api


def _classes(base: type) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_classes(sub))
    return found


def test_no_two_schemas_share_a_name():
    import jiuzhu.urls  # noqa: F401  (every router imported)

    by_name: dict[str, set[str]] = {}
    for cls in _classes(pydantic.BaseModel):
        if cls.__module__.startswith("jiuzhu"):
            by_name.setdefault(cls.__name__, set()).add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in by_name.items() if len(where) > 1} == {}


def _body_schema(schema: dict, path: str) -> str:
    ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[1]


def test_each_operation_is_documented_with_its_own_body():
    schema = api.get_openapi_schema()
    assert _body_schema(schema, "/api/v1/applications/{application_id}/actions/{name}") == "ApplicationActionIn"
    assert _body_schema(schema, "/api/v1/referrals/{referral_id}/actions/{name}") == "ReferralActionIn"
    assert _body_schema(schema, "/api/v1/parameters/changes") == "ParameterChangeIn"


def test_the_eligibility_facts_are_described_field_by_field():
    schema = api.get_openapi_schema()
    components = schema["components"]["schemas"]
    household = components["EvaluateIn"]["properties"]["household"]
    assert household == {"$ref": "#/components/schemas/HouseholdFactsIn"}
    members = components["HouseholdFactsIn"]["properties"]["members"]
    assert members["items"] == {"$ref": "#/components/schemas/MemberFactsIn"}
    member = components["MemberFactsIn"]["properties"]
    assert {"age", "relation", "incomes", "assets", "disability_grade", "labour_capacity"} <= set(member)
    assert "basic_pension=城乡居民基本养老保险基础养老金" in member["incomes"]["description"]
    assert "deliberated_amount_fen" in components["TemporaryRequestIn"]["properties"]
