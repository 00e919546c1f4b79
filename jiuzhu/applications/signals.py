"""What applications announce to the apps that build on a decision (issue 15 item 4).

``decided``: a case's decision became final (审批（确认）after 公示, or 补办登记 of 急难). Sent in
the deciding transaction with ``application``, ``by`` and ``refer`` (whether 一体联动 referrals
follow); receivers (the 两清单 records and referrals) run in that same transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

decided = Signal()
