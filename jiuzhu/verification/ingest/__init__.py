"""Ingest of department files (数据上报): spool, validate as a whole, load atomically.

A file is first spooled to disk (decompressed if gzip, hashed: the same content twice is
one batch). The background job then streams it once: every row is checked against the
data type's declared schema while valid rows are streamed into the facts table — COPY on
PostgreSQL, ``executemany`` on SQLite — inside one transaction. Any error (bad header,
bad cell, duplicate row, truncated file) rolls the whole batch back and the job keeps
reading to report every problem with row, column and a Chinese message. Memory stays
bounded: rows are never held, parsed values are cached per distinct raw value with a
cap, and duplicate detection keeps 12 bytes per row.

ID numbers are normalized (15→18 digits, full-width digits, lower-case x) and stored only
as the registry's blind index plus a masked copy; the plain number never reaches the
database.

The modules, each importing only those before it: ``spool`` (files on disk), ``read``
(encodings, headers, rows), ``convert`` (the row converter and its fast path), ``write``
(COPY / executemany), ``progress`` (progress file and heartbeat), ``columnar`` (the Arrow
fast path for large regular CSV files) and ``job`` (the background job).
"""

from .convert import ChunkConverter, Converter, DuplicateCheck, Stats
from .job import claim, error_report_bytes, process_batch
from .progress import Progress, last_sign_of_life, read_progress, recover_batches
from .read import ENCODING_CHOICES, Rejected, detect_encoding, plan_columns
from .spool import (
    CHUNK,
    FORMATS,
    MAX_SOURCE_FILE_BYTES,
    Spooled,
    detect_format,
    gzip_bytes,
    progress_path,
    release_spool,
    spool_bytes,
    spool_dir,
    spool_path,
    spool_stream,
    sweep_spool,
)

__all__ = [
    "CHUNK",
    "ENCODING_CHOICES",
    "FORMATS",
    "MAX_SOURCE_FILE_BYTES",
    "ChunkConverter",
    "Converter",
    "DuplicateCheck",
    "Progress",
    "Rejected",
    "Spooled",
    "Stats",
    "claim",
    "detect_encoding",
    "detect_format",
    "error_report_bytes",
    "gzip_bytes",
    "last_sign_of_life",
    "plan_columns",
    "process_batch",
    "progress_path",
    "read_progress",
    "recover_batches",
    "release_spool",
    "spool_bytes",
    "spool_dir",
    "spool_path",
    "spool_stream",
    "sweep_spool",
]
