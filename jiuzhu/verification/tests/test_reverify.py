"""批量复核 (VER-17, DYN-7): active cases re-verified on demand, on a schedule and when a
new batch lands; changes since the last report become findings for case workers."""

import datetime as dt

import pytest
from django.core.management import call_command

from jiuzhu.audit.models import AuditEntry
from jiuzhu.verification.actions import run_verification, start_reverification
from jiuzhu.verification.models import Finding, ReverificationRun, Snapshot
from jiuzhu.verification.reverify import run_reverification

from .conftest import csv_bytes, headers_of, plain_ids, row_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def active(world, catalog, authorized, case_of):
    """A 低保 family with an approved case and a first report (the baseline)."""
    h = authorized("张山子镇", size=3)
    case = case_of(h)
    run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    return h, case


def test_it_finds_a_new_car_when_a_batch_lands(active, upload, vehicle_file):
    """A new 公安 batch triggers re-verification of the active cases it names."""
    h, case = active
    batch = upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888")))
    assert batch.touched_households == 1
    run = ReverificationRun.objects.get()
    assert (run.trigger, run.batch_id, run.status, run.done) == ("batch", batch.pk, "done", 1)
    finding = Finding.objects.get()
    assert (finding.kind, finding.household_id, finding.application_id) == ("vehicle", h.pk, case.pk)
    assert finding.message == "新增车辆1辆（现名下共1辆）"


def test_a_finding_opens_the_cases_review(active, upload, vehicle_file):
    """DYN-1, issue 15 item 4: the finding becomes a 部门数据预警 review task of the town, with
    its deadline, once per case however many findings follow."""
    from jiuzhu.monitoring.models import Review

    h, case = active
    upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888")))
    review = Review.objects.get(application=case)
    assert review.kind == "data" and review.status == "open" and review.due_on > review.created_at.date()
    assert "部门数据预警" in review.reason
    upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888"), (plain_ids(h)[0], "鲁D00002")))
    assert Review.objects.filter(application=case).count() == 1


def test_it_does_not_raise_the_same_finding_twice(active, upload, vehicle_file):
    h, _ = active
    ids = plain_ids(h)
    upload("gongan.vehicle", vehicle_file((ids[0], "鲁D88888")))
    upload("gongan.vehicle", vehicle_file((ids[0], "鲁D88888"), (ids[0], "鲁D00001"), state="正常"))
    assert [f.message for f in Finding.objects.order_by("id")] == [
        "新增车辆1辆（现名下共1辆）",
        "新增车辆1辆（现名下共2辆）",
    ]


def test_it_finds_death_moved_out_and_a_new_job(active, upload):
    h, _ = active
    ids = plain_ids(h)
    names = [p.name for p in h.current_members()]
    hukou = [
        row_for("gongan.hukou", id_number=ids[0], event="死亡注销", event_on="2026-10-01"),
        row_for("gongan.hukou", id_number=ids[2], event="迁出", event_on="2026-09-01", place="济南市"),
    ]
    upload("gongan.hukou", csv_bytes(headers_of("gongan.hukou"), hukou))
    job = [
        row_for(
            "renshe.employment", id_number=ids[1], employer="某公司", started_on="2026-08-01", wage="4000", state="在岗"
        )
    ]
    upload("renshe.employment", csv_bytes(headers_of("renshe.employment"), job))
    kinds = {f.kind: f.message for f in Finding.objects.all()}
    # The death reached the registry the moment the batch landed (issue 17 item 7: the death
    # date is set, the money suspended, a death review opened), so re-verification reads the
    # family's living members and raises no second, stale finding about it.
    assert "death" not in kinds
    assert h.members.get(name=names[0]).death_date == dt.date(2026, 10, 1)
    assert kinds["moved_out"] == f"户籍迁出：{names[2]}"
    assert kinds["employment"] == f"新增就业、工资或职工社保记录：{names[1]}"
    assert kinds["income"].startswith("收入超过标准")


