"""摸底排查 journey (issue 17 item 5, DIS-2): the county launches a campaign over 张山子镇's
older people living alone and people with a severe disability; 北洛村's worker visits on her
phone (360 px) and finds an old man in difficulty, which becomes a 核查任务 for her village;
three weeks on, the county's coverage shows 侯孟村 not yet visited (镇不漏村、村不漏户、户不漏人),
the town visits it, the coverage closes at 100 % in the page and in the Excel the county files,
and once the campaign is closed no more visits are taken. DIS-5 (the task), SUP-9 (audit).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from journeys.conftest import CLERK, COUNTY

pytestmark = [pytest.mark.journey, pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BEILUO, HOUMENG, ZHANGSHANZI = "370405101201", "370405101202", "370405101"  # 北洛村, 侯孟村, 张山子镇
JSON = "application/json"


def _households(new_id: Any) -> dict[str, Any]:
    """An old man alone in 北洛村; a young couple in 北洛村 (no target group); in 侯孟村 a father
    and his son with a 一级 disability."""
    from jiuzhu.accounts.system import system_user
    from jiuzhu.registry.actions import create_household
    from jiuzhu.registry.models import Person

    def make(village: str, address: str, *members: tuple[str, int, str]) -> Any:
        return create_household(
            by=system_user(),
            area_code=village,
            address=address,
            members=[{"name": n, "id_number": new_id(age=a), "relation": r} for n, a, r in members],
        )

    alone = make(BEILUO, "北洛村东街3号", ("孙长庚", 79, "self"))
    young = make(BEILUO, "北洛村东街5号", ("周建国", 35, "self"), ("吴丽", 33, "spouse"))
    disabled = make(HOUMENG, "侯孟村南街2号", ("郑德明", 61, "self"), ("郑小军", 31, "child"))
    Person.objects.filter(household=disabled, name="郑小军").update(disability_grade=1)
    return {"alone": alone, "young": young, "disabled": disabled}


def _phone(browser: Browser, base: str, client: Any, contexts: list[Any]) -> Any:
    """A 360 px phone signed in with ``client``'s session (the test's clock is not the browser's)."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, has_touch=True, is_mobile=True, locale="zh-CN"
    )
    contexts.append(context)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def test_journey_a_campaign_reaches_every_household_and_shows_its_coverage(
    world: Any,
    new_id: Any,
    api_of: Any,
    client_of: Any,
    clock: Any,
    browser: Browser,
    live_server: Any,
    contexts: list[Any],
) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.monitoring.models import Campaign, CampaignVisit, GridTask

    clock("2026-12-07 09:00")
    homes = _households(new_id)

    # 1. The county drafts the campaign on its page, with the document that orders it, and launches it.
    county = client_of(COUNTY)
    r = county.post(
        "/monitoring/campaigns/new/",
        {
            "name": "2026年冬季困难群众摸底排查",
            "towns": [ZHANGSHANZI],
            "targets": ["elderly_alone", "severe_disabled"],
            "starts_on": "2026-12-07",
            "ends_on": "2026-12-31",
            "source_document": "台民发〔2026〕12号",
        },
    )
    campaign = Campaign.objects.get(name="2026年冬季困难群众摸底排查")
    assert r.status_code == 302 and campaign.status == "draft"
    county.post(f"/monitoring/campaigns/{campaign.pk}/launch/")
    campaign.refresh_from_db()
    assert campaign.status == "running"
    listed = set(CampaignVisit.objects.filter(campaign=campaign).values_list("household_id", flat=True))
    assert listed == {homes["alone"].pk, homes["disabled"].pk}  # the young couple is no target group
    coverage = api_of(COUNTY).get(f"/api/v1/monitoring/campaigns/{campaign.pk}/coverage").json()
    assert (coverage["total"]["households"], coverage["total"]["persons"], coverage["total"]["visited"]) == (2, 3, 0)

    # 2. The next afternoon 北洛村's worker visits 孙长庚 with her phone: he lives alone, takes
    #    medicine every day and nobody looks after him. Her list shows her village only.
    clock("2026-12-08 15:30")
    phone = _phone(browser, live_server.url, client_of("tez_beiluo"), contexts)
    phone.goto(f"{live_server.url}/")
    phone.get_by_role("link", name="摸底排查").first.click()
    phone.get_by_role("link", name=campaign.name).click()
    expect(phone.get_by_test_id("village-progress")).to_contain_text("已走访 0 / 1 户")
    expect(phone.get_by_test_id("campaign-households")).not_to_contain_text("郑德明")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1
    phone.get_by_role("link", name="孙长庚户").click()
    phone.get_by_label("排查结果").select_option("difficulty")
    phone.get_by_label("情况说明（发现困难、未找到、已搬迁时必填）").fill(
        "老人独居，患高血压常年服药，冬季取暖困难，无人照料"
    )
    phone.get_by_test_id("save-visit").click()
    expect(phone.get_by_test_id("village-progress")).to_contain_text("已走访 1 / 1 户")
    expect(phone.get_by_text("已登记排查结果，已生成核查任务")).to_be_visible()
    assert "show=pending" in phone.url  # back on the households still to visit: none left
    expect(phone.get_by_text("排查名单中的家庭已全部走访")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360 + 1

    visit = CampaignVisit.objects.get(campaign=campaign, household=homes["alone"])
    assert (visit.result, str(visit.visited_on)) == ("difficulty", "2026-12-08")
    task = GridTask.objects.get(pk=visit.task_id)
    assert (task.area_code, task.household_id, task.status) == (BEILUO, homes["alone"].pk, "open")
    assert task.due_on > visit.visited_on
    tasks = api_of("tez_beiluo").get("/api/v1/tasks?status=open").json()["items"]
    assert [t["id"] for t in tasks] == [task.pk]  # the difficulty reached her own task list
    assert AuditEntry.objects.filter(action="monitoring.campaign.visit", changes__task=task.pk).exists()

    # 3. Three weeks on the county reads the coverage: 北洛村 done, 侯孟村 not started, its
    #    household named (head's name masked) and the Excel it files says the same.
    clock("2026-12-21 10:00")
    county = client_of(COUNTY)  # signed in again: yesterday's session has expired
    page = county.get(f"/monitoring/campaigns/{campaign.pk}/").content.decode()
    assert "已走访 1 户" in page and "郑**" in page and "郑德明" not in page
    coverage = api_of(COUNTY).get(f"/api/v1/monitoring/campaigns/{campaign.pk}/coverage").json()
    (town,) = coverage["towns"]
    assert (town["villages"], town["villages_done"], town["villages_untouched"]) == (2, 1, 1)
    assert [m["household_id"] for m in coverage["missing"]] == [homes["disabled"].pk]
    sheet = load_workbook(io.BytesIO(county.get(f"/monitoring/campaigns/{campaign.pk}/coverage.xlsx").content))
    rows = [[c.value for c in row] for row in sheet.worksheets[0].iter_rows()]
    total = next(row for row in rows if row[0] == "合计")
    assert total[3:5] == [2, 1]  # 排查户数, 已走访

    # 4. The town's window visits 侯孟村 the next day: father and son are managing.
    clock("2026-12-22 14:00")
    r = api_of(CLERK).post(
        f"/api/v1/monitoring/campaigns/{campaign.pk}/visits",
        {"household_id": homes["disabled"].pk, "result": "no_difficulty", "note": "父子同住，子享受残疾人两项补贴"},
        content_type=JSON,
    )
    assert r.status_code == 200, r.content.decode()
    coverage = api_of(COUNTY).get(f"/api/v1/monitoring/campaigns/{campaign.pk}/coverage").json()
    assert coverage["total"]["percent"] == 100.0 and coverage["total"]["persons_visited"] == 3
    assert coverage["missing"] == [] and coverage["towns"][0]["villages_untouched"] == 0

    # 5. The campaign ends; a late visit is refused, the coverage stays on record.
    clock("2026-12-31 17:00")
    county = client_of(COUNTY)
    county.post(f"/monitoring/campaigns/{campaign.pk}/close/")
    campaign.refresh_from_db()
    assert campaign.status == "closed"
    late = api_of("tez_beiluo").post(
        f"/api/v1/monitoring/campaigns/{campaign.pk}/visits",
        {"household_id": homes["alone"].pk, "result": "no_difficulty"},
        content_type=JSON,
    )
    assert late.status_code == 409 and late.json()["code"] == "not_running"
    final = county.get(f"/monitoring/campaigns/{campaign.pk}/").content.decode()
    assert "已结束" in final or "已关闭" in final
    assert (
        api_of(COUNTY).get(f"/api/v1/monitoring/campaigns/{campaign.pk}/coverage").json()["total"]["percent"] == 100.0
    )
