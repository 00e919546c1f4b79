"""Excel/CSV import of households (家庭批量导入): validate every row, then all or nothing.

One row per member; rows sharing a 家庭序号 form one household. The file is read by the shared
table reader (``jiuzhu.web.files.read_table``: .xlsx, or CSV in UTF-8 or GBK/GB18030); errors
name the row and column in Chinese. ``columns`` (the template header and the bulk COPY
columns), ``load`` (parse and load), ``template`` (the template and the error report).
``RowError``, ``ImportRejected``, ``read_table`` and ``decode_text`` are re-exported from there."""

from __future__ import annotations

from jiuzhu.web.files import MAX_REPORTED_ERRORS, ImportRejected, RowError, decode_text, read_table

from .columns import (
    COLUMNS,
    HEADER_TO_KEY,
    HOUSEHOLD_COLUMNS,
    KEY_TO_HEADER,
    MEMBERSHIP_COLUMNS,
    PERSON_COLUMNS,
    person_row,
)
from .load import ImportResult, import_file, import_rows, parse_rows
from .template import error_report_bytes, template_bytes, template_response, xlsx_bytes

__all__ = [
    "COLUMNS",
    "HEADER_TO_KEY",
    "HOUSEHOLD_COLUMNS",
    "KEY_TO_HEADER",
    "MAX_REPORTED_ERRORS",
    "MEMBERSHIP_COLUMNS",
    "PERSON_COLUMNS",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "decode_text",
    "error_report_bytes",
    "import_file",
    "import_rows",
    "parse_rows",
    "person_row",
    "read_table",
    "template_bytes",
    "template_response",
    "xlsx_bytes",
]
