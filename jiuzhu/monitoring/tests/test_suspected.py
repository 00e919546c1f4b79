"""疑似困难人员名单 (issue 17 item 2): departments push lists through the catalog and the
upload API (DIS-3) with their frequency and criteria (DIS-4); the list is matched to the
一户一档, deduplicated (REG-6), scored (DIS-11) and becomes 核查任务 for the villages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from jiuzhu.accounts.system import system_user
from jiuzhu.monitoring.models import GridTask, SuspectedList, Warning
from jiuzhu.monitoring.suspected import process_list
from jiuzhu.verification.tests.conftest import case_of, catalog, csv_bytes, headers_of, jobs, row_for, upload

__all__ = ["case_of", "catalog", "jobs", "upload"]

BEILUO = "370405101201"  # 北洛村 (tez_beiluo)
HOUMENG = "370405101202"  # 侯孟村
DONGTAN = "370404001201"  # 东坛村, 峄城区: another county
TODAY = dt.date.today()


def plain_id(person: Any) -> str:
    from jiuzhu.registry.pii import unseal

    return str(unseal("id_number", person.id_number_enc))


@pytest.fixture
def family(world: Any, new_id: Any) -> Any:
    from jiuzhu.registry.actions import create_household

    def make(village: str = BEILUO) -> Any:
        area = village[:6]
        members = [
            {"name": "赵春生", "id_number": new_id(age=52, area=area), "relation": "self"},
            {"name": "钱秋月", "id_number": new_id(age=49, gender="F", area=area), "relation": "spouse"},
        ]
        return create_household(by=system_user(), area_code=village, address="村东头3号", members=members)

    return make


def head(household: Any) -> Any:
    return household.members.get(relation="self")


def listing(code: str, *entries: tuple[str, str, str]) -> bytes:
    """A list file: (ID number, 纳入原因, 相关金额) per row."""
    rows = [
        row_for(code, id_number=i, name="某某", reason=r, amount=a, listed_on=str(TODAY - dt.timedelta(days=3)))
        for i, r, a in entries
    ]
    return csv_bytes(headers_of(code), rows)


def test_a_yibao_list_becomes_tasks_for_each_village(catalog: Any, upload: Any, family: Any, client_of: Any) -> None:
    """DIS-3: the 医保 department pushes its list; each listed family of the county gets a
    warning whose source is the list, and a 核查任务 for the village of its address."""
    a, b = family(BEILUO), family(HOUMENG)
    batch = upload(
        "yibao.suspected",
        listing(
            "yibao.suspected", (plain_id(head(a)), "高额医疗自付", "26000"), (plain_id(head(b)), "高额医疗自付", "")
        ),
        user="tez_yibao",
    )
    assert batch.status == "loaded", batch.message
    report = SuspectedList.objects.get(batch=batch)
    assert (report.rows, report.persons, report.matched, report.created) == (2, 2, 2, 2)
    w = Warning.objects.get(household=a)
    assert w.rule.code == "suspected.yibao" and w.program == "temporary" and w.facts[0]["source"] == "yibao.suspected"
    assert "高额医疗自付" in w.reason and "26000.00元" in w.reason
    assert GridTask.objects.get(warning=w).area_code == BEILUO
    assert GridTask.objects.get(household=b).area_code == HOUMENG
    page = client_of("tez_beiluo").get("/monitoring/tasks/").content.decode()
    assert "赵春生" in page and page.count("高额医疗自付") == 1  # 侯孟村's task is not shown


def test_it_deduplicates_against_recipients_cases_and_warnings(
    catalog: Any, upload: Any, family: Any, case_of: Any
) -> None:
    """REG-6: a family already receiving the list's program, one with an open case and one
    with an unclosed warning are counted, not warned again; a person listed twice is one."""
    paid, applying, fresh = family(), family(), family()
    from django.utils import timezone

    from jiuzhu.applications.models import Application

    paid_case = case_of(paid, program="temporary", state="approved")
    Application.objects.filter(pk=paid_case.pk).update(decided_at=timezone.now())  # aid decided this year
    case_of(applying, program="dibao", state="reviewing")
    first = upload("yibao.suspected", listing("yibao.suspected", (plain_id(head(fresh)), "高额医疗自付", "")))
    assert SuspectedList.objects.get(batch=first).created == 1
    entries = [
        (plain_id(head(paid)), "高额医疗自付", ""),
        (plain_id(head(applying)), "高额医疗自付", ""),
        (plain_id(head(fresh)), "高额医疗自付", ""),
        (plain_id(head(fresh)), "大病住院", ""),
    ]
    again = upload("yibao.suspected", listing("yibao.suspected", *entries))
    r = SuspectedList.objects.get(batch=again)
    assert (r.rows, r.persons, r.duplicates) == (4, 3, 1)
    assert (r.recipients, r.open_cases, r.open_warnings, r.created) == (1, 1, 1, 0)
    assert Warning.objects.count() == 1


def test_unknown_ids_and_other_counties_are_reported_not_warned(
    catalog: Any, upload: Any, family: Any, new_id: Any, client_of: Any
) -> None:
    """Bad input: an ID not in the 一户一档 is a report line with the ID masked; a person of
    峄城区 on 台儿庄区's list is counted and never warned (jurisdiction)."""
    ours, theirs = family(BEILUO), family(DONGTAN)
    stranger = new_id(age=30)
    batch = upload(
        "yibao.suspected",
        listing(
            "yibao.suspected",
            (plain_id(head(ours)), "高额医疗自付", ""),
            (plain_id(head(theirs)), "高额医疗自付", ""),
            (stranger, "高额医疗自付", ""),
        ),
        user="tez_yibao",
    )
    r = SuspectedList.objects.get(batch=batch)
    assert (r.matched, r.outside, r.unknown, r.created) == (1, 1, 1, 1)
    masked = stranger[:6] + "********" + stranger[-4:]
    assert r.unknown_rows == [{"row": 4, "id_number": masked, "reason": "高额医疗自付"}]
    assert not Warning.objects.filter(household=theirs).exists()
    page = client_of("tez_yibao").get(f"/monitoring/suspected/{batch.pk}/").content.decode()
    assert masked in page and stranger not in page
    batch_page = client_of("tez_yibao").get(f"/verification/batches/{batch.pk}/").content.decode()
    assert f"/monitoring/suspected/{batch.pk}/" in batch_page  # the department finds its report


