"""What the 一户一档 announces to the apps that build on it (issue 15 item 1).

``death_recorded``: a member's death date was entered. Sent in the recording transaction with
``by`` and ``person``; receivers (dynamic management: a death stops the money, DYN-7) run in
that same transaction.
"""

from __future__ import annotations

from django.dispatch import Signal

death_recorded = Signal()
