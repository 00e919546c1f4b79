"""Demo 户籍人口 for 一证申请: families known to the departments but not yet registered."""

from __future__ import annotations

import datetime as dt

from jiuzhu.accounts.system import system_user
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.registry.models import Person
from jiuzhu.registry.pii import blind_index

# 一证申请 (issue 14 item 16): families of 张山子镇 known to the departments but not yet
# registered, so that the window's ID lookup shows 部门数据预填. One member's 户籍 lies in
# 峄城区 (flagged 户籍不在本县), one grandmother has died (not proposed).
_POP_ADDRESS = {"370405101201": "张山子镇北洛村", "370405101202": "张山子镇侯孟村"}
DEMO_POPULATION: list[tuple[str, str, str, dt.date, str, str]] = [
    # 户号, 与户主关系, 姓名, birth, gender, 户籍地区划代码
    ("3704051012010901", "户主", "孙建国", dt.date(1968, 3, 4), "M", "370405101201"),
    ("3704051012010901", "妻", "李秀英", dt.date(1970, 5, 6), "F", "370405101201"),
    ("3704051012010901", "子", "孙小明", dt.date(2012, 7, 8), "M", "370405101201"),
    ("3704051012010901", "母亲", "王桂兰", dt.date(1941, 9, 10), "F", "370405101201"),
    ("3704051012010901", "儿媳", "赵丽", dt.date(1992, 1, 2), "F", "370404101201"),
    ("3704051012020902", "户主", "周大海", dt.date(1975, 11, 1), "M", "370405101202"),
    ("3704051012020902", "女", "周晓雨", dt.date(2009, 4, 18), "F", "370405101202"),
    ("3704051012020902", "父亲", "周长林", dt.date(1946, 2, 27), "M", "370405101202"),
]


def demo_population() -> list[list[str]]:
    """The 公安 file's rows (户号, 与户主关系, 姓名, 身份证号码, 户籍地址, 户籍地区划代码)."""
    rows = []
    for i, (number, relation, name, birth, gender, code) in enumerate(DEMO_POPULATION):
        address = _POP_ADDRESS.get(code, "峄城区阴平镇阴平村") + f"{number[-2:]}号"
        rows.append([number, relation, name, make_id_number(code[:6], birth, 870 + 2 * i, gender), address, code])
    return rows


def load_demo_population() -> int:
    """Load the demo 户籍人口 and a few department facts about those families; idempotent."""
    import csv
    import hashlib
    import io

    from jiuzhu.registry.models import PopulationRecord
    from jiuzhu.registry.population import HEADERS, load_population
    from jiuzhu.verification.actions import receive_batch
    from jiuzhu.verification.ingest import process_batch
    from jiuzhu.verification.models import Source

    from .demo import TAIERZHUANG  # the demo county (import here: demo imports this module)

    rows = demo_population()
    registered = set(
        Person.objects.filter(id_number_index__in=[blind_index("id_number", r[3]) for r in rows]).values_list(
            "id_number_index", flat=True
        )
    )
    rows = [r for r in rows if blind_index("id_number", r[3]) not in registered]

    def csv_of(headers: list[str], body: list[list[str]]) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([headers, *body])
        return out.getvalue().encode("utf-8")

    system = system_user("系统（演示数据）")
    data = csv_of(HEADERS, rows)
    county = TAIERZHUANG[:6]
    if rows and not PopulationRecord.objects.filter(batch_sha256=hashlib.sha256(data).hexdigest()).exists():
        load_population(data, "演示户籍人口.csv", by=system, county_code=county)
    ids = {r[2]: r[3] for r in rows}
    facts = {
        "canlian.disability": [
            {
                "name": "王桂兰",
                "cert": "37040519410910C1",
                "category": "肢体残疾",
                "grade": "二级",
                "issued_on": "2019-06-01",
                "state": "正常",
            },
            {
                "name": "周长林",
                "cert": "37040519460227C2",
                "category": "视力残疾",
                "grade": "一级",
                "issued_on": "2021-03-15",
                "state": "正常",
            },
        ],
        "jiaoti.student": [
            {"name": "孙小明", "school": "张山子镇中心中学", "stage": "初中", "grade": "八年级", "state": "在读"},
            {"name": "周晓雨", "school": "台儿庄区第二中学", "stage": "高中", "grade": "高二", "state": "在读"},
        ],
        "renshe.employment": [
            {
                "name": "孙建国",
                "employer": "枣庄某建材有限公司",
                "job_type": "灵活就业",
                "started_on": "2025-03-01",
                "wage": "2100",
                "state": "在职",
            },
        ],
        "gongan.hukou": [{"name": "王桂兰", "event": "死亡注销", "event_on": "2026-10-02", "place": ""}],
    }
    for code, items in facts.items():
        source = Source.objects.filter(code=code).first()
        body = [item | {"id_number": ids[item["name"]]} for item in items if item["name"] in ids]
        if source is None or not body:
            continue
        schema = source.current_schema
        if schema is None:
            continue
        data = csv_of(schema.headers, [[str(b.get(f["key"], "")) for f in schema.fields] for b in body])
        batch, created = receive_batch(
            source,
            [data],
            by=system,
            filename=f"演示-一证申请-{code}.csv",
            channel="demo",
            county_code=county,
            kind="increment",
        )
        if created or batch.status in ("queued", "processing"):
            process_batch(batch.pk)
    return len(rows)