def test_wrong_columns_load_nothing(catalog: Any, upload: Any, family: Any) -> None:
    """Bad input: a file without the list's columns is rejected whole; no report, no warning."""
    h = family()
    data = csv_bytes(["身份证号码", "原因"], [[plain_id(head(h)), "高额医疗自付"]])
    batch = upload("yibao.suspected", data, user="tez_yibao")
    assert batch.status == "rejected" and "纳入原因" in json.dumps(batch.errors, ensure_ascii=False)
    assert not SuspectedList.objects.exists() and not Warning.objects.exists()


def test_processing_again_creates_nothing(catalog: Any, upload: Any, family: Any) -> None:
    """Idempotent: a re-sent signal (a retried job) finds the batch's report."""
    h = family()
    batch = upload("yibao.suspected", listing("yibao.suspected", (plain_id(head(h)), "高额医疗自付", "")))
    report = SuspectedList.objects.get(batch=batch)
    assert process_list(batch, by=system_user()) == report
    assert Warning.objects.count() == 1 and GridTask.objects.count() == 1


def test_people_on_several_lists_score_higher(catalog: Any, upload: Any, family: Any) -> None:
    """DIS-11: the score is the sum of the weights (dated settings) of the department lists
    naming the person: 医保 alone 3 → 橙色; 残联 then 医保 → 6 → 红色."""
    alone, both = family(), family()
    upload("canlian.suspected", listing("canlian.suspected", (plain_id(head(both)), "重度残疾", "")))
    batch = upload(
        "yibao.suspected",
        listing(
            "yibao.suspected", (plain_id(head(alone)), "高额医疗自付", ""), (plain_id(head(both)), "高额医疗自付", "")
        ),
    )
    assert Warning.objects.get(household=alone, rule__code="suspected.yibao").level == "orange"
    # the 残联 list warned first (program dibao); the 医保 one points to 临时救助 and scores both
    w = Warning.objects.get(household=both, rule__code="suspected.yibao")
    assert (w.level, w.facts[0]["score"], w.facts[0]["departments"]) == ("red", 6, 2)
    assert SuspectedList.objects.get(batch=batch).created == 2


