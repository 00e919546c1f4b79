"""Reading a spooled file: encodings, headers against the schema, rows of CSV, Excel and
JSON lines in chunks; the errors that reject a batch."""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count, islice
from operator import itemgetter
from pathlib import Path
from typing import Any

from jiuzhu.core import bounded

from ..models import Batch, SourceSchema
from .spool import (
    CHUNK,
    spool_path,
)

MAX_STORED_ERRORS = 1000


ENCODING_CHOICES = [("auto", "自动识别"), ("utf-8", "UTF-8"), ("gbk", "GBK（GB18030）")]


# ---- errors ----------------------------------------------------------------------------------


class Rejected(Exception):
    """The batch is refused as a whole; ``errors`` are the first problems found."""

    def __init__(self, code: str, message: str, errors: list[dict[str, Any]], count: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors
        self.count = count if count is not None else len(errors)


def _error(row: int, column: str, message: str, value: Any = "") -> dict[str, Any]:
    return {
        "row": row,
        "column": column,
        "value": str(value)[:60] if value not in (None, "") else "",
        "message": message,
    }


# ---- encoding ----------------------------------------------------------------------------------


def _line_of(path: Path, offset: int) -> int:
    line = 1
    with open(path, "rb") as fh:
        remaining = offset
        while remaining > 0:
            block = fh.read(min(CHUNK, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    return line


def _first_bad_offset(path: Path, encoding: str) -> int | None:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    with open(path, "rb") as fh:
        while True:
            block = fh.read(CHUNK)
            final = not block
            try:
                decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                return max(0, offset + exc.start)
            if final:
                return None
            offset += len(block)


def detect_encoding(path: Path, declared: str) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK, what Chinese Excel
    writes). A file declared UTF-8 that is not is refused with the line of the first bad
    byte, so a mislabelled GBK file never loads as mojibake."""
    with open(path, "rb") as fh:
        bom = fh.read(3) == b"\xef\xbb\xbf"
    declared = (declared or "auto").lower().replace("_", "-")
    if declared in ("utf8", "utf-8"):
        bad = _first_bad_offset(path, "utf-8")
        if bad is None:
            return "utf-8-sig" if bom else "utf-8"
        line = _line_of(path, bad)
        looks_gbk = _first_bad_offset(path, "gb18030") is None
        hint = (
            "该文件看起来是GBK编码，请在上报时选择“GBK”，或将文件另存为UTF-8后重新上传"
            if looks_gbk
            else ("请将文件另存为UTF-8编码后重新上传")
        )
        raise Rejected(
            "bad_encoding",
            f"文件声明为UTF-8编码，但第{line}行含有非UTF-8内容。{hint}",
            [_error(line, "", f"第{line}行不是有效的UTF-8文本。{hint}")],
        )
    if declared in ("gbk", "gb2312", "gb18030"):
        bad = _first_bad_offset(path, "gb18030")
        if bad is None:
            return "gb18030"
        line = _line_of(path, bad)
        raise Rejected(
            "bad_encoding",
            f"文件声明为GBK编码，但第{line}行无法按GBK解读，请确认文件编码后重新上传",
            [_error(line, "", "无法按GBK编码解读")],
        )
    if _first_bad_offset(path, "utf-8") is None:
        return "utf-8-sig" if bom else "utf-8"
    if _first_bad_offset(path, "gb18030") is None:
        return "gb18030"
    raise Rejected(
        "bad_encoding",
        "无法识别文件编码，请将文件另存为UTF-8或GBK编码的CSV后重新上传",
        [_error(0, "", "文件既不是UTF-8也不是GBK编码")],
    )


# ---- reading -------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A raw file that counts the bytes read (for the progress bar)."""

    def __init__(self, fh: Any) -> None:
        self.fh = fh
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = self.fh.readinto(b)
        self.count += n or 0
        return n or 0


def _normalize_header(value: Any) -> str:
    text = "" if value is None else str(value)
    return "".join(text.replace("\ufeff", "").split()).replace("(", "（").replace(")", "）")


@dataclass
class Plan:
    """Where each schema field sits in the file's rows."""

    schema: SourceSchema
    positions: list[int | None]
    headers: list[str]
    width: int


def header_lookup(schema: SourceSchema) -> dict[str, int]:
    lookup: dict[str, int] = {}
    for i, f in enumerate(schema.fields):
        for name in (f["header"], f["key"], *(f.get("aliases") or [])):
            lookup[_normalize_header(name)] = i
    return lookup


def plan_columns(schema: SourceSchema, header: list[Any]) -> Plan:
    """Map the header row onto the schema: missing required columns (the ID column first),
    unknown and duplicated columns are errors of the whole file."""
    lookup = header_lookup(schema)
    cells = [_normalize_header(c) for c in header]
    while cells and not cells[-1]:
        cells.pop()
    positions: list[int | None] = [None] * len(schema.fields)
    unknown, duplicated = [], []
    for col, name in enumerate(cells):
        if not name:
            continue
        i = lookup.get(name)
        if i is None:
            unknown.append(name)
        elif positions[i] is not None:
            duplicated.append(name)
        else:
            positions[i] = col
    errors = []
    id_pos = next(i for i, f in enumerate(schema.fields) if f["key"] == schema.id_field)
    if positions[id_pos] is None:
        header_text = schema.fields[id_pos]["header"]
        errors.append(_error(1, header_text, f"缺少身份证号码列（表头应为“{header_text}”），无法与在册人员比对"))
    missing = [
        f["header"] for i, f in enumerate(schema.fields) if f.get("required") and positions[i] is None and i != id_pos
    ]
    if missing:
        errors.append(_error(1, "", "缺少必填列：" + "、".join(missing)))
    if unknown:
        errors.append(
            _error(1, "", "无法识别的列：" + "、".join(unknown) + "（如需增加字段，请联系核对中心更新数据格式）")
        )
    if duplicated:
        errors.append(_error(1, "", "重复的列：" + "、".join(duplicated)))
    if errors:
        code = "missing_id_column" if positions[id_pos] is None else "invalid_header"
        expected = "、".join(schema.headers)
        raise Rejected(code, f"表头不正确：{errors[0]['message']}。应有的表头为：{expected}", errors)
    return Plan(schema, positions, [f["header"] for f in schema.fields], len(cells))


def _refuse_too_large(check: Callable[[], Any]) -> Any:
    """Run a bounded-reading check; a limit exceeded rejects the whole batch."""
    try:
        return check()
    except bounded.TooLarge as exc:
        raise Rejected(exc.code, exc.message, [_error(0, "", exc.message)]) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    lim = bounded.limits("verification")
    _refuse_too_large(lambda: bounded.check_xlsx(path, lim))
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError):
        raise Rejected(
            "unreadable_file",
            "无法读取该Excel文件：文件不完整（可能被截断）或不是有效的 .xlsx 文件",
            [_error(0, "", "Excel文件已损坏或不完整")],
        ) from None
    try:
        sheet = book.worksheets[0]
        try:
            yield from bounded.xlsx_rows(sheet, lim)
        except bounded.TooLarge as exc:
            raise Rejected(exc.code, exc.message, [_error(0, "", exc.message)]) from None
        except (zipfile.BadZipFile, EOFError, zlib.error, OSError) as exc:
            raise Rejected(
                "unreadable_file",
                "Excel文件内容不完整（可能被截断），请重新导出",
                [_error(0, "", f"读取中断：{exc.__class__.__name__}")],
            ) from None
    finally:
        book.close()


CHUNK_ROWS = 4096  # rows converted together by the fast path


def _rows_of(batch: Batch, encoding: str, counter: list[_CountingReader]) -> Iterator[tuple[int, Any]]:
    """JSON lines: ``(line number, object)``; CSV and Excel: ``(number of the first row,
    chunk of up to CHUNK_ROWS rows)``, rows numbered from 1 (the header)."""
    path = spool_path(batch)
    if batch.file_format == "xlsx":
        xlsx_rows = _xlsx_rows(path)
        while block := list(islice(xlsx_rows, CHUNK_ROWS)):
            yield block[0][0], [row for _, row in block]
        return
    raw = open(path, "rb")  # noqa: SIM115 - closed below
    counting = _CountingReader(raw)
    counter.append(counting)
    stream = io.TextIOWrapper(io.BufferedReader(counting, CHUNK), encoding=encoding, newline="")
    try:
        if batch.file_format == "jsonl":
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield number, {"__error__": "该行不是合法的JSON（文件可能被截断或格式错误）"}
                    continue
                yield number, obj if isinstance(obj, dict) else {"__error__": "每行应为一个JSON对象"}
            return
        lim = bounded.limits("verification")
        numbers = count(1)
        # the reader comes first, so a row it cannot read takes no number
        numbered = zip(csv.reader(stream, strict=True), numbers, strict=False)
        first = 1
        try:
            while chunk := list(islice(numbered, CHUNK_ROWS)):
                rows = list(map(itemgetter(0), chunk))
                _refuse_too_large(lambda: bounded.check_chunk(first, rows, lim))  # noqa: B023 - called at once
                yield first, rows
                first += len(chunk)
        except csv.Error as exc:
            number = next(numbers)
            raise Rejected(
                "unreadable_file",
                f"第{number}行CSV格式错误（{exc}），文件可能被截断或引号未闭合",
                [_error(number, "", f"CSV格式错误：{exc}（文件可能不完整）")],
            ) from None
    finally:
        stream.close()


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        if fh.tell() == 0:
            return True
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) in (b"\n", b"\r")
