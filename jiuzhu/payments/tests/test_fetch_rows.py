"""``core.bulk.fetch_rows`` (issue 20 item 4): a roster reads its cases' stored 测算基础 in
PostgreSQL's binary format; the rows are those ``values_list`` gives, on either database."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jiuzhu.applications.models import Application
from jiuzhu.core.bulk import fetch_rows
from jiuzhu.payments.models import CaseBasis

pytestmark = pytest.mark.django_db

BLOB = bytes(range(256)) * 2  # every byte value, including the ones text formats escape


def bases():
    return CaseBasis.objects.order_by("application_id").values_list(
        "application_id", "version", "layout", "members", "supporters", "data"
    )


def test_the_rows_are_those_of_values_list_and_the_query_is_seen():
    CaseBasis.objects.bulk_create(
        [
            CaseBasis(application_id=901, version=3, layout="abc", members=2, supporters=0, data=BLOB),
            CaseBasis(application_id=902, version=1, layout="abc", members=1, supporters=1, data=b""),
        ]
    )
    with CaptureQueriesContext(connection) as queries:
        rows = fetch_rows(bases())
    assert len(queries) == 1 and "payments_casebasis" in queries[0]["sql"]
    assert rows == [(*r[:5], bytes(r[5])) for r in bases()]
    assert rows[0] == (901, 3, "abc", 2, 0, BLOB) and isinstance(rows[0][5], bytes)
    assert fetch_rows(bases().filter(application_id__in=[902])) == [(902, 1, "abc", 1, 1, b"")]


def test_an_empty_filter_reads_nothing():
    with CaptureQueriesContext(connection) as queries:
        assert fetch_rows(bases().filter(application_id__in=[])) == []
    assert len(queries) == 0


def test_a_column_with_a_field_converter_is_read_as_django_reads_it(approved_case):
    """A JSON column needs its field's converter: the rows come from values_list itself."""
    case = approved_case()
    query = Application.objects.filter(pk=case.pk).values_list("pk", "facts")
    rows = fetch_rows(query)
    assert rows == list(query) and isinstance(rows[0][1], dict) and rows[0][1]["members"]
