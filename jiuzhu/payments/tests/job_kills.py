"""kill -9 drills for the long jobs (issue 19 item 3), run as a separate process against the
test database: each round forks a worker that runs one job, kills it with SIGKILL at a random
moment, checks that the job is found dead and that nothing is half-done, retries it and
checks that the retry completes.

Usage: python -m jiuzhu.payments.tests.job_kills roster|reverify|ingest|bank|notices ROUNDS SEED
Prints one JSON line: {"kills": <rounds killed while the job ran>, "rounds": ROUNDS}.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

AREA = "370405"


def fork_job(job: Callable[[], Any]) -> int:
    from django.db import connections

    connections.close_all()  # the child opens its own connections
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            job()
        finally:
            os._exit(0)
    return pid


def kill_after(pid: int, delay: float) -> bool:
    """SIGKILL the child after ``delay`` seconds; True when it was still running. A child that
    ends before then is reaped at once (polled) instead of waiting out the delay."""
    deadline = time.monotonic() + delay
    while True:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(0.01, left))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)  # reaped: the process table no longer has it
    return True


def timed(job: Callable[[], Any]) -> float:
    started = time.monotonic()
    job()
    return time.monotonic() - started


def roster_rounds(rounds: int, rng: random.Random) -> int:
    from jiuzhu.accounts.models import User
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import Roster, RosterRun

    county = User.objects.get(username="tez_county")
    month = dt.date(2026, 11, 1)
    first = actions.request_roster(by=county, area_code=AREA, month=month)
    assert isinstance(first, RosterRun)
    took = timed(lambda: actions.run_roster(first.pk))
    first.refresh_from_db()
    assert first.status == "done", first.error
    roster_area = Roster.objects.get(pk=first.roster_id).area_code
    expected = Roster.objects.get(pk=first.roster_id).lines.count()
    assert expected > 0
    kills = 0
    for _ in range(rounds):
        run = actions.request_roster(by=county, area_code=AREA, month=month, refresh=True)
        assert isinstance(run, RosterRun)
        pid = fork_job(lambda run_id=run.pk: actions.run_roster(run_id))
        killed = kill_after(pid, rng.uniform(0.02, 0.6) * took)
        kills += killed
        actions.recover_roster_runs()
        run.refresh_from_db()
        rosters = Roster.objects.filter(area_code=roster_area, month=month)
        # Nothing half-done: the month has one roster, complete (the old one or the new one).
        assert rosters.count() == 1 and rosters.get().lines.count() == expected
        assert run.status in ("failed", "done", "queued"), run.status
        if run.status == "failed":
            assert "中断" in run.error
            actions.retry_roster_run(run, by=county)
        if run.status != "done":
            actions.run_roster(run.pk)
            run.refresh_from_db()
        assert run.status == "done" and rosters.get().lines.count() == expected
    return kills


def reverify_rounds(rounds: int, rng: random.Random) -> int:
    from jiuzhu.accounts.models import User
    from jiuzhu.verification import actions, reverify
    from jiuzhu.verification.models import ReverificationRun, Snapshot

    county = User.objects.get(username="tez_hecha")  # 核对员
    chunk = 4

    def start() -> ReverificationRun:
        return actions.start_reverification(by=county, area_code=AREA, trigger="scheduled")

    first = start()
    took = timed(lambda: reverify.run_reverification(first.pk, chunk_size=chunk))
    first.refresh_from_db()
    total = first.total
    assert total > chunk
    kills = 0
    for _ in range(rounds):
        run = start()
        pid = fork_job(lambda run_id=run.pk: reverify.run_reverification(run_id, chunk_size=chunk))
        killed = kill_after(pid, rng.uniform(0.02, 0.6) * took)
        kills += killed
        actions.recover_reverification_runs()
        run.refresh_from_db()
        # Nothing half-done: every household counted as done has its snapshot, no more.
        assert Snapshot.objects.filter(run=run).values("household").distinct().count() == run.done
        if run.status == "failed":
            assert "中断" in run.message
            actions.retry_reverification(run, by=county)
        if run.status != "done":
            reverify.run_reverification(run.pk, chunk_size=chunk)
            run.refresh_from_db()
        assert run.status == "done" and run.done == total
        snapshots = Snapshot.objects.filter(run=run)
        assert snapshots.count() == snapshots.values("household").distinct().count() == total
    return kills


def ingest_rounds(rounds: int, rng: random.Random) -> int:
    from jiuzhu.accounts.system import SystemActor
    from jiuzhu.core.idnumber import make_id_number
    from jiuzhu.verification import actions, ingest
    from jiuzhu.verification.models import Batch, Fact, Source

    source = Source.objects.get(code="yibao.expense")
    rows = 6_000

    def receive(round_no: int) -> Batch:
        lines = ["姓名,身份证号码,就诊机构,结算日期,医疗总费用（元）,医保报销（元）,个人自付（元）"]
        for i in range(rows):
            person = make_id_number(AREA, dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28), i % 997, "MF"[i % 2])
            lines.append(f"患者,{person},医院{round_no}-{i},2026-09-{1 + i % 28:02d},1000.00,600.00,400.00")
        data = ("\r\n".join(lines) + "\r\n").encode()
        name = f"kill-{round_no}.csv"
        batch, _ = actions.receive_batch(source, [data], by=SystemActor(), filename=name, county_code=AREA)
        return batch

    first = receive(0)
    took = timed(lambda: ingest.process_batch(first.pk))
    first.refresh_from_db()
    assert first.status == "loaded", first.message
    kills = 0
    for round_no in range(1, rounds + 1):
        batch = receive(round_no)
        pid = fork_job(lambda batch_id=batch.pk: ingest.process_batch(batch_id))
        killed = kill_after(pid, rng.uniform(0.02, 0.6) * took)
        kills += killed
        ingest.recover_batches()
        batch.refresh_from_db()
        facts = Fact.objects.filter(batch_id=batch.pk).count()
        assert facts == (rows if batch.status == "loaded" else 0), (batch.status, facts)  # all or nothing
        if batch.status == "failed":
            assert "中断" in batch.message
            actions.rerun_batch(batch, by=SystemActor())
        if batch.status != "loaded":
            ingest.process_batch(batch.pk)
            batch.refresh_from_db()
        assert batch.status == "loaded" and Fact.objects.filter(batch_id=batch.pk).count() == rows
    return kills


def bank_rounds(rounds: int, rng: random.Random) -> int:
    """The bank export of the one locked roster: after a kill the roster has either no batch
    (every line still to pay) or one complete batch; the retry writes exactly one batch with
    every line once. Between rounds the harness puts the roster back to 锁定, unexported."""
    from jiuzhu.accounts.models import User
    from jiuzhu.payments import actions
    from jiuzhu.payments.models import BankBatch, BankExportJob, BankLine, Roster, RosterLine

    county = User.objects.get(username="tez_county")
    roster = Roster.objects.get(status="locked")
    to_pay = roster.lines.filter(status="pending").count()
    assert to_pay > 0

    def reset() -> None:
        BankExportJob.objects.filter(roster=roster).delete()
        BankLine.objects.filter(batch__roster=roster).delete()
        BankBatch.objects.filter(roster=roster).delete()
        RosterLine.objects.filter(roster=roster, status="sent").update(status="pending")
        Roster.objects.filter(pk=roster.pk).update(status="locked")

    def exported_once() -> None:
        batches = BankBatch.objects.filter(roster=roster)
        lines = BankLine.objects.filter(batch__roster=roster)
        assert batches.count() == 1 and lines.count() == to_pay, (batches.count(), lines.count())
        assert lines.values("line").distinct().count() == to_pay  # never a line exported twice
        assert Roster.objects.get(pk=roster.pk).status == "exported"

    took = timed(lambda: actions.export_bank_file(roster, by=county))
    exported_once()
    reset()
    kills = 0
    for _ in range(rounds):
        pid = fork_job(lambda: actions.export_bank_file(Roster.objects.get(pk=roster.pk), by=county))
        kills += kill_after(pid, rng.uniform(0.05, 0.9) * took)
        actions.recover_bank_exports()
        job = BankExportJob.objects.filter(roster=roster).order_by("-id").first()
        if job is None or job.status == "failed":  # nothing half-done: no batch, every line to pay
            assert job is None or "中断" in job.error
            assert not BankBatch.objects.filter(roster=roster).exists()
            assert RosterLine.objects.filter(roster=roster, status="pending").count() == to_pay
            assert Roster.objects.get(pk=roster.pk).status == "locked"
            if job is None:
                actions.export_bank_file(Roster.objects.get(pk=roster.pk), by=county)
            else:
                batch, content, _ = actions.retry_bank_export(job, by=county)
                assert content and batch.line_count == to_pay
                job.refresh_from_db()
                assert job.status == "done" and job.batch_id == batch.pk and job.attempts == 2
        else:
            assert job.status == "done", job.status
        exported_once()
        reset()
    return kills


def notice_rounds(rounds: int, rng: random.Random) -> int:
    """A notice numbered in an action's transaction and rendered after it committed: after a
    kill there is either no trace (the action rolled back), or a job found dead with no notice
    kept, or the kept notice; the retry keeps it under the same number, none is given again."""
    from django.db import transaction

    from jiuzhu.accounts.models import User
    from jiuzhu.applications import notices
    from jiuzhu.applications.models import Application, Notice, NoticeJob, NoticeSequence
    from jiuzhu.audit.models import SignedDocument

    county = User.objects.get(username="tez_county")
    app = Application.objects.filter(area_code__startswith=AREA).select_related("intake").first()
    assert app is not None

    def issue() -> None:
        with notices.rendered_after(), transaction.atomic():
            notices.issue_after(county, "receipt", intake=app.intake, application=app)

    def last_number() -> int:
        return sum(NoticeSequence.objects.filter(kind="receipt").values_list("last", flat=True))

    issue()  # the first rendering loads fonts and templates; the forked workers inherit them
    took = timed(issue)
    kills = 0
    for _ in range(rounds):
        before_jobs, before_numbers = set(NoticeJob.objects.values_list("pk", flat=True)), last_number()
        pid = fork_job(issue)
        kills += kill_after(pid, rng.uniform(0.05, 0.9) * took)
        notices.recover_notice_jobs()
        job = NoticeJob.objects.exclude(pk__in=before_jobs).first()
        if job is None:  # killed inside the action: rolled back, no number used
            assert last_number() == before_numbers
            continue
        assert last_number() == before_numbers + 1
        kept = Notice.objects.filter(number=job.number)
        if job.status == "failed":  # nothing half-done: no notice, no 存证 row under its number
            assert "中断" in job.error and not kept.exists()
            assert not SignedDocument.objects.filter(number=job.number).exists()
            notice = notices.retry_notice_job(job, by=county)
            job.refresh_from_db()
            assert notice.number == job.number and job.notice_id == notice.pk and job.attempts == 2
        assert job.status == "done", job.status
        assert kept.count() == 1 and SignedDocument.objects.filter(number=job.number).count() == 1
        assert last_number() == before_numbers + 1  # the retry gave no second number
    return kills


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    kind, rounds, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    drill = {
        "roster": roster_rounds,
        "reverify": reverify_rounds,
        "ingest": ingest_rounds,
        "bank": bank_rounds,
        "notices": notice_rounds,
    }[kind]
    kills = drill(rounds, random.Random(seed))
    print(json.dumps({"kills": kills, "rounds": rounds}))


if __name__ == "__main__":
    main()
