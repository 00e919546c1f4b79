"""kill -9 drill for the batch 先行救助 job (WF-12, PRG-12; issue 19 item 3), run as a separate
process against the test database: the job of one 应急期 is forked and killed with SIGKILL at
random moments until it completes; after each kill the job is found dead and marked failed, every
household counted as relieved has exactly one case, one reserve draw and one ledger payment, the
reserve's balance matches, and the retry relieves only the rest. The notices of a household
killed before its PDFs were made are recovered and rendered under their numbers.

Usage: python -m jiuzhu.monitoring.tests.emergency_kills JOB_ID SEED
Prints one JSON line: {"kills": <attempts killed while the job ran>, "attempts": n}.
"""

from __future__ import annotations

import json
import os
import random
import sys

from jiuzhu.payments.tests.job_kills import fork_job, kill_after


def check(job_id: int) -> int:
    """Nothing half-done, nothing twice; returns the households relieved so far."""
    from jiuzhu.applications.models import Application
    from jiuzhu.funds.actions import reserve_balance
    from jiuzhu.funds.models import ReserveEntry, ReserveFund
    from jiuzhu.monitoring.models import EmergencyHousehold, EmergencyRelief
    from jiuzhu.payments.models import LedgerEntry

    job = EmergencyRelief.objects.select_related("emergency").get(pk=job_id)
    rows = EmergencyHousehold.objects.filter(pk__in=job.households)
    relieved = rows.filter(application__isnull=False)
    apps = list(relieved.values_list("application_id", flat=True))
    households = [r.household_id for r in rows]
    # a case exists only for a relieved row (its transaction wrote both), one per household
    assert Application.objects.filter(household_id__in=households).count() == len(apps)
    paid = LedgerEntry.objects.filter(application_id__in=apps, kind="payment", source="reserve")
    assert paid.count() == len(apps) and paid.values("application_id").distinct().count() == len(apps)
    assert job.relieved == len(apps) and job.amount_fen == len(apps) * job.emergency.advance_fen
    fund = ReserveFund.objects.get(area_code=job.emergency.area_code)
    draws = ReserveEntry.objects.filter(fund=fund, kind="disbursement")
    assert draws.count() == len(apps)
    assert reserve_balance(fund) == int(os.environ["DRILL_RESERVE_FEN"]) - len(apps) * job.emergency.advance_fen
    return len(apps)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from jiuzhu.applications import notices
    from jiuzhu.applications.models import NoticeJob
    from jiuzhu.monitoring import emergency as em
    from jiuzhu.monitoring.models import EmergencyRelief

    job_id, seed = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(seed)
    job = EmergencyRelief.objects.get(pk=job_id)
    by = job.requested_by
    assert by is not None
    kills = attempts = 0
    while job.status != "done":
        attempts += 1
        assert attempts < 60, "the drill does not end"
        pid = fork_job(lambda: em.run_relief(job_id))
        kills += kill_after(pid, rng.uniform(0.2, 2.5))
        em.recover_reliefs()
        job.refresh_from_db()
        check(job_id)
        if job.status == "failed":
            assert "中断" in job.error, job.error
            em.retry_relief(job, by=by)
            job.refresh_from_db()
        if job.status in ("queued", "running") and kills >= 6:
            em.run_relief(job_id)  # enough kills: let it finish
            job.refresh_from_db()
    relieved = check(job_id)
    assert relieved == job.total, (relieved, job.total)
    # notices of a household killed before its PDFs were kept: found, retried under their numbers
    notices.recover_notice_jobs()
    for failed in NoticeJob.objects.filter(status="failed"):
        notices.retry_notice_job(failed, by=by)
    assert not NoticeJob.objects.exclude(status="done").exists()
    print(json.dumps({"kills": kills, "attempts": attempts}))


if __name__ == "__main__":
    main()
