"""What the areas app tells the apps above it (connected in their ``AppConfig.ready``)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the import's transaction when an area file changed the tree:
# ``by`` (the acting user or the system), ``created``, ``updated`` (counts). The audit app
# records it (audit/apps.py), in the same transaction.
areas_imported = Signal()
