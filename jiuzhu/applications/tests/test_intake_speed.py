"""The intake round trip stays fast (issue 20 item 3, docs/performance.md): a fixed number of
queries, notice numbers in one statement, the PDF's fonts and the signature's size not set up
again for every receipt — and the receipt still a valid, signed PDF (INT-3, DOC-1)."""

import json
import threading

import pytest
from django.db import transaction

from .conftest import png_b64

pytestmark = pytest.mark.django_db


def _body(h):
    from jiuzhu.registry.pii import unseal

    head = h.members.get(relation="self")
    adults = [p for p in h.members.all() if p.age >= 18]
    return {
        "id_number": unseal("id_number", head.id_number_enc),
        "programs": ["dibao"],
        "authorizations": [{"person_id": p.id, "image_base64": png_b64(4 + i)} for i, p in enumerate(adults)],
        "commitment": {"person_id": head.id, "image_base64": png_b64(9)},
    }


def test_the_intake_api_runs_a_fixed_number_of_queries(api_of, household_in, django_assert_max_num_queries):
    """Token, one-ID lookup, screening, 3 signatures with their 授权书, receipt with its job and
    存证, audit, the INT-24 check for a member under a 临时编号 and the answer: 58 statements,
    of them 3 for the three numbers (receipt, case, notice; 9 before they were one upsert
    each). 75 before the new case's two clocks were plain inserts (``update_or_create`` took
    six statements with its savepoints) and the audit chain's head one locked read; 64 before
    the request asked only once whether a parameter change had been confirmed
    (``one_store_per_request``); 59 before the receipt read whether documents are missing from
    the cases it lists instead of asking again. A query per member, per deadline or per setting more would
    break the bound."""
    client = api_of("tez_zhangshanzi")
    first, second = _body(household_in("张山子镇")), _body(household_in("张山子镇"))
    r = client.post("/api/v1/applications", json.dumps(first), content_type="application/json")
    assert r.status_code == 201, r.content  # caches warm (settings, calendar, signer)
    with django_assert_max_num_queries(58):
        r = client.post("/api/v1/applications", json.dumps(second), content_type="application/json")
    assert r.status_code == 201, r.content
    assert [n["kind"] for n in r.json()["applications"][0]["notices"]] == ["receipt"]


def test_notice_numbers_follow_each_other_and_a_rollback_gives_its_number_back(world):
    from jiuzhu.applications.models import NoticeSequence
    from jiuzhu.applications.notices import next_sequence

    with transaction.atomic():
        assert [next_sequence("370405", "approval") for _ in range(3)] == [1, 2, 3]
        assert next_sequence("370405", "rejection") == 1  # each kind its own sequence
        assert next_sequence("370402", "approval") == 1  # and each county
    with pytest.raises(RuntimeError), transaction.atomic():
        assert next_sequence("370405", "approval") == 4
        raise RuntimeError("the action failed")
    with transaction.atomic():
        assert next_sequence("370405", "approval") == 4  # no gap in 文书字号
    assert NoticeSequence.objects.filter(county_code="370405").count() == 2


def test_every_receipt_is_signed_validly_with_the_space_measured_once(signed_intake, settings, tmp_path):
    from jiuzhu.registry.storage import path_of
    from jiuzhu.web import seal

    seal._reserved.clear()
    first = signed_intake().notices.get(kind="receipt")
    assert list(seal._reserved.values()) == [seal._reserved[seal.signer()]]  # measured on the first
    second = signed_intake().notices.get(kind="receipt")
    for notice in (first, second):
        data = path_of(notice.document.storage_name).read_bytes()
        assert seal.signature_valid(data)

    # A new certificate is a new signer: its space is measured again, its signature valid.
    settings.SIGNING_KEY_FILE, settings.SIGNING_CERT_FILE = tmp_path / "k.pem", tmp_path / "c.pem"
    third = signed_intake().notices.get(kind="receipt")
    assert seal.signer() in seal._reserved
    assert seal.signature_valid(path_of(third.document.storage_name).read_bytes())


def test_a_too_small_remembered_space_is_measured_again(signed_intake):
    from jiuzhu.registry.storage import path_of
    from jiuzhu.web import seal

    seal._reserved[seal.signer()] = 64  # far too small for any CMS signature
    notice = signed_intake().notices.get(kind="receipt")
    assert seal.signature_valid(path_of(notice.document.storage_name).read_bytes())
    assert seal._reserved[seal.signer()] > 64


def test_the_font_configuration_is_kept_per_thread():
    from jiuzhu.web.pdf import font_config

    mine = font_config()
    assert font_config() is mine
    other: list[object] = []
    thread = threading.Thread(target=lambda: other.append(font_config()))
    thread.start()
    thread.join()
    assert other and other[0] is not mine
