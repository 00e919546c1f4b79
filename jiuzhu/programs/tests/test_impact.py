"""Impact preview of a proposed change on the 救助标准与设置 page and its API (issue 16 item 2;
GOV-8, WF-3, MIL-1): a benefit parameter moves no deadline, and the preview says so."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from jiuzhu.programs import impact
from jiuzhu.programs.actions import confirm_change, propose_change
from jiuzhu.programs.models import ParameterChange

pytestmark = pytest.mark.django_db


def propose(world: Any) -> ParameterChange:
    return propose_change(
        by=world.user("tez_county"),
        name="dibao.standard.rural",
        area_code="370405",
        valid_from=dt.date(2027, 1, 1),
        value=90000,
        reason="2027年度标准调整",
        source="台政字〔2026〕99号（测试）",
    )


def test_it_says_a_benefit_parameter_moves_no_deadline(world: Any) -> None:
    """GOV-8: the preview names what the change does and that no case deadline moves."""
    result = impact.preview(propose(world))
    assert result.nothing_moves and result.moved_deadlines == 0
    assert result.summary == "该参数不影响在办案件的办理时限；2027年1月1日起按900元执行"


def test_the_api_answers_the_preview_as_json(world: Any, api_of: Any) -> None:
    change = propose(world)
    body = api_of("tez_admin").get(f"/api/v1/parameters/changes/{change.pk}/impact").json()
    assert (
        body["change_id"] == change.pk and body["label"] == "农村最低生活保障标准（每人每月）" and body["lines"] == []
    )
    assert body["nothing_moves"] is True and "不影响在办案件" in body["summary"]


def test_a_bad_change_id_is_a_json_4xx_never_a_500(world: Any, api_of: Any) -> None:
    response = api_of("tez_admin").get("/api/v1/parameters/changes/abc/impact")
    assert 400 <= response.status_code < 500 and "message" in response.json()


def test_the_page_shows_the_preview_only_for_proposed_changes(world: Any, client_of: Any) -> None:
    change = propose(world)
    page = client_of("tez_admin").get("/parameters/").content.decode()
    assert f'data-testid="impact-{change.pk}"' in page and "不影响在办案件的办理时限" in page
    confirm_change(change, by=world.user("tez_admin"))
    page = client_of("tez_admin").get("/parameters/").content.decode()
    assert f'data-testid="impact-{change.pk}"' not in page
