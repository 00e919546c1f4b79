"""The steps after a department batch's load are isolated (issue 17 leftovers; DYN-7, DIS-1,
DIS-3): a step that raises — here the life-events step — neither stops the others (the
list is still processed, the statistics still written) nor undoes the load; its failure is
kept with a Chinese reason, listed on the 疑似困难人员名单 page and through the API, and the
county retries it there once the cause is put right."""

from __future__ import annotations

from typing import Any

from jiuzhu.audit.models import AuditEntry
from jiuzhu.monitoring import life_events
from jiuzhu.monitoring.models import AfterLoadFailure, SuspectedList, Warning
from jiuzhu.monitoring.tests.test_suspected import BEILUO, family, head, listing, plain_id
from jiuzhu.verification.tests.conftest import catalog, jobs, upload

__all__ = ["catalog", "family", "jobs", "upload"]
URL = "/api/v1/monitoring/after-load-failures"


def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("notice template missing")


def test_a_failing_step_does_not_stop_the_others_and_is_retried(
    catalog: Any, upload: Any, family: Any, client_of: Any, api_of: Any, monkeypatch: Any
) -> None:
    a = family(BEILUO)
    monkeypatch.setattr(life_events, "apply_batch", _broken)
    batch = upload(
        "yibao.suspected", listing("yibao.suspected", (plain_id(head(a)), "高额医疗自付", "26000")), user="tez_yibao"
    )
    batch.refresh_from_db()
    # the load stands, the list step after the failed one ran, and so did the job's own steps
    assert batch.status == "loaded" and batch.matched_persons == 1
    assert SuspectedList.objects.get(batch=batch).created == 1 and Warning.objects.filter(household=a).exists()
    failure = AfterLoadFailure.objects.get(batch=batch)
    assert failure.step == "life_events" and failure.resolved_at is None
    assert failure.error == "死亡、迁出信息同步（停发、暂停、告知）出错（RuntimeError），请联系系统管理员后重试"
    assert AuditEntry.objects.filter(action="monitoring.after_load.fail", object_id=str(failure.pk)).count() == 1

    page = client_of("tez_county").get("/monitoring/suspected/").content.decode()
    assert 'data-testid="failure-life_events"' in page and "死亡、迁出信息同步" in page
    listed = api_of("tez_county").get(URL).json()
    assert listed["count"] == 1 and listed["items"][0]["step_name"] == "死亡、迁出信息同步（停发、暂停、告知）"
    assert api_of("tez_county").get("/api/v1/monitoring/suspected-lists/failures").json()["count"] == 0

    # retried while still broken: kept with a second attempt; a village worker may not retry
    r = api_of("tez_county").post(f"{URL}/{failure.pk}/retry")
    assert r.status_code == 409 and r.json()["code"] == "step_failed", r.content.decode()
    failure.refresh_from_db()
    assert failure.attempts == 2 and failure.resolved_at is None
    assert client_of("tez_beiluo").post(f"/monitoring/suspected/failures/{failure.pk}/retry/").status_code in (403, 404)

    # the cause put right, the county retries from the page
    monkeypatch.undo()
    r = client_of("tez_county").post(f"/monitoring/suspected/failures/{failure.pk}/retry/")
    assert r.status_code == 302
    failure.refresh_from_db()
    assert failure.resolved_at is not None and failure.attempts == 3
    assert AuditEntry.objects.filter(action="monitoring.after_load.retry").count() == 2
    assert api_of("tez_county").get(URL).json()["count"] == 0
    again = api_of("tez_county").post(f"{URL}/{failure.pk}/retry")
    assert again.status_code == 409 and again.json()["code"] == "already_processed"


def test_a_rules_step_failure_is_recorded_apart_from_the_lists(
    catalog: Any, upload: Any, family: Any, monkeypatch: Any
) -> None:
    """Each step has its own record: a failing rule evaluation leaves the list's processing and
    the life-events step untouched."""
    from jiuzhu.monitoring import after_load

    a = family(BEILUO)
    monkeypatch.setitem(after_load.STEPS, "rules", _broken)
    batch = upload("yibao.suspected", listing("yibao.suspected", (plain_id(head(a)), "高额医疗自付", "")))
    assert list(AfterLoadFailure.objects.filter(batch=batch).values_list("step", flat=True)) == ["rules"]
    assert SuspectedList.objects.filter(batch=batch).exists()
