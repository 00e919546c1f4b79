"""Demo of 现场发现报告 (issue 17 item 4, DIS-5, INT-24): 北洛村's assistant ``tez_beiluo``
reported two people this week — a man without an ID at the 集市 (a temporary record, ready for
急难型临时救助 and the 救助管理站 referral) and an old woman of a registered family found living
alone in a cold house (a 核查任务 for the village). Idempotent: looked up by place."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from jiuzhu.accounts.models import User
from jiuzhu.applications.models import Application
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import unseal

from .field import submit_field_report
from .models import FieldReport, GridTask

BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
MARKET = "北洛村集市东口（演示）"
HOME = "北洛村村内走访（演示）"


def load_demo_field_reports() -> int:
    """The two reports; returns how many were made now."""
    worker = User.objects.filter(username="tez_beiluo").first()
    if worker is None:
        return 0
    made = 0
    if not FieldReport.objects.filter(area_code=BEILUO, place=MARKET).exists():
        submit_field_report(
            {
                "place": MARKET,
                "situation": "中年男子在集市露宿多日，无身份证件，自述姓李，说不清户籍地",
                "needs": "食宿、御寒衣物、送医检查",
                "name": "李某（自述）",
                "gender": "M",
                "approx_age": 55,
                "description": "身高约1.7米，灰色棉袄，左脸有疤",
                "urgency": "urgent",
            },
            by=worker,
        )
        made += 1
    if not FieldReport.objects.filter(area_code=BEILUO, place=HOME).exists():
        busy = GridTask.objects.filter(household_id=OuterRef("household_id")).exclude(status="closed")
        cases = Application.objects.filter(household_id=OuterRef("household_id"))
        person = (
            Person.objects.filter(area_code=BEILUO, death_date__isnull=True, temp_number__isnull=True)
            .exclude(household__isnull=True)
            .exclude(Exists(busy))
            .exclude(Exists(cases))
            .order_by("-birth_date", "id")
            .last()
        )
        if person is not None:
            submit_field_report(
                {
                    "id_number": unseal("id_number", person.id_number_enc),
                    "place": HOME,
                    "situation": "老人独自在家，屋内无取暖，子女长期在外务工",
                    "needs": "取暖、日常照料，了解是否符合救助条件",
                    "urgency": "normal",
                },
                by=worker,
            )
            made += 1
    return made
