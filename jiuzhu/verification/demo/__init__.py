"""Demo department files (演示部门数据): realistic files for the demo households and for
people not in the registry, in the formats departments send (CSV in UTF-8 and GBK, Excel,
JSON lines), with the usual harmless variations (15-digit and lower-case-x ID numbers,
dates in several formats, amounts in 万元 or with commas) and, in separate ``*_错误示例``
files, the defects the ingest must refuse (bad check digits, impossible dates, duplicate
rows, missing ID numbers, an extra column).

Deterministic (fixed seed, fixed reference date), so generating twice writes the same
bytes and loading twice creates no new batch.

The package: ``people`` (residents and their variations), ``rows`` (each data type's rows),
``files`` (the files as sent, and the defective twins), ``load`` (loading the demo)."""

from __future__ import annotations

from .files import DEFAULT_FORMAT, GENERATED, defective_rows, encode, write_department_files
from .load import ensure_departments, load_demo_sources, sign_authorizations
from .people import DEMO_COUNTY, TO_15, TODAY, GeneratedFile, Resident, residents

__all__ = [
    "DEFAULT_FORMAT",
    "DEMO_COUNTY",
    "GENERATED",
    "TODAY",
    "TO_15",
    "GeneratedFile",
    "Resident",
    "defective_rows",
    "encode",
    "ensure_departments",
    "load_demo_sources",
    "residents",
    "sign_authorizations",
    "write_department_files",
]
