"""Scheduled backups. Hourly and idempotent: a day's backup is made once; a killed run is made up.

Backups are pruned by the same run (90 days of data, 7 of the key store); every retention period, these
included, is listed in lte.privacy.retention.
"""

import logging
import threading

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, lock_task

from lte.backups.engine import clean_scratch, run_daily

logger = logging.getLogger("lte.backups")
LOCK = "lte-backups"
_cleaned = threading.Event()
_cleaning = threading.Lock()


@db_periodic_task(crontab(minute="7"), retries=2, retry_delay=300)
@lock_task(LOCK)
def ensure_daily_backups() -> list[str]:
    return [backup.path.name for backup in run_daily()]


@HUEY.on_startup()
def clean_up_killed_backups() -> None:
    """When the job worker starts, no backup of this instance runs (one instance per data dir): what a killed
    run left — its plaintext snapshot in the scratch dir, its lock, which would hold off every later run — goes."""
    with _cleaning:  # huey calls this in every worker thread: the others wait until the first has cleaned
        if _cleaned.is_set():
            return
        removed = clean_scratch()
        HUEY.flush_locks(LOCK)
        _cleaned.set()
    if removed:
        logger.info("removed %d leftover(s) of an interrupted backup", len(removed))
