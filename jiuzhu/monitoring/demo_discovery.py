"""Demo of 政策找人 (issue 17): 台儿庄区's monitoring rules, a 医保 and a 人社 file naming
families of 北洛村 who receive nothing, and the evaluation, so that ``tez_beiluo`` finds open
核查任务 after ``make demo``. Idempotent (rules by code, files by content, warnings unique)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from django.db.models import Q
from django.utils import timezone

from jiuzhu.accounts.models import User
from jiuzhu.accounts.system import system_user
from jiuzhu.applications.models import Application
from jiuzhu.payments.models import Benefit
from jiuzhu.registry.models import Household
from jiuzhu.registry.pii import unseal

from .actions.grid import close_task, record_visit, save_rule
from .models import GridTask, MonitoringRule
from .warnings import evaluate_warnings

COUNTY = "370405"
BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
HOUMENG = "370405101202"  # 侯孟村
DEMO_SOURCE = "示例值：台儿庄区民政局社会救助预警规则（演示），请按本县文件录入并注明文号"
DEMO_RULES: list[dict[str, Any]] = [
    {
        "code": "medical_20k",
        "name": "医疗自付费用过高",
        "level": "red",
        "reason": "近12个月医保个人自付医疗费用超过5万元，可能因病致贫，核查是否符合临时救助（支出型）",
        "program": "temporary",
        "condition": {"measure": "medical_expense_12m", "op": ">=", "value": 50000},
    },
    {
        "code": "new_severe_disability",
        "name": "新增重度残疾人",
        "level": "orange",
        "reason": "近一年新办一级、二级残疾人证，核查家庭是否符合低保（单人户）条件",
        "program": "dibao",
        "condition": {"status": "disability", "new_days": 365, "detail_any": ["一级", "二级"]},
    },
    {
        "code": "unemployed",
        "name": "新增失业登记人员",
        "level": "yellow",
        "reason": "近半年在人社部门新办失业登记，核查家庭收入是否低于低保标准",
        "program": "dibao",
        "condition": {"status": "unemployed", "new_days": 180},
    },
    {
        "code": "low_income",
        "name": "人均收入低于低保标准1.2倍",
        "level": "yellow",
        "reason": "部门数据显示家庭月人均收入低于当地低保标准的1.2倍",
        "program": "dibao_edge",
        "condition": {"measure": "income_per_capita", "op": "<", "value": 1.2},
        # Paused in the demo: the departments' income data covers few incomes of a family, so
        # "low income" mostly means "no data" (about 150 of 359 demo households would be hit).
        "enabled": False,
    },
]


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([headers, *rows])
    return out.getvalue().encode("utf-8")


def _load_file(code: str, rows: list[dict[str, str]]) -> Any:
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.ingest import process_batch
    from jiuzhu.verification.models import Source

    source = Source.objects.filter(code=code).first()
    schema = source.current_schema if source is not None else None
    if source is None or schema is None or not rows:
        return None
    data = _csv(schema.headers, [[r.get(f["key"], "") for f in schema.fields] for r in rows])
    batch, created = receive_batch(
        source,
        [data],
        by=system_user("系统（演示数据）"),
        filename=f"演示-政策找人-{code}.csv",
        channel="demo",
        county_code=COUNTY,
        kind="increment",
    )
    if created or batch.status in ("queued", "processing"):
        process_batch(batch.pk)
    batch.refresh_from_db()
    return batch


def load_demo_discovery() -> int:
    """Rules, department facts about three 北洛村 families outside any assistance, evaluation."""
    by = system_user("系统（演示数据）")
    for spec in DEMO_RULES:
        data = {**spec, "county_code": COUNTY, "valid_from": "2025-01-01", "source_document": DEMO_SOURCE}
        # a demo loaded before the rules were tightened gets them changed (audited; no change, no entry)
        save_rule(MonitoringRule.objects.filter(county_code=COUNTY, code=spec["code"]).first(), data, by=by)
    helped = set(Benefit.objects.filter(area_code=BEILUO).values_list("household_id", flat=True))
    helped |= set(Application.objects.filter(area_code=BEILUO).values_list("household_id", flat=True))
    families = list(Household.objects.filter(area_id=BEILUO).exclude(id__in=helped).order_by("id")[:3])
    heads = [h.members.filter(death_date__isnull=True).order_by("relation_order", "id").first() for h in families]
    ids = [str(unseal("id_number", p.id_number_enc)) for p in heads if p is not None]
    # the month's first day keeps the files (and their hashes) the same all month
    day = timezone.localdate().replace(day=1) - dt.timedelta(days=20)
    if ids:
        _load_file(
            "yibao.expense",
            [
                {
                    "id_number": ids[0],
                    "hospital": "枣庄市立医院",
                    "settled_on": str(day),
                    "total": "128000",
                    "reimbursed": "64000",
                    "own": "64000",
                }
            ],
        )
    if len(ids) > 1:
        _load_file(
            "canlian.disability",
            [
                {
                    "id_number": ids[1],
                    "cert": "DEMO-BL-0001",
                    "category": "肢体残疾",
                    "grade": "二级",
                    "issued_on": str(day),
                    "state": "正常",
                }
            ],
        )
    if len(ids) > 2:
        _load_file(
            "renshe.unemployment",
            [{"id_number": ids[2], "registered_on": str(day), "benefit": "1200", "state": "失业"}],
        )
    created = evaluate_warnings(COUNTY, by=by).created
    created += _load_suspected_list(helped, day)
    close_demo_tasks()
    from .demo_campaigns import load_demo_campaign

    load_demo_campaign()  # 摸底排查 (DIS-2): a running campaign over 台儿庄区 with some visits
    return created


def _load_suspected_list(helped: set[int], day: dt.date) -> int:
    """The 医保's 疑似困难人员名单 of the month (DIS-3): two more 北洛村 families, one of 侯孟村,
    a family already warned above and an ID the 一户一档 does not know (a report line)."""
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.verification.models import Batch

    from .suspected import process_list

    if Batch.objects.filter(source__code="yibao.suspected", county_code=COUNTY, channel="demo").exists():
        return 0  # loaded by an earlier run (later demo cases change who is "not helped")
    families = list(Household.objects.filter(area_id=BEILUO).exclude(id__in=helped).order_by("id")[:5])
    families += list(Household.objects.filter(area_id=HOUMENG).exclude(id__in=helped).order_by("id")[:1])
    heads = [h.members.filter(death_date__isnull=True).order_by("relation_order", "id").first() for h in families]
    ids = [str(unseal("id_number", p.id_number_enc)) for p in heads if p is not None]
    listed = ids[:1] + ids[3:]  # the first was warned by the 医保 rule above: deduplicated (REG-6)
    listed.append(make_id_number(COUNTY, dt.date(1968, 3, 14), 917, "M"))  # not in the 一户一档
    reasons = ["高额医疗自付", "高额医疗自付", "大病住院", "高额医疗自付", "高额医疗自付"]
    rows = [
        {
            "id_number": i,
            "name": "",
            "reason": reasons[n % len(reasons)],
            "amount": str(12000 + 3000 * n),
            "listed_on": str(day),
        }
        for n, i in enumerate(listed)
    ]
    batch: Batch | None = _load_file("yibao.suspected", rows)
    if batch is None or batch.status != "loaded":
        return 0
    report = process_list(batch, by=system_user("系统（演示数据）"))
    return report.created if report is not None else 0


DEMO_SITUATION = "入户走访：与户主当面核实家庭人口、收入和支出情况，查看住房条件（演示）"
# How the month's work was closed elsewhere than 北洛村 (whose worker keeps open tasks):
# (outcome, visited first, note or department) — the yield page (DIS-11) and the conduct
# page (DIS-10: closed without a visit) show them.
DEMO_CLOSINGS: list[tuple[str, bool, str]] = [
    ("applied", True, ""),
    ("referred", True, "区人社局就业服务中心"),
    ("referred", False, "区医保局"),
    ("not_eligible", True, "家庭成员在外务工，收入稳定，高于低保边缘标准"),
    ("not_eligible", True, "已办理大病保险二次报销，自付费用大幅下降"),
    ("not_found", False, "该户已整户外出，邻居称去向不明"),
    ("already_helped", True, ""),
]


def _worker_for(area_code: str) -> User:
    """The window clerk (受理) of the task's town."""
    return User.objects.get(role="town_clerk", area_id=area_code[:9].ljust(12, "0"), is_active=True)


def close_demo_tasks() -> int:
    """Close some of the month's tasks outside 北洛村 through the actions (record_visit,
    close_task) by the town's clerk; idempotent (only what is missing of DEMO_CLOSINGS)."""
    closed = GridTask.objects.filter(county_code=COUNTY, status="closed").exclude(area_code=BEILUO)
    todo = DEMO_CLOSINGS[closed.count() :]
    towns = Q()
    for code in User.objects.filter(role="town_clerk", area__code__startswith=COUNTY).values_list("area_id", flat=True):
        towns |= Q(area_code__startswith=code[:9])
    tasks = (
        GridTask.objects.filter(towns, county_code=COUNTY)
        .unclosed()
        .exclude(area_code=BEILUO)
        .select_related("warning", "household")
        .order_by("id")
    )
    done = 0
    for (outcome, visit, note), task in zip(todo, tasks, strict=False):
        by = _worker_for(task.area_code)
        if visit:
            record_visit(task, by=by, situation=DEMO_SITUATION, needs="")
        close_task(
            task,
            by=by,
            outcome=outcome,
            note=note if outcome != "referred" else "",
            referred_to=note if outcome == "referred" else "",
        )
        done += 1
    return done
