"""抽查 (SUP-5; seed 004 "现场指导、抽查…加强事中事后监管"): after devolution the county draws a
random share of the towns' decisions — the share a dated setting, the draw repeatable from its
seed — concludes each, and the town answers a problem with its 整改."""

from __future__ import annotations

import datetime as dt
import io
import math
import random
from typing import Any

import pytest
from django.utils import timezone

from jiuzhu.applications.models import Application
from jiuzhu.audit.changes import changes_text
from jiuzhu.audit.models import AuditEntry
from jiuzhu.core.errors import DomainError, Forbidden, InvalidInput
from jiuzhu.monitoring import spot_checks
from jiuzhu.monitoring.models import SpotCheck, SpotCheckItem
from jiuzhu.web.work import work_for

pytestmark = pytest.mark.django_db
JSON = "application/json"
TODAY = timezone.localdate()
ZHANGSHANZI = "370405101"


@pytest.fixture
def decided(world: Any, approved_case: Any) -> list[Application]:
    """Ten decisions of 张山子镇's 审批 this month (one of them 不予批准), two of 涧头集镇's, and
    one made at the county (not a town's decision: never drawn)."""
    cases = [approved_case("张山子镇") for _ in range(10)] + [approved_case("涧头集镇") for _ in range(2)]
    county_case = approved_case("张山子镇")
    town_approver = world.user("tez_zhangshanzi_sp")
    when = timezone.now() - dt.timedelta(days=2)
    Application.objects.filter(pk__in=[c.pk for c in cases]).update(decided_by=town_approver, decided_at=when)
    Application.objects.filter(pk=cases[0].pk).update(decision="rejected", state="rejected")
    Application.objects.filter(pk=county_case.pk).update(decided_by=world.user("tez_county"), decided_at=when)
    return cases


def draw(world: Any, **over: Any) -> SpotCheck:
    data = {
        "name": "2026年12月低保审批抽查",
        "decided_from": str(TODAY - dt.timedelta(days=30)),
        "decided_to": str(TODAY),
        "towns": [ZHANGSHANZI],
        **over,
    }
    return spot_checks.draw_spot_check(data, by=world.user("tez_county"))


def test_the_county_draws_its_share_of_the_towns_decisions_and_the_draw_can_be_repeated(
    world: Any, decided: list[Application]
) -> None:
    """SUP-5: 30 % (the national default of ``supervision.spot_check_percent``) of 张山子镇's ten
    decisions, rounded up, at random; the seed kept with the audit entry gives the same cases."""
    check = draw(world)
    eligible = sorted(c.pk for c in decided if c.area_code.startswith(ZHANGSHANZI))
    assert (check.percent, check.population) == (30, 10)
    drawn = sorted(check.items.values_list("application_id", flat=True))
    assert len(drawn) == math.ceil(10 * 30 / 100) == 3 and set(drawn) <= set(eligible)
    assert drawn == sorted(random.Random(check.seed).sample(eligible, 3))
    entry = AuditEntry.objects.for_object(check).get(action="monitoring.spot_check.draw")
    assert entry.changes["seed"] == check.seed and entry.changes["population"] == 10 and entry.changes["drawn"] == 3
    trail = changes_text(entry.changes, entry.object_type)
    assert "抽查名称：2026年12月低保审批抽查" in trail and "抽查比例（%）：30" in trail and "姓名" not in trail


