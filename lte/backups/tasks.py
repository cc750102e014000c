"""Scheduled backups. Hourly and idempotent: a day's backup is made once; a killed run is made up."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from lte.backups.engine import run_daily
from lte.vault.models import Tombstone

TOMBSTONE_DAYS = 91  # a day longer than the oldest data backup can be


@db_periodic_task(crontab(minute="7"), retries=2, retry_delay=300)
@lock_task("lte-backups")
def ensure_daily_backups() -> list[str]:
    return [backup.path.name for backup in run_daily()]


@db_periodic_task(crontab(hour="4", minute="41"))
def purge_old_tombstones() -> int:
    cutoff = timezone.now() - timedelta(days=TOMBSTONE_DAYS)
    deleted, _ = Tombstone.objects.using("keystore").filter(deleted_at__lt=cutoff).delete()
    return deleted


@db_periodic_task(crontab(minute="*/15"))
def enforce_tombstones() -> int:
    """Finishes any deletion a crash interrupted: accounts with a tombstone lose their rows and keys."""
    from lte.accounts.models import User
    from lte.vault.keys import destroy_account_keys
    from lte.vault.models import AccountIndexKey, AccountKey

    ids = list(Tombstone.objects.using("keystore").values_list("owner_id", flat=True))
    deleted, _ = User.objects.filter(pk__in=ids).delete()
    with_keys = set(AccountKey.objects.using("keystore").filter(owner_id__in=ids).values_list("owner_id", flat=True))
    with_keys |= set(AccountIndexKey.objects.using("keystore").filter(owner_id__in=ids)
                     .values_list("owner_id", flat=True))
    for owner_id in with_keys:
        destroy_account_keys(owner_id)
    return deleted
