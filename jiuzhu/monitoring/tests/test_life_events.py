"""Life events reach the payments (issue 17 item 7): a death (死亡注销) or a move out of the
county (迁出) in a 公安 or 殡葬 batch sets the registry fact with its source, stops a single
person's money or suspends a larger family's and opens its review, keeps months already at the
bank for 追回, and tells the family — once, however often the data comes again.

DYN-7 (death / 户籍注销 data trigger review), LNK-11 (迁出: the county of origin takes over),
DYN-5 … DYN-6 (reviews as the consequence of data), SUP-11 (money after death is recovered)."""

import datetime as dt
import re
import subprocess

import pytest

from jiuzhu.accounts.system import SystemActor
from jiuzhu.applications.models import Notice
from jiuzhu.audit.models import AuditEntry, SignedDocument
from jiuzhu.monitoring import life_events
from jiuzhu.monitoring.models import LifeEvent, Review
from jiuzhu.payments import actions
from jiuzhu.payments.models import Benefit, PaymentNotice
from jiuzhu.payments.tests.conftest import DEC, JAN, NOV, result_csv
from jiuzhu.registry import storage
from jiuzhu.registry.models import Document
from jiuzhu.verification.tests.conftest import catalog, csv_bytes, headers_of, jobs, plain_ids, row_for, upload

__all__ = ["catalog", "jobs", "upload"]

pytestmark = pytest.mark.django_db


def hukou(*rows):
    return csv_bytes(headers_of("gongan.hukou"), [row_for("gongan.hukou", **r) for r in rows])


def _pdf_text(doc):
    return subprocess.run(
        ["pdftotext", "-", "-"], input=storage.read_bytes(doc.storage_name), capture_output=True, check=True
    ).stdout.decode()


def test_it_stops_a_single_persons_money_and_tells_the_family(catalog, upload, approved_case):
    """DYN-7: 公安 says the only member died: the death date is set with its source batch, the
    benefit stops after the month of death, and the 停发告知书 is archived, in Chinese."""
    app = approved_case(size=1)
    person = app.applicant
    batch = upload(
        "gongan.hukou", hukou({"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-12-03"})
    )
    assert batch.status == "loaded"
    person.refresh_from_db()
    assert person.death_date == dt.date(2026, 12, 3)
    ev = LifeEvent.objects.get(person=person)
    assert (ev.kind, ev.batch_id, ev.status, ev.category) == ("death", batch.pk, "applied", "死亡注销")
    assert "公安" in ev.source_name
    benefit = Benefit.objects.get(application=app)
    assert (benefit.status, benefit.end_month, benefit.stop_reason) == ("stopped", DEC, "death")
    notice = Notice.objects.get(application=app, kind="stop")
    assert ev.cases[0]["notice"] == notice.number and ev.cases[0]["action"] == "stop"
    assert not Review.objects.filter(application=app).exists()
    assert AuditEntry.objects.filter(action="monitoring.life_event.death").count() == 1
    assert AuditEntry.objects.filter(action="payments.benefit.stop").count() == 1


def test_it_suspends_a_larger_familys_money_and_opens_the_review(catalog, upload, approved_case):
    """DYN-7: the payee of a family of three died: the money is suspended from the next month
    (payee_died), a death review is opened with the reason, the 暂停发放告知书 goes to the family."""
    app = approved_case(size=3)
    ids = plain_ids(app.household)
    upload("gongan.hukou", hukou({"id_number": ids[0], "event": "死亡", "event_on": "2026-11-20"}))
    benefit = Benefit.objects.get(application=app)
    assert (benefit.status, benefit.suspended_from, benefit.suspend_reason) == ("suspended", DEC, "payee_died")
    review = Review.objects.get(application=app)
    assert review.kind == "death" and "死亡" in review.reason and "暂停发放" in review.reason
    ev = LifeEvent.objects.get(person=app.applicant)
    notice = Notice.objects.get(application=app, kind="suspend")  # a notice of the case, like 停发
    assert ev.cases[0]["action"] == "suspend" and ev.cases[0]["notice"] == notice.number
    assert re.fullmatch(r".+〔2026〕暂\d{4}号", notice.number), notice.number
    assert notice.get_kind_display() == "救助金暂停发放告知书" and notice.intake_id == app.intake_id
    assert PaymentNotice.objects.filter(application=app, kind="suspend", month=DEC, notice=notice).exists()
    doc = Document.objects.get(household=app.household, title__startswith="救助金暂停发放告知书")
    assert doc.pk == notice.document_id
    assert SignedDocument.objects.filter(number=notice.number, kind="notice.suspend").exists()
    text = _pdf_text(doc)
    assert "暂停发放" in text and "2026年12月" in text and "（已故）的家属" in text
    body = text.split("本文书已加盖")[0].replace(app.number, "").replace(app.intake.receipt_number, "")
    assert not re.search(r"[A-Za-z]{2,}|True|False|payee_died", body), body


def test_it_suspends_when_a_member_moves_out_of_the_county(catalog, upload, approved_case):
    """LNK-11: a member's 户籍 moved out of the county: the status is kept with its source, the
    case is suspended and reviewed (部门数据预警); nobody's death date changes."""
    app = approved_case(size=3)
    ids = plain_ids(app.household)
    upload("gongan.hukou", hukou({"id_number": ids[2], "event": "迁出", "event_on": "2026-11-05", "place": "济南市"}))
    mover = app.household.current_members()[2]
    mover.refresh_from_db()
    assert mover.death_date is None
    ev = LifeEvent.objects.get(person=mover)
    assert ev.kind == "moved_out" and "济南市" in ev.detail
    assert Benefit.objects.get(application=app).status == "suspended"
    assert Review.objects.get(application=app).kind == "data"


