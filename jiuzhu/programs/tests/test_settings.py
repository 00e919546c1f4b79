"""One settings model for the whole platform (issue 16 item 1; GOV-3, GOV-5, WF-2, WF-3,
WF-7, DYN-8, MIL-1): every value dated, with its area, source and validity; the nearest
area wins; a lapsed document gives way to the level above; bad values are refused with a
Chinese message naming the field."""

import datetime as dt

import pytest

from jiuzhu.core.errors import DomainError, InvalidInput
from jiuzhu.programs.actions import confirm_change, propose_change
from jiuzhu.programs.engine import parameter_store
from jiuzhu.rules import RulesInputError
from jiuzhu.rules.parameters import ParameterStore

REQUIRED = {
    "procedure.total_limit_days",  # 审批（办理）时限
    "procedure.publicity_days",  # 公示天数
    "temporary.cap.town",  # 镇（街道）临时救助限额
    "review.cycle_stable_months",  # 复核周期
    "review.cycle_other_months",
    "review.gradual_exit_months",  # 渐退期
}


def store_of(values):
    return ParameterStore.from_mapping(
        {
            "procedure.total_limit_days": {
                "description": "办理时限",
                "unit": "working_days",
                "min": 1,
                "max": 30,
                **values,
            }
        }
    )


def test_the_nearest_area_wins_and_dates_choose_the_version():
    """GOV-5: county → city → province → national; a county value from 2027 does not hide the
    national one for 2026 dates."""
    store = store_of(
        {
            "values": {
                "CN": [{"valid_from": "2021-07-01", "value": 30, "source": "民发〔2021〕57号"}],
                "37": [{"valid_from": "2022-01-01", "value": 25, "source": "省文件"}],
                "370405": [{"valid_from": "2027-01-01", "value": 12, "source": "县文件"}],
            }
        }
    )
    assert store.lookup("procedure.total_limit_days", "370405", dt.date(2026, 12, 1)).value == 25
    assert store.lookup("procedure.total_limit_days", "370405", dt.date(2027, 1, 1)).area == "370405"
    assert store.lookup("procedure.total_limit_days", "370481", dt.date(2027, 1, 1)).value == 25
    assert store.lookup("procedure.total_limit_days", "440101", dt.date(2027, 1, 1)).value == 30


def test_a_lapsed_document_gives_way_to_the_level_above():
    """MIL-1: 峄政发〔2020〕14号 is valid five years; after it the national default applies."""
    store = store_of(
        {
            "values": {
                "CN": [{"valid_from": "2021-07-01", "value": 30, "source": "民发〔2021〕57号"}],
                "370404": [
                    {"valid_from": "2020-09-05", "valid_to": "2025-09-04", "value": 12, "source": "峄政发〔2020〕14号"}
                ],
            }
        }
    )
    last_day = store.lookup("procedure.total_limit_days", "370404", dt.date(2025, 9, 4))
    assert (last_day.value, last_day.valid_to) == (12, dt.date(2025, 9, 4))
    after = store.lookup("procedure.total_limit_days", "370404", dt.date(2025, 9, 5))
    assert (after.value, after.area) == (30, "CN")


def test_a_lapsed_value_with_nothing_above_is_an_error_not_a_silent_default():
    store = store_of(
        {"values": {"370404": [{"valid_from": "2020-09-05", "valid_to": "2025-09-04", "value": 12, "source": "峄"}]}}
    )
    with pytest.raises(RulesInputError) as exc:
        store.lookup("procedure.total_limit_days", "370404", dt.date(2026, 1, 1))
    assert exc.value.code == "parameter_lapsed" and "2025-09-04" in exc.value.message


@pytest.mark.parametrize("value", [0, 31])
def test_a_shipped_value_outside_its_bounds_is_refused(value):
    with pytest.raises(RulesInputError) as exc:
        store_of({"values": {"CN": [{"valid_from": "2021-07-01", "value": value, "source": "x"}]}})
    assert exc.value.code == "out_of_range" and "1–30个工作日" in exc.value.message


def test_a_value_without_a_source_or_ending_before_it_starts_is_refused():
    with pytest.raises(RulesInputError, match="必须注明来源"):
        store_of({"values": {"CN": [{"valid_from": "2021-07-01", "value": 30}]}})
    with pytest.raises(RulesInputError, match="失效日期早于生效日期"):
        store_of(
            {"values": {"CN": [{"valid_from": "2021-07-01", "valid_to": "2021-01-01", "value": 3, "source": "x"}]}}
        )


@pytest.mark.django_db
def test_the_settings_api_lists_every_setting_with_its_source(world, api_of):
    """Fixed name: GET /api/v1/settings?area_code=370405&date=2026-12-01."""
    rows = api_of("tez_county").get("/api/v1/settings?area_code=370405&date=2026-12-01").json()
    by_key = {r["key"]: r for r in rows}
    assert set(by_key) >= REQUIRED
    for row in rows:
        assert row["source"].strip(), row["key"]
        assert set(row) >= {"key", "label", "value", "unit", "valid_from", "valid_to", "area_code", "source"}
    limit = by_key["procedure.total_limit_days"]
    assert (limit["value"], limit["unit"], limit["area_code"], limit["label"]) == (
        12,
        "working_days",
        "370405",
        "办理时限（自受理至作出决定）",
    )
    assert (
        by_key["procedure.publicity_days"]["value"] == 7
        and "民发〔2021〕57号" in by_key["procedure.publicity_days"]["source"]
    )
    assert by_key["procedure.approval.dibao"]["display"] == "镇（街道）审批"


