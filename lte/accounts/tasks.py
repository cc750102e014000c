"""Account housekeeping jobs, run by the huey worker's scheduler. Each is idempotent and safe to retry."""

from __future__ import annotations

from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(hour="3", minute="17"), retries=3, retry_delay=60)
def purge_expired_sessions() -> int:
    """Deletes expired sessions and the session-list rows of sessions that no longer exist."""
    call_command("clearsessions")
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    deleted, _ = UserSession.objects.exclude(session_key__in=live).delete()
    return deleted
