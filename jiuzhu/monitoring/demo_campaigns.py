"""Demo of 摸底排查 (issue 17 item 5, DIS-2): one running campaign over 台儿庄区 (独居老人, 重残,
三留守, 低保边缘) launched by ``tez_county`` ten days ago, with some households of 张山子镇
already visited — 北洛村 by its assistant ``tez_beiluo`` (one found in difficulty, which opens
a 核查任务), others by the town. Idempotent: the campaign is looked up by name."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.core.errors import DomainError

from .campaigns import create_campaign, launch_campaign, record_campaign_visit
from .models import Campaign, CampaignVisit

COUNTY = "370405"
BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
ZHANGSHANZI = "370405101"  # 张山子镇 (tez_zhangshanzi)
NAME = "2026年困难群众摸底排查（演示）"
SOURCE = "示例值：台儿庄区民政局关于开展困难群众摸底排查的通知（演示），请按本县文件录入并注明文号"


def load_demo_campaign() -> int:
    """The campaign and its visits; returns how many households were visited now."""
    county = User.objects.filter(username="tez_county").first()
    village = User.objects.filter(username="tez_beiluo").first()
    town = User.objects.filter(username="tez_zhangshanzi").first()
    if (
        county is None
        or village is None
        or town is None
        or Campaign.objects.filter(county_code=COUNTY, name=NAME).exists()
    ):
        return 0
    today = timezone.localdate()
    campaign = create_campaign(
        {
            "name": NAME,
            "towns": [],
            "targets": ["elderly_alone", "severe_disabled", "left_behind", "dibao_edge"],
            "starts_on": str(today - dt.timedelta(days=10)),
            "ends_on": str(today + dt.timedelta(days=20)),
            "source_document": SOURCE,
        },
        by=county,
    )
    try:
        campaign = launch_campaign(campaign, by=county)
    except DomainError:
        return 0  # no target households in the demo registry: the draft stays for the county to adjust
    visited = 0
    beiluo = list(
        CampaignVisit.objects.filter(campaign=campaign, area_code=BEILUO)
        .order_by("household_id")
        .values_list("household_id", flat=True)
    )
    results = [
        ("difficulty", "老人独居，患慢性病，常年服药，子女在外地务工少有照料", "temporary"),
        ("no_difficulty", "", ""),
        ("not_found", "家中无人，邻居称老人到女儿家暂住", ""),
    ]
    for i, household_id in enumerate(beiluo[: len(results)]):
        result, note, program = results[i]
        record_campaign_visit(
            campaign,
            household_id,
            by=village,
            result=result,
            note=note,
            program=program,
            visited_on=str(today - dt.timedelta(days=8 - i)),
        )
        visited += 1
    others = list(
        CampaignVisit.objects.filter(campaign=campaign, area_code__startswith=ZHANGSHANZI)
        .exclude(area_code=BEILUO)
        .order_by("area_code", "household_id")
        .values_list("household_id", flat=True)
    )
    for i, household_id in enumerate(others[: len(others) // 2]):
        record_campaign_visit(
            campaign,
            household_id,
            by=town,
            result="no_difficulty",
            visited_on=str(today - dt.timedelta(days=1 + i % 7)),
        )
        visited += 1
    return visited
