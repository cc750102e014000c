"""Scheduled backups. Hourly and idempotent: a day's backup is made once; a killed run is made up.

Backups are pruned by the same run (90 days of data, 7 of the key store); every retention period, these
included, is listed in lte.privacy.retention.
"""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from lte.backups.engine import run_daily


@db_periodic_task(crontab(minute="7"), retries=2, retry_delay=300)
@lock_task("lte-backups")
def ensure_daily_backups() -> list[str]:
    return [backup.path.name for backup in run_daily()]