def test_it_does_nothing_twice_when_the_data_comes_again(catalog, upload, approved_case):
    """An idempotent step: the same death in a later batch adds no event, stop or notice."""
    app = approved_case(size=1)
    row = {"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-12-03"}
    batch = upload("gongan.hukou", hukou(row))
    upload(
        "gongan.hukou",
        hukou(row, {"id_number": plain_ids(app.household)[0], "event": "死亡", "event_on": "2026-12-03"}),
    )
    assert LifeEvent.objects.count() == 1 and Notice.objects.filter(kind="stop").count() == 1
    assert life_events.apply_batch(batch, by=SystemActor()).events == 0


def test_it_keeps_a_month_already_at_the_bank_for_recovery(catalog, upload, approved_case, locked_roster, county):
    """SUP-11: December was paid before the death data came (died in November): it is not
    undone but listed for 追回; the locked January line is withdrawn."""
    app = approved_case(size=1)
    for month in (NOV, DEC):
        roster = locked_roster(month=month)
        bank, _, _ = actions.export_bank_file(roster, by=county)
        actions.import_bank_results(bank, by=county, file_name=f"{month:%Y%m}.csv", data=result_csv(bank))
    jan = locked_roster(month=JAN)
    upload(
        "gongan.hukou", hukou({"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-11-10"})
    )
    ev = LifeEvent.objects.get(person=app.applicant)
    assert ev.recovery_months == ["2026-12"]
    assert jan.lines.get(application=app).status == "pulled"


def test_it_ignores_people_of_another_county(catalog, upload, approved_case):
    """A batch of 台儿庄区 says nothing about a person registered in 峄城区."""
    app = approved_case("坛山街道", size=1)
    upload(
        "gongan.hukou",
        hukou({"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-12-03"}),
        county_code="370405",
    )
    app.applicant.refresh_from_db()
    assert not LifeEvent.objects.exists()


def test_it_lists_life_events_on_the_page_and_through_the_api(catalog, upload, approved_case, client_of, api_of):
    """DYN-7: the county sees what the data did, in words (no codes); the API gives the same,
    jurisdiction-filtered, with a precise 422 for a bad filter."""
    app = approved_case(size=1)
    upload(
        "gongan.hukou", hukou({"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-12-03"})
    )
    page = client_of("tez_county").get("/payments/life-events/")
    text = page.content.decode()
    assert page.status_code == 200 and app.applicant.name in text and "死亡（户籍注销）" in text
    assert "2027年1月起停发" in text and "已停发或暂停" in text and "stop" not in text.split("<main")[-1]
    assert "/payments/life-events/" in client_of("tez_county").get("/payments/").content.decode()
    api = api_of("tez_county").get("/api/v1/monitoring/life-events?kind=death")
    item = api.json()["items"][0]
    assert api.status_code == 200 and item["person_id"] == app.applicant_id and item["batch_id"]
    assert item["cases"][0]["action"] == "stop"
    assert api_of("tez_jiantouji").get("/api/v1/monitoring/life-events").json()["count"] == 0
    bad = api_of("tez_county").get("/api/v1/monitoring/life-events?kind=x")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_choice"


def test_it_counts_a_funeral_record_as_a_death(catalog, upload, approved_case):
    """DYN-7: 民政 殡葬（火化）data (no category column) is a death like 公安's 死亡注销."""
    app = approved_case(size=1)
    rows = [
        row_for("minzheng.funeral", id_number=plain_ids(app.household)[0], died_on="2026-12-01", home="台儿庄区殡仪馆")
    ]
    upload("minzheng.funeral", csv_bytes(headers_of("minzheng.funeral"), rows))
    app.applicant.refresh_from_db()
    assert app.applicant.death_date == dt.date(2026, 12, 1)
    assert Benefit.objects.get(application=app).status == "stopped"
    assert "殡葬" in LifeEvent.objects.get().source_name


def test_it_saves_nothing_when_a_case_fails_and_completes_on_retry(catalog, upload, approved_case, monkeypatch):
    """All or nothing for the batch: a failure on one case leaves no death date, no event and no
    stop; the job's retry then does the whole batch once."""
    app = approved_case(size=1)
    monkeypatch.setattr(life_events, "apply_batch", lambda batch, by: None)
    batch = upload(
        "gongan.hukou", hukou({"id_number": plain_ids(app.household)[0], "event": "死亡注销", "event_on": "2026-12-03"})
    )
    monkeypatch.undo()

    def broken(*args, **kwargs):
        raise RuntimeError("roster locked by another worker")

    monkeypatch.setattr(life_events, "_apply_to_case", broken)
    system = SystemActor("系统（新数据入库）")
    with pytest.raises(RuntimeError):
        life_events.apply_batch(batch, by=system)
    app.applicant.refresh_from_db()
    assert app.applicant.death_date is None and not LifeEvent.objects.exists()
    assert not Benefit.objects.filter(application=app).exclude(status="active").exists()
    monkeypatch.undo()
    assert life_events.apply_batch(batch, by=system).stopped == [app.pk]
    assert Notice.objects.filter(application=app, kind="stop").count() == 1