def test_it_reverifies_every_active_case_of_an_area_through_the_api(
    world, catalog, authorized, case_of, upload, vehicle_file, api_of, jobs
):
    homes = [authorized("张山子镇", size=2) for _ in range(3)]
    for h in homes:
        case_of(h)
    case_of(authorized("张山子镇", size=2), state="rejected")  # not active
    upload("gongan.vehicle", vehicle_file((plain_ids(homes[1])[0], "鲁D11111")))
    Finding.objects.all().delete()
    client = api_of("tez_hecha")
    with jobs():
        r = client.post(
            "/api/v1/verifications/reverifications", {"area_code": "370405101000"}, content_type="application/json"
        )
    assert r.status_code == 202
    run = client.get(f"/api/v1/verifications/reverifications/{r.json()['id']}").json()
    assert (run["status"], run["total"], run["done"], run["percent"]) == ("done", 3, 3, 100)
    assert run["findings"] == 0  # the car was found by the batch run already: no change since
    assert Snapshot.objects.filter(run_id=run["id"]).count() == 3
    assert AuditEntry.objects.filter(action="verification.reverify.chunk", object_id=str(run["id"])).exists()


def test_it_raises_findings_against_an_empty_baseline_on_the_first_run(
    world, catalog, authorized, case_of, upload, vehicle_file
):
    h = authorized("张山子镇", size=2)
    case_of(h)
    ids = plain_ids(h)
    upload(
        "renhang.deposit",
        csv_bytes(
            headers_of("renhang.deposit"),
            [
                row_for(
                    "renhang.deposit",
                    id_number=ids[0],
                    bank="某银行",
                    last4="0001",
                    deposit_type="定期",
                    balance="50万元",
                    as_of="2026-10-31",
                )
            ],
        ),
    )
    assert {f.kind for f in Finding.objects.all()} == {"deposits"}


def test_it_resumes_a_run_after_the_last_household_done(world, catalog, authorized, case_of):
    homes = sorted((authorized("张山子镇", size=2) for _ in range(4)), key=lambda h: h.pk)
    for h in homes:
        case_of(h)
    run = start_reverification(by=world.user("tez_hecha"), area_code="370405")
    ReverificationRun.objects.filter(pk=run.pk).update(done=2, last_household_id=homes[1].pk, status="running")
    run = run_reverification(run.pk, chunk_size=1)
    assert (run.status, run.done, run.total) == ("done", 4, 4)
    assert sorted(Snapshot.objects.filter(run=run).values_list("household_id", flat=True)) == [homes[2].pk, homes[3].pk]


def test_it_runs_on_a_schedule_from_the_command_line(world, catalog, authorized, case_of, capsys):
    case_of(authorized("张山子镇", size=2))
    call_command("reverify_active_cases", "--area", "370405")
    assert "复核1户" in capsys.readouterr().out
    assert ReverificationRun.objects.get().trigger == "scheduled"


def test_it_shows_progress_and_the_summary(active, upload, vehicle_file, client_of):
    h, _ = active
    upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888")))
    run = ReverificationRun.objects.get()
    page = client_of("tez_hecha").get(f"/verification/reverifications/{run.pk}/").content.decode()
    assert "已复核 1 / 1 户" in page and "新增车辆" in page
    assert "hx-trigger" not in page  # finished: no more polling


def test_it_lets_the_verifier_start_a_run_in_the_browser(world, catalog, client_of, jobs):
    client = client_of("tez_hecha")
    with jobs():
        r = client.post("/verification/reverifications/", {"area_code": "370405101000"})
    run = ReverificationRun.objects.get()
    assert r["Location"] == f"/verification/reverifications/{run.pk}/"
    run.refresh_from_db()
    assert run.status == "done"
    # the area by its name, not its code
    assert "<td>张山子镇</td>" in client.get("/verification/reverifications/").content.decode()
    assert "范围 张山子镇，" in client.get(r["Location"]).content.decode()


