"""Signals the accounts app sends for the layers above it (which it may not import)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside user_update's transaction once a user's `reminder_hour` has changed, with `user` and `old_hour`:
# the CRM moves that seller's open reorder reminders to the new hour (lte/crm/signals.py).
reminder_hour_changed = Signal()