def test_the_share_is_the_county_s_dated_setting(world: Any, decided: list[Application]) -> None:
    """Nothing a county sets lives in code: a county that checks half its towns' decisions."""
    from jiuzhu.programs.actions import confirm_change, propose_change

    change = propose_change(
        by=world.user("tez_county"),
        name="supervision.spot_check_percent",
        area_code="370405",
        valid_from=TODAY,
        value=50,
        reason="加强下放后监管",
        source="台民发〔2026〕40号（测试）",
    )
    confirm_change(change, by=world.user("tez_admin"))
    check = draw(world)
    assert check.percent == 50 and check.items.count() == 5


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"name": ""}, "name"),
        ({"decided_from": "2026-13-01"}, "decided_from"),
        ({"decided_to": str(TODAY + dt.timedelta(days=1))}, "decided_to"),
        ({"towns": ["370404101"]}, "towns"),
        ({"programs": ["welfare"]}, "programs"),
    ],
)
def test_a_draw_with_bad_input_is_refused_by_field_and_keeps_nothing(
    world: Any, decided: list[Application], over: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as exc:
        draw(world, **over)
    assert exc.value.field == field
    assert not SpotCheck.objects.exists() and not SpotCheckItem.objects.exists()


def test_nothing_to_draw_and_only_the_county_draws(world: Any, decided: list[Application]) -> None:
    with pytest.raises(DomainError) as exc:
        draw(world, programs=["temporary"])
    assert exc.value.code == "no_cases" and "没有乡镇（街道）作出的审批决定" in exc.value.message
    with pytest.raises(Forbidden):
        spot_checks.draw_spot_check(
            {"name": "镇自查", "decided_from": str(TODAY), "decided_to": str(TODAY)},
            by=world.user("tez_zhangshanzi_sp"),
        )
    assert not SpotCheck.objects.exists()


def test_a_problem_goes_back_to_the_town_and_the_check_closes_when_all_are_concluded(
    world: Any, decided: list[Application]
) -> None:
    """The county concludes each drawn case; a problem needs its finding, reaches the town's
    我的待办, the town answers with its 整改; the check closes only when every case is concluded."""
    county, town = world.user("tez_county"), world.user("tez_zhangshanzi_sp")
    check = draw(world)
    first, *rest = list(check.items.order_by("id"))
    with pytest.raises(InvalidInput) as exc:
        spot_checks.record_spot_check_result(first, by=county, result="problem", finding=" ")
    assert exc.value.field == "finding"
    spot_checks.record_spot_check_result(first, by=county, result="problem", finding="未入户调查即审批，缺少调查记录")
    assert [w.step for w in work_for(town) if w.kind == "spot_check"] == ["反馈整改情况"]
    with pytest.raises(DomainError) as closing:
        spot_checks.close_spot_check(check, by=county)
    assert closing.value.code == "unchecked_items" and "尚有2件" in closing.value.message
    assert [w.step for w in work_for(county) if w.kind == "spot_check"] == ["检查并登记结论（2件未检查）"]
    with pytest.raises(Forbidden):
        spot_checks.rectify_spot_check_item(first, by=world.user("tez_zhangshanzi"), note="已补")  # a clerk
    spot_checks.rectify_spot_check_item(first, by=town, note="已补做入户调查，调查记录归档")
    assert not [w for w in work_for(town) if w.kind == "spot_check"]
    with pytest.raises(DomainError):
        spot_checks.record_spot_check_result(first, by=county, result="compliant")
    for item in rest:
        spot_checks.record_spot_check_result(item, by=county, result="compliant")
    spot_checks.close_spot_check(check, by=county)
    check.refresh_from_db()
    assert check.status == "closed" and not [w for w in work_for(county) if w.kind == "spot_check"]
    s = spot_checks.summary(check.items.all())
    assert (s.drawn, s.checked, s.problems, s.rectified) == (3, 3, 1, 1)


def test_the_pages_draw_conclude_answer_and_export(world: Any, decided: list[Application], client_of: Any) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    c = client_of("tez_county")
    page = c.get("/payments/spot-checks/").content.decode()
    assert "抽查比例：30%" in page and "全国通行做法" in page and "暂无抽查" in page
    r = c.post(
        "/payments/spot-checks/",
        {
            "name": "第四季度抽查",
            "decided_from": str(TODAY - dt.timedelta(days=30)),
            "decided_to": str(TODAY),
            "towns": [ZHANGSHANZI],
        },
        follow=True,
    )
    page = r.content.decode()
    assert "已从10件审批决定中随机抽取3件" in page and "按30%从10件审批决定中随机抽取3件" in page
    check = SpotCheck.objects.get()
    item = check.items.order_by("id").first()
    r = c.post(f"/payments/spot-checks/{check.pk}/items/{item.pk}/result/", {"result": "problem"}, follow=True)
    assert "请填写发现的问题" in r.content.decode()
    c.post(
        f"/payments/spot-checks/{check.pk}/items/{item.pk}/result/",
        {"result": "problem", "finding": "存款超限未发现"},
        follow=True,
    )
    town = client_of("tez_zhangshanzi_sp")
    page = town.get(f"/payments/spot-checks/{check.pk}/").content.decode()
    assert "存款超限未发现" in page and "反馈整改" in page
    assert "随机抽取3件" in page  # the whole draw, though the town sees its own cases only
    assert 'data-testid="draw-form"' not in town.get("/payments/spot-checks/").content.decode()  # not a town's
    refused = town.post(
        "/payments/spot-checks/", {"name": "镇自查", "decided_from": str(TODAY), "decided_to": str(TODAY)}
    )
    assert refused.status_code == 403 and SpotCheck.objects.count() == 1
    r = town.post(
        f"/payments/spot-checks/{check.pk}/items/{item.pk}/rectify/", {"note": "已重新核对并停发"}, follow=True
    )
    assert "已反馈" in r.content.decode() and "已重新核对并停发" in r.content.decode()
    other = client_of("tez_jiantouji").get(f"/payments/spot-checks/{check.pk}/")
    assert other.status_code == 404  # a town clerk does not see staff conduct
    sheet = load_workbook(io.BytesIO(c.get(f"/payments/spot-checks/{check.pk}/export.xlsx").content)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["申请编号", "乡镇（街道）"] and len(rows) == 4
    assert ["存在问题", "存款超限未发现", "已重新核对并停发"] in [r[7:10] for r in rows]


def test_the_api_draws_and_answers(world: Any, decided: list[Application], api_of: Any, monkeypatch: Any) -> None:
    # a seed whose draw holds cases of both towns, so a town's own counts differ from the draw's
    town_of = {c.pk: c.area_code[:9] for c in decided}
    ids = sorted(town_of)
    seed = next(s for s in map(str, range(100)) if len({town_of[i] for i in random.Random(s).sample(ids, 4)}) == 2)
    monkeypatch.setattr("jiuzhu.monitoring.spot_checks.secrets.token_hex", lambda n: seed)
    api = api_of("tez_county")
    body = {"name": "接口抽查", "decided_from": str(TODAY - dt.timedelta(days=30)), "decided_to": str(TODAY)}
    r = api.post("/api/v1/monitoring/spot-checks", body, content_type=JSON)
    assert r.status_code == 201 and r.json()["population"] == 12 and r.json()["drawn"] == 4
    check_id = r.json()["id"]
    detail = api.get(f"/api/v1/monitoring/spot-checks/{check_id}").json()
    assert len(detail["cases"]) == 4 and all(c["result_name"] == "未检查" for c in detail["cases"])
    case = next(c for c in detail["cases"] if c["area_code"].startswith(ZHANGSHANZI))
    bad = api.post(
        f"/api/v1/monitoring/spot-checks/{check_id}/cases/{case['id']}/result", {"result": "ok"}, content_type=JSON
    )
    assert bad.status_code == 422 and bad.json()["field"] == "result"
    done = api.post(
        f"/api/v1/monitoring/spot-checks/{check_id}/cases/{case['id']}/result",
        {"result": "problem", "finding": "缺少公示记录"},
        content_type=JSON,
    )
    assert done.status_code == 200 and done.json()["result_name"] == "存在问题"
    (listed,) = api.get("/api/v1/monitoring/spot-checks").json()["items"]
    assert (listed["drawn"], listed["checked"], listed["problems"], listed["rectified"]) == (4, 1, 1, 0)
    assert listed["drawn_total"] == detail["drawn_total"] == 4
    town = api_of("tez_zhangshanzi_sp")
    seen = town.get(f"/api/v1/monitoring/spot-checks/{check_id}").json()
    mine = seen["cases"]
    assert mine and all(c["area_code"].startswith(ZHANGSHANZI) for c in mine)
    # the town's counts are its own cases; the whole draw is told apart, as on the page
    in_town = [c["id"] for c in detail["cases"] if c["area_code"].startswith(ZHANGSHANZI)]
    assert [c["id"] for c in mine] == in_town and seen["drawn"] == len(in_town) and seen["drawn_total"] == 4
    (town_listed,) = town.get("/api/v1/monitoring/spot-checks").json()["items"]
    assert (town_listed["drawn"], town_listed["drawn_total"]) == (len(mine), 4)
    r = town.post(
        f"/api/v1/monitoring/spot-checks/{check_id}/cases/{case['id']}/rectify",
        {"note": "已补公示"},
        content_type=JSON,
    )
    assert r.status_code == 200 and r.json()["rectification"] == "已补公示"
    closing = api.post(f"/api/v1/monitoring/spot-checks/{check_id}/actions/close")
    assert closing.status_code == 409 and closing.json()["code"] == "unchecked_items"
    assert api_of("tez_yibao").get(f"/api/v1/monitoring/spot-checks/{check_id}").status_code == 404
