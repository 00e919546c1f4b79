"""The signed-in user's own work (我的待办) over the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from jiuzhu.accounts.auth import actor

from .work import work_for

router = Router(tags=["我的待办"])


class WorkItemOut(Schema):
    kind: str = Field(
        description="application（救助申请）、verification（经济状况核对）、referral（派单）、review（复核）"
    )
    kind_label: str
    title: str
    step: str = Field(description="等待本人办理的环节")
    due_on: dt.date | None = Field(description="最近的截止日期")
    due_at: dt.datetime | None = Field(description="按小时计的截止时间（如急难24小时）")
    overdue: bool
    url: str = Field(description="办理页面")


class WorkOut(Schema):
    count: int
    overdue: int
    items: list[WorkItemOut]


@router.get("/me/work", response=WorkOut, summary="我的待办（最近截止在前）")
def my_work(request: HttpRequest, limit: int = 100) -> dict[str, Any]:
    items = work_for(actor(request))
    return {
        "count": len(items),
        "overdue": sum(i.overdue for i in items),
        "items": [i.as_dict() for i in items[: max(1, min(limit, 500))]],
    }