def test_each_list_states_its_frequency_and_criteria(catalog: Any, client_of: Any, api_of: Any) -> None:
    """DIS-4: every department's list names how often it is pushed and whom it lists; the
    upload page, the source API and the lists page show them."""
    items = api_of("tez_yibao").get("/api/v1/monitoring/suspected-lists/sources").json()["items"]
    assert {i["provider_code"] for i in items} == {"yibao", "fulian", "canlian", "renshe", "fupin"}
    assert all(i["frequency"] and i["criteria"] and i["program"] for i in items)
    source = api_of("tez_yibao").get("/api/v1/sources/yibao.suspected").json()
    assert source["effect"][0]["frequency"] == "每月"
    page = client_of("tez_yibao").get("/verification/sources/yibao.suspected/upload/").content.decode()
    assert "推送频次" in page and "每月" in page and "高额" in page
    html = client_of("tez_county").get("/monitoring/suspected/").content.decode()
    assert "单亲困境" in html and "每季度" in html


def test_the_report_is_seen_by_the_department_and_the_county_only(
    catalog: Any, upload: Any, family: Any, api_of: Any
) -> None:
    """Jurisdiction: the pushing department and the county see the report; a village worker
    and another department get 404."""
    h = family()
    batch = upload("yibao.suspected", listing("yibao.suspected", (plain_id(head(h)), "高额医疗自付", "")))
    url = f"/api/v1/monitoring/suspected-lists/{batch.pk}"
    assert api_of("tez_county").get(url).json()["created"] == 1
    assert api_of("tez_hecha").get(url).status_code == 200
    assert api_of("tez_beiluo").get(url).status_code == 404
    assert api_of("tez_jiaoti").get(url).status_code == 404
    assert api_of("tez_county").get("/api/v1/monitoring/suspected-lists").json()["count"] == 1


def test_a_list_that_fails_is_isolated_recorded_and_retried(
    catalog: Any, upload: Any, family: Any, client_of: Any, api_of: Any
) -> None:
    """DIS-3, DIS-11: a list processed before its weight setting is in force fails alone — the
    batch stays loaded and the rest of the job after the load (match statistics) still runs;
    the failure is kept with its Chinese reason, shown on the page and through the API, and the
    county retries it once the setting is in force."""
    import time_machine

    from jiuzhu.audit.models import AuditEntry
    from jiuzhu.monitoring.models import AfterLoadFailure

    a = family(BEILUO)
    with time_machine.travel(dt.datetime(2021, 3, 1, 10, 0), tick=True):  # before the weights' valid_from
        batch = upload(
            "yibao.suspected",
            listing("yibao.suspected", (plain_id(head(a)), "高额医疗自付", "26000")),
            user="tez_yibao",
        )
    batch.refresh_from_db()
    assert batch.status == "loaded" and batch.matched_persons == 1  # the steps after the receivers ran
    assert not SuspectedList.objects.filter(batch=batch).exists() and not Warning.objects.exists()
    failure = AfterLoadFailure.objects.get(batch=batch, step="suspected")
    assert "评分权重" in failure.error or "预警分值" in failure.error, failure.error
    assert AuditEntry.objects.filter(action="monitoring.suspected.fail").count() == 1
    county = client_of("tez_county")
    page = county.get("/monitoring/suspected/").content.decode()
    assert 'data-testid="suspected-failures"' in page and failure.error in page
    listed = api_of("tez_county").get("/api/v1/monitoring/suspected-lists/failures").json()
    assert listed["count"] == 1 and listed["items"][0]["can_retry"]
    # a village worker may not retry; the county does, now that the setting is in force
    assert client_of("tez_beiluo").post(f"/monitoring/suspected/{batch.pk}/retry/").status_code in (403, 404)
    r = api_of("tez_county").post(f"/api/v1/monitoring/suspected-lists/{batch.pk}/retry")
    assert r.status_code == 200 and r.json()["created"] == 1, r.content.decode()
    failure.refresh_from_db()
    assert failure.resolved_at is not None and failure.attempts == 2
    assert Warning.objects.get(household=a).facts[0]["batch"] == batch.pk
    assert "suspected-failures" not in county.get("/monitoring/suspected/").content.decode()
    again = api_of("tez_county").post(f"/api/v1/monitoring/suspected-lists/{batch.pk}/retry")
    assert again.status_code == 409 and again.json()["code"] == "already_processed"
