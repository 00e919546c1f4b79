"""Demo of 应急期 (issue 17 item 6; WF-12, LNK-9, PRG-12): a flood in 涧头集镇 declared by
``tez_county`` two days ago; the 应急局's list of three households without a case is imported by
the town (``tez_jiantouji``) and each is paid 24-hour 先行救助 from the town's 备用金 by the relief
job (run in this process); the period is still active, so the county can pay a month of
过渡期生活救助 onto the roster and end it with its report. Idempotent: found by name."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import unseal

from .emergency import declare_emergency, import_victims, pay_advance_relief
from .models import Emergency

COUNTY = "370405"
TOWN = "370405103"  # 涧头集镇 (tez_jiantouji)
NAME = "涧头集镇暴雨洪涝（演示）"
SOURCE = "示例值：台儿庄区自然灾害救助应急预案Ⅳ级响应（演示），请按本县启动文件录入并注明文号"
HOUSEHOLDS = 3


def load_demo_emergency() -> int:
    """The period, its list and the relief; returns how many households were relieved now."""
    county = User.objects.filter(username="tez_county").first()
    town = User.objects.filter(username="tez_jiantouji").first()
    if county is None or town is None or Emergency.objects.filter(county_code=COUNTY, name=NAME).exists():
        return 0
    today = timezone.localdate()
    # households of the town with no case at all: the demo's other stories keep theirs
    free = (
        Household.objects.filter(area__code__startswith=TOWN)
        .exclude(Exists(Application.objects.filter(household=OuterRef("pk"))))
        .order_by("id")
    )
    heads = []
    for household in free[:20]:
        head = Person.objects.filter(household=household, relation="self", death_date__isnull=True).first()
        if head is not None and head.id_number_enc:
            heads.append(head)
        if len(heads) == HOUSEHOLDS:
            break
    if not heads:
        return 0
    emergency = declare_emergency(
        {
            "name": NAME,
            "kind": "flood",
            "area_code": TOWN,
            "starts_on": str(today - dt.timedelta(days=2)),
            "planned_end_on": str(today + dt.timedelta(days=28)),
            "source_document": SOURCE,
        },
        by=county,
    )
    losses = ["房屋进水，家具家电受损", "院墙倒塌，口粮被淹", "农田绝收，临时安置在亲戚家"]
    text = "姓名,身份证号码,受灾情况\n" + "".join(
        f"{p.name},{unseal('id_number', p.id_number_enc)},{losses[i % len(losses)]}\n" for i, p in enumerate(heads)
    )
    import_victims(emergency, "涧头集镇受灾人员名单（演示）.csv", text.encode("utf-8"), by=town)
    try:
        return len(pay_advance_relief(emergency, by=town))
    except DomainError:
        return 0  # a town reserve the demo left short: the list stays for the town to relieve
