"""What verification announces to the apps that build on it (issue 15 item 1).

``findings_recorded``: a batch re-verification (批量复核) recorded findings on cases in payment.
Sent in the transaction that records them, with ``by``, ``run`` (the ReverificationRun),
``application_ids`` (sorted, distinct) and ``on`` (the day); receivers (dynamic management
opens a 部门数据预警 review per case) run in that same transaction and return how many
reviews they opened.
"""

from __future__ import annotations

from django.dispatch import Signal

findings_recorded = Signal()

# ``batch_loaded``: a department batch has been loaded (committed) and its statistics written,
# sent by the job that runs right after the load (``tasks.after_batch_loaded``) with ``by`` and
# ``batch``, outside any transaction: each receiver runs its own — dynamic management (deaths
# and moves out reach the registry and the money, DYN-7) and 政策找人 (the county's monitoring
# rules, 预警规则, evaluated on the batch, issue 17). Re-sent when the job is retried, so
# receivers are idempotent. Sent robustly: a receiver's failure stops neither the others nor the
# job (monitoring records each failed step and retries it: ``monitoring.after_load``).
batch_loaded = Signal()
