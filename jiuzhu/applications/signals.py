"""What applications announce to the apps that build on a decision (issue 15 item 4). Every
signal is sent inside the deciding transaction, so its receivers write in that same
transaction: an exception a receiver raises rolls the whole action back.

``decided``: a case's decision became final (审批（确认）after 公示, or 补办登记 of 急难). Sent with
``application``, ``by`` and ``refer`` (whether 一体联动 referrals follow) before the case's new
state is saved; receivers: the 两清单 records and referrals (``referrals/handlers.py``).

``approved``: the case's state has just been saved as 批准 (``application``, ``by``); sent before
the transition's audit row. Receiver: payments opens the benefit of a monthly case
(``payments/handlers.py``).

``advance_paid``: 急难型临时救助 先行救助 of ``amount_fen`` (``application``, ``by``, ``note``) is to be
paid now. Receiver: payments pays it from the town's reserve (备用金), which refuses it with a
``DomainError`` when the reserve is missing or would go below zero (FND-3).
"""

from __future__ import annotations

from django.dispatch import Signal

decided = Signal()
approved = Signal()
advance_paid = Signal()