@pytest.mark.django_db
def test_yicheng_after_its_document_lapsed_runs_the_national_procedure_and_is_warned(world, api_of):
    """Seed 004 lapsed on 2025-09-04: 峄城区 shows the national values with a warning."""
    client = api_of("yc_county")
    before = {r["key"]: r for r in client.get("/api/v1/settings?area_code=370404&date=2024-06-01").json()}
    assert before["procedure.total_limit_days"]["value"] == 12
    assert before["procedure.total_limit_days"]["valid_to"] == "2025-09-04"
    assert "将于2025-09-04失效" not in before["procedure.total_limit_days"]["warning"]  # more than 180 days ahead
    now = {r["key"]: r for r in client.get("/api/v1/settings?area_code=370404&date=2026-12-01").json()}
    limit = now["procedure.total_limit_days"]
    assert (limit["value"], limit["area_code"]) == (30, "CN")
    assert "峄政发〔2020〕14号" in limit["warning"] and "已于2025-09-04失效" in limit["warning"]
    assert now["procedure.approval.dibao"]["value"] == "county"


def propose(world, **overrides):
    data = {
        "name": "procedure.publicity_days",
        "area_code": "370405",
        "valid_from": dt.date.today() + dt.timedelta(days=30),
        "value": 5,
        "reason": "县政府文件调整公示期",
        "source": "台政字〔2026〕88号（测试）",
        **overrides,
    }
    return propose_change(by=world.user("tez_county"), **data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"value": 0}, "out_of_range", "value"),
        ({"value": 31}, "out_of_range", "value"),
        ({"valid_from": dt.date.today() - dt.timedelta(days=1)}, "backdated", "valid_from"),
        ({"valid_to": dt.date.today()}, "invalid_date", "valid_to"),
        ({"source": " "}, "required", "source"),
    ],
)
def test_bad_changes_are_refused_naming_the_field_and_nothing_is_saved(world, overrides, code, field):
    from jiuzhu.programs.models import ParameterChange

    with pytest.raises(InvalidInput) as exc:
        propose(world, **overrides)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert not ParameterChange.objects.exists()


@pytest.mark.django_db
def test_a_confirmed_change_with_an_end_date_applies_between_its_dates(world):
    start = dt.date.today() + dt.timedelta(days=30)
    end = start + dt.timedelta(days=365)
    change = propose(world, valid_from=start, valid_to=end)
    with pytest.raises(DomainError):
        confirm_change(by=world.user("tez_county"), change=change)  # two-person rule
    confirm_change(by=world.user("tez_admin"), change=change)
    store = parameter_store()
    assert store.lookup("procedure.publicity_days", "370405", start).value == 5
    assert store.lookup("procedure.publicity_days", "370405", end).valid_to == end
    assert store.lookup("procedure.publicity_days", "370405", end + dt.timedelta(days=1)).value == 7


@pytest.mark.django_db
def test_the_page_groups_settings_by_topic_and_shows_sources_and_warnings(world, client_of):
    page = client_of("yc_county").get("/parameters/?date=2026-12-01").content.decode()
    for heading in ("办理流程、时限与审批层级", "动态管理（复核与渐退）", "最低生活保障"):
        assert f"<h2>{heading}</h2>" in page
    warnings, table = page.split('data-testid="setting-warnings"')[1].split("</div>", 1)
    assert "项设置需要处理" in warnings and "办理时限（自受理至作出决定）：峄政发〔2020〕14号" in warnings
    assert "2021-07-01 至 长期" in table and "民发〔2021〕57号：公示期为7天" in table


@pytest.mark.django_db
def test_a_request_reads_the_parameters_once_and_sees_a_change_it_confirms(world, django_assert_num_queries):
    """``one_store_per_request`` (issue 20 item 3: an intake asked the database six times whether
    a change had been confirmed): one question per request, none after; a change confirmed in
    the same request is in force for the rest of it."""
    from jiuzhu.programs.engine import one_store_per_request

    start = dt.date.today() + dt.timedelta(days=30)
    change = propose(world, valid_from=start)
    with one_store_per_request():
        with django_assert_num_queries(1):
            before = parameter_store()
            assert parameter_store() is before and parameter_store() is before
        assert before.lookup("procedure.publicity_days", "370405", start).value == 7
        confirm_change(by=world.user("tez_admin"), change=change)
        after = parameter_store()
        assert after is not before
        assert after.lookup("procedure.publicity_days", "370405", start).value == 5
    with django_assert_num_queries(1):  # outside a request: asked every time, as before
        parameter_store()
