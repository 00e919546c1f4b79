"""Run a roster generation or a bank-result import in a separate process that stops in the
middle of its single transaction (roster: half-way through the COPY of its lines; bank results:
after the status updates, before the payments are booked) and waits to be killed (``kill -9``).

Usage: python -m jiuzhu.payments.tests.kill_helper roster|results MARKER AREA MONTH [BATCH FILE]
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jiuzhu.settings")
    import django

    django.setup()
    from jiuzhu.accounts.models import User
    from jiuzhu.payments import actions, roster_write
    from jiuzhu.payments import roster as roster_mod
    from jiuzhu.payments.models import BankBatch

    mode, marker = sys.argv[1], Path(sys.argv[2])
    original = roster_mod.insert_rows

    def stalling(model, columns, rows):  # type: ignore[no-untyped-def]
        def rows_then_wait():  # type: ignore[no-untyped-def]
            for i, row in enumerate(rows):
                if i == 3:
                    marker.write_text("writing")
                    time.sleep(600)  # killed here, half-way through the COPY
                yield row

        return original(model, columns, rows_then_wait())

    def stall_after(fn):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            out = fn(*args, **kwargs)
            marker.write_text("writing")
            time.sleep(600)  # killed here: bank and roster lines already updated in the transaction
            return out

        return wrapped

    if mode == "roster":  # the benefits register and the roster lines are written by two modules
        roster_mod.insert_rows = stalling
        roster_write.insert_rows = stalling
    else:
        from jiuzhu.payments.actions import bank_results

        bank_results._slot_counts = stall_after(bank_results._slot_counts)
    county = User.objects.get(username="tez_county")
    if mode == "roster":
        actions.generate_roster(by=county, area_code=sys.argv[3], month=sys.argv[4])
    else:
        batch = BankBatch.objects.get(pk=int(sys.argv[5]))
        actions.import_bank_results(batch, by=county, file_name="回盘.csv", data=Path(sys.argv[6]).read_bytes())


if __name__ == "__main__":
    main()
