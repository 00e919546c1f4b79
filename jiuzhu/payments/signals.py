"""What payments announce to the apps that build on it (dynamic management, issue 15 item 1).

Both are sent inside the payments transaction; receivers (``jiuzhu.monitoring.handlers``) run
in that same transaction, so their rows and audit entries commit or roll back with it.

``deaths_flagged``: the roster check saw death data (a dead payee or family member) on cases
in payment. Sent with ``by``, ``application_ids`` and ``on`` (the day); receivers open the
cases' death reviews.

``deaths_found``: before a bank file, payees found dead before the roster month whose death
has not yet stopped the money. Sent with ``by`` and ``persons``; receivers record each death
(stop or suspend the benefit, withdraw the lines, open a review).
"""

from __future__ import annotations

from django.dispatch import Signal

deaths_flagged = Signal()
deaths_found = Signal()