def test_it_shows_findings_to_the_case_workers_of_the_town_only(active, upload, vehicle_file, client_of, api_of):
    h, _ = active
    upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888")))
    finding = Finding.objects.get()
    assert "新增车辆1辆（现名下共1辆）" in client_of("tez_zhangshanzi").get("/verification/findings/").content.decode()
    assert "新增车辆1辆" not in client_of("tez_jiantouji").get("/verification/findings/").content.decode()
    assert (
        api_of("tez_jiantouji")
        .post(f"/api/v1/verifications/findings/{finding.pk}/handle", {"note": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    r = api_of("tez_zhangshanzi").post(
        f"/api/v1/verifications/findings/{finding.pk}/handle",
        {"note": "入户核实，车辆已过户"},
        content_type="application/json",
    )
    assert r.json()["status"] == "handled"
    assert api_of("tez_zhangshanzi").get("/api/v1/verifications/findings").json() == []


def test_it_agrees_with_one_click_verification(active, upload, vehicle_file, world):
    """Batch re-verification and 一键核对 count the same facts the same way."""
    h, _ = active
    ids = plain_ids(h)
    upload("gongan.vehicle", vehicle_file((ids[0], "鲁D88888")))
    upload(
        "renhang.deposit",
        csv_bytes(
            headers_of("renhang.deposit"),
            [
                row_for(
                    "renhang.deposit",
                    id_number=ids[1],
                    bank="某银行",
                    last4="0001",
                    deposit_type="定期",
                    balance="12,345.67",
                    as_of="2026-10-31",
                )
            ],
        ),
    )
    batch_snapshot = Snapshot.objects.filter(run__isnull=False).latest("id")
    run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    report_snapshot = Snapshot.objects.filter(report__isnull=False).latest("id")
    fields = ["income_fen", "deposits_fen", "vehicles", "houses", "businesses", "employed", "failed_tests"]
    assert [getattr(batch_snapshot, f) for f in fields] == [getattr(report_snapshot, f) for f in fields]


def test_a_county_counts_only_the_facts_loaded_for_it(active, upload, vehicle_file, world):
    """Issue 20 item 2: a car in 峄城区's 公安 data about a member of a 台儿庄区 family counts
    neither in 台儿庄区's re-verification nor in its 一键核对 (that is 跨县核对's work); on
    PostgreSQL the facts lie in their county's partition and a run reads only its own."""
    from django.db import connection

    from jiuzhu.registry.pii import blind_index
    from jiuzhu.verification.effects import fetch_current, full_batch_cutoffs
    from jiuzhu.verification.models import Source
    from jiuzhu.verification.reverify import _fill_run_table, aggregate_sql, stream_aggregates

    h, _ = active
    member = plain_ids(h)[0]
    other = upload("gongan.vehicle", vehicle_file((member, "鲁D77777")), county_code="370404")
    assert other.status == "loaded"
    run = start_reverification(by=world.user("tez_hecha"), area_code="370405")
    assert run_reverification(run.pk).done == 1
    assert not Finding.objects.exists()
    index = blind_index("id_number", member)
    assert fetch_current([index], "370405") == [] and len(fetch_current([index])) == 1
    report = run_verification(by=world.user("tez_hecha"), household=h, program="dibao")
    assert "鲁D77777" not in str(report.content)

    upload("gongan.vehicle", vehicle_file((member, "鲁D88888")))  # 台儿庄区's own data: counted
    assert Finding.objects.get().message == "新增车辆1辆（现名下共1辆）"
    vehicles = Source.objects.get(code="gongan.vehicle").pk
    for county in ("370405", None):  # a county's run, and a city's (each person's own county)
        rows = stream_aggregates([h.pk], dt.date(2026, 12, 1), full_batch_cutoffs(), county)
        assert sum(r[4] for r in rows if r[2] == vehicles) == 1
    if connection.vendor == "postgresql":
        _fill_run_table([h.pk])
        sql, params = aggregate_sql(full_batch_cutoffs(), "370405")
        with connection.cursor() as cur:
            cur.execute("EXPLAIN " + sql, [*params, dt.date(2025, 12, 1), dt.date(2026, 12, 1)])
            plan = "\n".join(r[0] for r in cur.fetchall())
            cur.execute("SELECT to_regclass('verification_fact_c370404'), to_regclass('verification_fact_c370405')")
            assert all(cur.fetchone())
        assert "verification_fact_c370405_s" in plan and "verification_fact_c370404" not in plan


def test_a_run_goes_with_the_cyclic_collector_paused(active, upload, vehicle_file):
    """Issue 20 item 2: the run's findings are recorded while the collector waits (the signal
    that opens the reviews is sent inside the run)."""
    import gc

    from jiuzhu.verification.signals import findings_recorded

    h, _ = active
    seen: list[bool] = []

    def note(**_: object) -> int:
        seen.append(gc.isenabled())
        return 0

    findings_recorded.connect(note, weak=False)
    try:
        upload("gongan.vehicle", vehicle_file((plain_ids(h)[0], "鲁D88888")))
    finally:
        findings_recorded.disconnect(note)
    assert seen == [False]
    assert gc.isenabled()
