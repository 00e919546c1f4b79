"""What the audit log asks of the apps above it (issue 15 item 1).

``value_choices``: sent once (``sender=None``) when the log first words a change; each receiver
returns a list of model choice lists (``[(code, label), ...]``) whose codes may appear as
values in its audit rows, so that the log shows them in words.
"""

from __future__ import annotations

from django.dispatch import Signal

value_choices = Signal()
