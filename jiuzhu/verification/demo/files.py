"""The demo department files as departments send them (CSV in UTF-8 and GBK, Excel, JSON
lines), and their ``*_错误示例`` twins with the defects the ingest must refuse."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from pathlib import Path
from typing import Any

from ..models import Source
from .people import DEMO_COUNTY, GeneratedFile, residents
from .rows import _rows

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
