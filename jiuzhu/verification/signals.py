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

# ``batch_loaded``: a department batch finished loading and its statistics are written (issue 17).
# Sent by the ``after_batch_loaded`` job, outside any transaction, with ``batch`` (the Batch);
# dynamic management evaluates the county's monitoring rules (预警规则) on it.
batch_loaded = Signal()
