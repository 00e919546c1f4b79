"""Notice PDFs are made after the action's transaction (issue 15 item 1): numbered in the
transaction, rendered and signed once it has ended, so the write lock is never held while a
PDF is made; an action that fails leaves no PDF, no 存证 row and no archived file."""

from __future__ import annotations

import pytest
from django.db import connection

from jiuzhu.applications import actions, notices
from jiuzhu.applications.models import Notice
from jiuzhu.audit.models import SignedDocument
from jiuzhu.core.errors import DomainError
from jiuzhu.registry.models import Document
from jiuzhu.registry.storage import path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def depths(monkeypatch):
    """The depth of open atomic blocks each time a notice PDF is rendered."""
    seen: list[int] = []
    real = notices.render_and_sign

    def spy(*args, **kwargs):
        seen.append(len(connection.atomic_blocks))
        return real(*args, **kwargs)

    monkeypatch.setattr(notices, "render_and_sign", spy)
    return seen


def test_it_renders_the_intake_notices_after_the_transaction(signed_intake, depths):
    outside = len(connection.atomic_blocks)  # the test's own transaction
    intake = signed_intake()
    assert depths == [outside]  # the 受理回执, rendered once the intake's block had ended
    notice = Notice.objects.get(intake=intake, kind="receipt")
    assert path_of(notice.document.storage_name).read_bytes()[:5] == b"%PDF-"
    assert SignedDocument.objects.filter(kind="notice.receipt", number=notice.number).exists()


def test_it_leaves_no_pdf_when_the_action_rolls_back(signed_intake, world, depths, monkeypatch):
    app = signed_intake().applications.get()
    depths.clear()
    before = (Notice.objects.count(), SignedDocument.objects.count(), Document.objects.count())

    def fail(*args, **kwargs):
        raise DomainError("boom", "审计记录写入失败")

    monkeypatch.setattr("jiuzhu.applications.actions._common.record", fail)
    with pytest.raises(DomainError):
        actions.refuse(app, by=world.user("tez_zhangshanzi"), reason="不属于本辖区")
    assert depths == []
    assert (Notice.objects.count(), SignedDocument.objects.count(), Document.objects.count()) == before
    app.refresh_from_db()
    assert app.state != "not_accepted"


def test_it_numbers_the_notice_in_the_transaction_and_keeps_it_after(signed_intake, world):
    app = signed_intake().applications.get()
    actions.refuse(app, by=world.user("tez_zhangshanzi"), reason="不属于本辖区")
    notice = Notice.objects.get(application=app, kind="not_accepted")
    record = SignedDocument.objects.get(kind="notice.not_accepted", number=notice.number)
    assert record.sha256 == notice.document.sha256  # the 存证 fingerprint is the archived file's


def test_it_refuses_to_queue_a_notice_outside_an_action(signed_intake, world):
    intake = signed_intake()
    with pytest.raises(RuntimeError):
        notices.issue_after(world.user("tez_zhangshanzi"), "receipt", intake=intake)
