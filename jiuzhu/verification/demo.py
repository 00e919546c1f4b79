"""Demo department files (演示部门数据): realistic files for the demo households and for
people not in the registry, in the formats departments send (CSV in UTF-8 and GBK, Excel,
JSON lines), with the usual harmless variations (15-digit and lower-case-x ID numbers,
dates in several formats, amounts in 万元 or with commas) and, in separate ``*_错误示例``
files, the defects the ingest must refuse (bad check digits, impossible dates, duplicate
rows, missing ID numbers, an extra column).

Deterministic (fixed seed, fixed reference date), so generating twice writes the same
bytes and loading twice creates no new batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from jiuzhu.accounts.system import SystemActor
from jiuzhu.core.idnumber import make_id_number
from jiuzhu.registry.models import Household, Person
from jiuzhu.registry.pii import unseal

from .catalog import sync_catalog
from .models import Authorization, Source

TODAY = dt.date(2026, 11, 1)
DEMO_COUNTY = "370405"
TO_15 = 0.03  # share of ID numbers written in the legacy 15-digit form


@dataclass
class Resident:
    id_number: str
    name: str
    birth: dt.date
    gender: str
    in_registry: bool
    health: str = "healthy"
    disability: tuple[str, int] | None = None
    school: str = "none"
    employment: str = ""

    @property
    def age(self) -> int:
        years = TODAY.year - self.birth.year
        return years - ((TODAY.month, TODAY.day) < (self.birth.month, self.birth.day))


@dataclass
class GeneratedFile:
    source: str
    path: Path
    rows: int
    defective: bool


def residents(county: str, rng: random.Random, outsiders: int) -> list[Resident]:
    people = []
    qs = Person.objects.filter(county_code=county, death_date__isnull=True, household__isnull=False).order_by("id")
    for p in qs:
        people.append(
            Resident(
                unseal("id_number", p.id_number_enc),
                p.name,
                p.birth_date,
                p.gender,
                True,
                p.health_status,
                (p.disability_category, p.disability_grade) if p.disability_grade else None,
                p.school_status,
                p.employment_status,
            )
        )
    surnames = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
    for i in range(outsiders):
        gender = "MF"[i % 2]
        birth = dt.date(1950 + rng.randint(0, 55), rng.randint(1, 12), rng.randint(1, 28))
        people.append(
            Resident(
                make_id_number(county, birth, 500 + i, gender),
                rng.choice(surnames) + rng.choice(given) + rng.choice(given),
                birth,
                gender,
                False,
            )
        )
    return people


def _legacy(id_number: str) -> str:
    """The 15-digit form of an 18-digit number born in the 1900s."""
    return id_number[:6] + id_number[8:17]


def _write_id(r: Resident, rng: random.Random) -> str:
    if r.birth.year < 2000 and rng.random() < TO_15:
        return _legacy(r.id_number)
    if r.id_number.endswith("X") and rng.random() < 0.5:
        return r.id_number[:-1] + "x"
    return r.id_number


def _date(d: dt.date, rng: random.Random) -> str:
    style = rng.random()
    if style < 0.6:
        return d.isoformat()
    if style < 0.8:
        return f"{d.year}/{d.month}/{d.day}"
    if style < 0.95:
        return d.strftime("%Y%m%d")
    return f"{d.year}年{d.month}月{d.day}日"


def _money(fen: int, rng: random.Random) -> str:
    yuan = fen / 100
    style = rng.random()
    if yuan >= 10000 and style < 0.2:
        return f"{yuan / 10000:.4f}".rstrip("0").rstrip(".") + "万元"
    if style < 0.5:
        return f"{yuan:,.2f}"
    return f"{yuan:.2f}"


def _months(n: int) -> list[dt.date]:
    out = []
    year, month = TODAY.year, TODAY.month
    for _ in range(n):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(dt.date(year, month, 1))
    return out


def _rows(code: str, people: list[Resident], rng: random.Random) -> Iterator[dict[str, str]]:
    """Realistic rows of one data type (keys are the schema's field keys)."""
    adults = [p for p in people if 18 <= p.age < 60]
    elderly = [p for p in people if p.age >= 60]
    banks = ["台儿庄农商银行", "中国农业银行台儿庄支行", "中国邮政储蓄银行台儿庄支行", "中国工商银行枣庄分行"]

    def base(p: Resident) -> dict[str, str]:
        return {"name": p.name, "id_number": _write_id(p, rng)}

    if code == "gongan.vehicle":
        for p in adults:
            if rng.random() < 0.08:
                kind = rng.choices(
                    ["小型轿车", "小型普通客车", "轻型货车", "普通二轮摩托车", "残疾人专用车"], [50, 20, 10, 15, 5]
                )[0]
                yield base(p) | {
                    "plate": f"鲁D{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}",
                    "vehicle_type": kind,
                    "registered_on": _date(
                        dt.date(rng.randint(2010, 2026), rng.randint(1, 10), rng.randint(1, 28)), rng
                    ),
                    "state": "正常" if rng.random() < 0.9 else "注销",
                }
    elif code == "gongan.hukou":
        for p in people:
            x = rng.random()
            if p.age >= 75 and x < 0.03:
                yield base(p) | {
                    "event": "死亡注销",
                    "event_on": _date(TODAY - dt.timedelta(days=rng.randint(5, 200)), rng),
                    "place": "",
                }
            elif x < 0.015:
                yield base(p) | {
                    "event": "迁出",
                    "event_on": _date(TODAY - dt.timedelta(days=rng.randint(5, 300)), rng),
                    "place": "枣庄市市中区",
                }
    elif code == "renshe.employment":
        for p in adults:
            if p.employment == "employed" or rng.random() < 0.05:
                yield base(p) | {
                    "employer": rng.choice(
                        ["枣庄某纺织有限公司", "台儿庄古城旅游公司", "某建筑劳务公司", "某物流有限公司"]
                    ),
                    "job_type": rng.choice(["劳动合同", "劳务派遣", "灵活就业"]),
                    "started_on": _date(dt.date(rng.randint(2018, 2026), rng.randint(1, 10), 1), rng),
                    "wage": _money(rng.randint(2200, 5200) * 100, rng),
                    "state": "在岗",
                }
    elif code == "renshe.contribution":
        for p in adults:
            if rng.random() < 0.07:
                base_fen = rng.randint(3500, 6000) * 100
                for month in _months(12):
                    yield base(p) | {
                        "insurance": "企业职工基本养老保险",
                        "month": month.strftime("%Y-%m"),
                        "base": _money(base_fen, rng),
                        "employer": "枣庄某纺织有限公司",
                    }
    elif code == "renshe.pension":
        for p in elderly:
            kind = "城镇职工基本养老金" if rng.random() < 0.1 else "城乡居民基础养老金"
            amount = rng.randint(2400, 3800) * 100 if kind == "城镇职工基本养老金" else 16300
            for month in _months(6):
                yield base(p) | {"benefit": kind, "month": month.strftime("%Y%m"), "amount": _money(amount, rng)}
    elif code == "renshe.unemployment":
        for p in adults:
            if p.employment == "unemployed":
                yield base(p) | {
                    "registered_on": _date(dt.date(2026, rng.randint(1, 9), 1), rng),
                    "benefit": "1530.00",
                    "state": "失业",
                }
    elif code == "caizheng.payroll":
        for p in adults:
            if rng.random() < 0.01:
                wage = rng.randint(4500, 7500) * 100
                for month in _months(12):
                    yield base(p) | {
                        "employer": "某镇人民政府",
                        "month": f"{month.year}年{month.month}月",
                        "amount": _money(wage, rng),
                    }
    elif code == "ziran.property":
        for p in people:
            if p.age >= 25 and rng.random() < 0.25:
                for k in range(1 if rng.random() < 0.9 else 2):
                    yield base(p) | {
                        "cert": f"鲁(2024)台儿庄区不动产权第{rng.randint(1000000, 9999999)}号",
                        "location": f"台儿庄区某小区{rng.randint(1, 30)}号楼{rng.randint(1, 6)}单元",
                        "usage": rng.choice(["住宅", "住宅", "宅基地", "商业"]) if k == 0 else "住宅",
                        "area": str(rng.randint(45, 140)),
                        "registered_on": _date(dt.date(rng.randint(2005, 2026), rng.randint(1, 12), 1), rng),
                        "state": "现势",
                    }
    elif code == "shichang.individual_business":
        for p in adults:
            if rng.random() < 0.03:
                yield base(p) | {
                    "shop": f"台儿庄区{p.name[0]}记{rng.choice(['百货店', '小吃部', '五金店', '修理部'])}",
                    "credit_code": f"92370405MA{rng.randint(10**7, 10**8 - 1)}",
                    "scope": "零售",
                    "founded_on": _date(dt.date(rng.randint(2012, 2026), rng.randint(1, 12), 1), rng),
                    "state": "存续",
                }
    elif code == "shenpi.enterprise":
        for p in adults:
            if rng.random() < 0.01:
                yield base(p) | {
                    "company": f"枣庄{p.name[0]}氏商贸有限公司",
                    "credit_code": f"91370405MA{rng.randint(10**7, 10**8 - 1)}",
                    "company_type": rng.choice(["有限责任公司", "农民专业合作社"]),
                    "role": "法定代表人",
                    "founded_on": _date(dt.date(rng.randint(2012, 2026), rng.randint(1, 12), 1), rng),
                    "state": "存续",
                }
    elif code == "renhang.deposit":
        for p in people:
            if p.age >= 16 and rng.random() < 0.45:
                fen = rng.choice([rng.randint(0, 800000), rng.randint(0, 3000000), rng.randint(5000000, 30000000)])
                yield base(p) | {
                    "bank": rng.choice(banks),
                    "last4": f"{rng.randint(0, 9999):04d}",
                    "deposit_type": rng.choice(["活期", "活期", "定期"]),
                    "balance": _money(fen, rng),
                    "as_of": _date(dt.date(2026, 10, 31), rng),
                }
    elif code == "renhang.account":
        for p in people:
            if p.age >= 16 and rng.random() < 0.6:
                yield base(p) | {
                    "bank": rng.choice(banks),
                    "account_type": "个人银行结算账户",
                    "last4": f"{rng.randint(0, 9999):04d}",
                    "opened_on": _date(dt.date(rng.randint(2005, 2026), rng.randint(1, 12), 1), rng),
                    "state": "正常",
                }
    elif code == "yibao.expense":
        for p in people:
            if p.health in ("serious", "chronic") and rng.random() < 0.8:
                for _ in range(rng.randint(1, 5)):
                    total = rng.randint(3000, 80000) * 100
                    own = total * rng.randint(20, 45) // 100
                    yield base(p) | {
                        "hospital": rng.choice(["台儿庄区人民医院", "枣庄市立医院", "山东省立医院"]),
                        "settled_on": _date(TODAY - dt.timedelta(days=rng.randint(1, 360)), rng),
                        "total": _money(total, rng),
                        "reimbursed": _money(total - own, rng),
                        "own": _money(own, rng),
                    }
    elif code == "yibao.insurance":
        for p in people:
            yield base(p) | {
                "insurance": "职工基本医疗保险" if p.employment == "employed" else "城乡居民基本医疗保险",
                "employer": "",
                "state": "参保缴费",
                "as_of": _date(dt.date(2026, 10, 31), rng),
            }
    elif code == "canlian.disability":
        grades = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
        labels = {
            "vision": "视力",
            "hearing": "听力",
            "speech": "言语",
            "physical": "肢体",
            "intellectual": "智力",
            "mental": "精神",
            "multiple": "多重",
        }
        for p in people:
            if p.disability:
                yield base(p) | {
                    "cert": p.id_number + f"{p.disability[1]}{rng.randint(1, 7)}",
                    "category": labels.get(p.disability[0], "肢体"),
                    "grade": grades.get(p.disability[1], "二级"),
                    "issued_on": _date(dt.date(rng.randint(2012, 2025), rng.randint(1, 12), 1), rng),
                    "state": "有效",
                }
    elif code == "jiaoti.student":
        stages = {
            "primary": "小学",
            "junior": "初中",
            "senior": "高中",
            "vocational": "中职",
            "college": "高等教育",
            "university": "高等教育",
        }
        for p in people:
            if p.school in stages:
                yield base(p) | {
                    "school": f"台儿庄区{stages[p.school]}学校",
                    "stage": stages[p.school],
                    "grade": f"{rng.randint(1, 3)}年级",
                    "state": "在读",
                }
    elif code == "minzheng.funeral":
        for p in people:
            if p.age >= 80 and rng.random() < 0.01:
                d = TODAY - dt.timedelta(days=rng.randint(5, 120))
                yield base(p) | {
                    "died_on": _date(d, rng),
                    "cremated_on": _date(d + dt.timedelta(days=3), rng),
                    "home": "台儿庄区殡仪馆",
                }
    elif code == "gongjijin.fund":
        for p in adults:
            if rng.random() < 0.03:
                for month in _months(6):
                    yield base(p) | {
                        "business": "缴存",
                        "employer": "某物流有限公司",
                        "month": month.strftime("%Y-%m"),
                        "amount": _money(rng.randint(300, 900) * 100, rng),
                    }


DEFAULT_FORMAT = {
    "gongan.vehicle": ("csv", "gb18030"),
    "gongan.hukou": ("csv", "gb18030"),
    "ziran.property": ("xlsx", ""),
    "renhang.deposit": ("xlsx", ""),
    "yibao.expense": ("jsonl", "utf-8"),
}
GENERATED = [
    "gongan.vehicle",
    "gongan.hukou",
    "minzheng.funeral",
    "renshe.employment",
    "renshe.contribution",
    "renshe.pension",
    "renshe.unemployment",
    "caizheng.payroll",
    "ziran.property",
    "shichang.individual_business",
    "shenpi.enterprise",
    "renhang.account",
    "renhang.deposit",
    "yibao.insurance",
    "yibao.expense",
    "canlian.disability",
    "jiaoti.student",
    "gongjijin.fund",
]


def encode(
    source: Source, rows: list[dict[str, Any]], fmt: str, encoding: str, extra: list[list[str]] | None = None
) -> bytes:
    """The file bytes of ``rows`` (field keys) in the data type's declared column order."""
    schema = source.current_schema
    assert schema is not None
    keys = [f["key"] for f in schema.fields]
    headers = schema.headers
    if fmt == "jsonl":
        lines = [
            json.dumps({h: r.get(k, "") for k, h in zip(keys, headers, strict=True)}, ensure_ascii=False) for r in rows
        ]
        return ("\n".join(lines) + "\n").encode(encoding or "utf-8")
    table = [[r.get(k, "") for k in keys] for r in rows] + (extra or [])
    if fmt == "xlsx":
        import xlsxwriter  # type: ignore[import-untyped]

        buf = io.BytesIO()
        book = xlsxwriter.Workbook(buf, {"in_memory": True})
        book.set_properties({"created": dt.datetime(2026, 11, 1)})  # same bytes every time (idempotent demo)
        sheet = book.add_worksheet("数据")
        for c, h in enumerate(headers):
            sheet.write_string(0, c, h)
        for r, row in enumerate(table, start=1):
            for c, value in enumerate(row):
                sheet.write_string(r, c, str(value))
        book.close()
        return buf.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(table)
    return out.getvalue().encode(encoding or "utf-8")


def defective_rows(
    source: Source, rows: list[dict[str, Any]], rng: random.Random
) -> tuple[list[dict[str, Any]], list[list[str]]]:
    """A copy of ``rows`` with the usual defects: a wrong check digit, an impossible date,
    a text amount, a duplicate row, a missing ID number, a row with an extra column."""
    bad = [dict(r) for r in rows[:40]]
    schema = source.current_schema
    assert schema is not None
    types = {f["key"]: f["type"] for f in schema.fields}
    if bad:
        v = bad[0]["id_number"]
        bad[0]["id_number"] = v[:17] + ("0" if v[17:] != "0" else "1") if len(v) == 18 else v + "1"
    date_key = next((k for k, t in types.items() if t == "date"), None)
    if date_key and len(bad) > 2:
        bad[2][date_key] = "2026-02-30"
    money_key = next((k for k, t in types.items() if t == "money"), None)
    if money_key and len(bad) > 3:
        bad[3][money_key] = "约三千元"
    if len(bad) > 4:
        bad.append(dict(bad[4]))
    if len(bad) > 5:
        bad[5]["id_number"] = ""
    extra = []
    if bad:
        keys = [f["key"] for f in schema.fields]
        extra.append([str(bad[-1].get(k, "")) for k in keys] + ["多出的一列"])
    return bad, extra


def write_department_files(
    out_dir: Path, *, county: str = DEMO_COUNTY, seed: int = 2026, outsiders: int = 150
) -> list[GeneratedFile]:
    """Write a clean file and an ``_错误示例`` file per generated data type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    people = residents(county, rng, outsiders)
    sources = {s.code: s for s in Source.objects.filter(code__in=GENERATED).prefetch_related("schemas")}
    files = []
    for code in GENERATED:
        source = sources.get(code)
        if source is None:
            continue
        rows = list(_rows(code, people, random.Random(f"{seed}:{code}")))
        if not rows:
            continue
        fmt, encoding = DEFAULT_FORMAT.get(code, ("csv", "utf-8"))
        suffix = {"csv": "csv", "xlsx": "xlsx", "jsonl": "jsonl"}[fmt]
        path = out_dir / f"{code}.{suffix}"
        path.write_bytes(encode(source, rows, fmt, encoding))
        files.append(GeneratedFile(code, path, len(rows), False))
        bad, extra = defective_rows(source, rows, random.Random(f"{seed}:{code}:bad"))
        bad_fmt = "csv" if fmt == "jsonl" else fmt
        bad_path = out_dir / f"{code}_错误示例.{'xlsx' if bad_fmt == 'xlsx' else 'csv'}"
        bad_path.write_bytes(encode(source, bad, bad_fmt, encoding, extra))
        files.append(GeneratedFile(code, bad_path, len(bad) + len(extra), True))
    return files


def _png(text: str) -> bytes:
    """A tiny valid PNG (a 1×1 pixel) carrying ``text``, so each signature file is unique."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", b"Comment\x00" + text.encode("utf-8"))
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def sign_authorizations(household: Household, by: Any = None) -> list[Authorization]:
    """Demo: every adult member signs the 授权书 (a signature image as registry document)."""
    from jiuzhu.registry.actions import attach_document

    by = by or SystemActor("系统（演示数据）")
    out = []
    for person in household.current_members().filter(death_date__isnull=True):
        if person.age < 18 or Authorization.objects.valid().filter(person=person, household=household).exists():
            continue
        upload = SimpleUploadedFile(f"授权书签名-{person.pk}.png", _png(f"authorization {person.pk}"), "image/png")
        doc = attach_document(
            by, household, upload, kind="signature", title=f"{person.name}核对授权书签名", person=person
        )
        with transaction.atomic():
            out.append(
                Authorization.objects.create(
                    person=person, household=household, area_code=household.area_id, method="pad", document=doc
                )
            )
    return out


