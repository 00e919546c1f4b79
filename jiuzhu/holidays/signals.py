"""What the working calendar asks of the apps that count deadlines in it (issue 15 item 1).

``open_deadlines``: sent (``sender=None``) when the calendar changes; each receiver returns a
list of ``(queryset, field)`` pairs naming the open deadlines it keeps in working days, which
the calendar then moves (``holidays.actions.recompute_open_deadlines``).
"""

from __future__ import annotations

from django.dispatch import Signal

open_deadlines = Signal()
