"""How long we keep what we record about people, in one table, and the jobs that forget it after that.

Every period the privacy policy names is a row of RETENTION: what it is, how long it is kept, and the
periodic job that deletes it afterwards (each idempotent and safe to retry; `job.call_local()` runs one now).
Deleting an account is not a period: it happens at once (lte.privacy.deletion).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lte.backups.engine import DATA, KEYS
from lte.backups.engine import RETENTION as BACKUP_RETENTION
from lte.backups.tasks import ensure_daily_backups
from lte.crm.models import IDEMPOTENCY_KEPT, IdempotentAnswer
from lte.privacy.models import ChildReport, LoginRecord
from lte.privacy.usage import RAW_DAYS, roll_up
from lte.vault.keys import KEYSTORE
from lte.vault.models import Tombstone

LOGIN_DAYS = 90
CHILD_REPORT_DAYS = 90
TOMBSTONE_DAYS = 91  # a day longer than the oldest data backup can be


# --- The jobs ---------------------------------------------------------------------------------------------


@db_periodic_task(crontab(hour="0", minute="23"))
def roll_up_usage() -> int:
    """Anonymous daily counts from the raw events; raw events older than 90 days are deleted."""
    return roll_up()


@db_periodic_task(crontab(hour="0", minute="37"))
def purge_old_login_records() -> int:
    return LoginRecord.objects.filter(at__lt=timezone.now() - timedelta(days=LOGIN_DAYS)).delete()[0]


@db_periodic_task(crontab(hour="3", minute="17"), retries=3, retry_delay=60)
def purge_expired_sessions() -> int:
    """Deletes expired sessions and the session-list rows of sessions that no longer exist."""
    call_command("clearsessions")
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    deleted, _ = UserSession.objects.exclude(session_key__in=live).delete()
    return deleted


@db_periodic_task(crontab(hour="4", minute="41"), retries=3, retry_delay=60)
def purge_settled_child_reports() -> int:
    """A settled child report (dismissed or acted on) is deleted after 90 days: it names people."""
    cutoff = timezone.now() - timedelta(days=CHILD_REPORT_DAYS)
    deleted, _rows = ChildReport.objects.filter(resolved_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(hour="4", minute="41"))
def purge_old_tombstones() -> int:
    cutoff = timezone.now() - timedelta(days=TOMBSTONE_DAYS)
    deleted, _ = Tombstone.objects.using(KEYSTORE).filter(deleted_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(minute="53"))
def purge_idempotent_answers() -> int:
    """The answers kept for Idempotency-Key repeats, 24 hours after they were given."""
    deleted, _ = IdempotentAnswer.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_KEPT).delete()
    return deleted


# --- The table ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    what: str                 # in plain words
    kept: timedelta           # from the constant or setting that decides it
    job: Callable[..., int | list]  # the periodic job that deletes it afterwards


RETENTION: dict[str, Period] = {
    "login_records": Period("Login history", timedelta(days=LOGIN_DAYS), purge_old_login_records),
    "usage_events": Period("Usage events (afterwards only anonymous daily counts)", timedelta(days=RAW_DAYS),
                           roll_up_usage),
    "sessions": Period("Sessions and the session list (LTE_SESSION_ABSOLUTE_SECONDS at most)",
                       timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT), purge_expired_sessions),
    "child_reports": Period("Settled reports that an account belongs to a child", timedelta(days=CHILD_REPORT_DAYS),
                            purge_settled_child_reports),
    "tombstones": Period("Deletion records (account id and time)", timedelta(days=TOMBSTONE_DAYS),
                         purge_old_tombstones),
    "idempotent_answers": Period("Answers to API writes kept for an Idempotency-Key repeat", IDEMPOTENCY_KEPT,
                                 purge_idempotent_answers),
    "data_backups": Period("Encrypted backups of the data", BACKUP_RETENTION[DATA], ensure_daily_backups),
    "key_backups": Period("Encrypted backups of the key store", BACKUP_RETENTION[KEYS], ensure_daily_backups),
}