def ensure_departments(county: str = DEMO_COUNTY) -> None:
    """Every data provider of the catalog as a department of the county (for uploads)."""
    from jiuzhu.accounts.models import Department
    from jiuzhu.areas.models import Area

    from .models import Provider

    area = Area.objects.filter(code=county.ljust(12, "0")).first()
    if area is None:
        return
    for p in Provider.objects.all():
        Department.objects.get_or_create(area=area, code=p.code, defaults={"name": p.name})


def load_demo_sources(out_dir: Path | None = None, *, households_to_authorize: int = 12) -> dict[str, int]:
    """Demo: catalog, departments, the clean department files loaded as batches, and a
    few households with signed authorizations and pending 核对申请."""
    from .actions import receive_batch, request_verification
    from .ingest import process_batch

    sync_catalog()
    ensure_departments()
    out_dir = out_dir or Path(settings.MEDIA_ROOT) / "verification" / "demo_files"
    system = SystemActor("系统（演示数据）")
    loaded = 0
    for f in write_department_files(out_dir):
        if f.defective:
            continue
        source = Source.objects.get(code=f.source)
        with open(f.path, "rb") as fh:
            batch, created = receive_batch(
                system,
                source,
                iter(lambda: fh.read(1 << 20), b""),
                filename=f.path.name,
                channel="demo",
                county_code=DEMO_COUNTY,
            )
        if created or batch.status in ("queued", "processing"):
            batch = process_batch(batch.pk)
        loaded += int(batch.status == "loaded")
    authorized = 0
    for household in Household.objects.filter(county_code=DEMO_COUNTY).order_by("id")[:households_to_authorize]:
        sign_authorizations(household, system)
        authorized += 1
        if not household.verification_requests.exists():
            request_verification(system, household=household, program="dibao")
    return {"batches": loaded, "authorized_households": authorized}
