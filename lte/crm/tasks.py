"""CRM jobs, run by the huey worker. Each is idempotent and safe to retry.

The import itself runs as lte.crm.imports.jobs.import_contacts (queued by import_start); this module holds
the periodic housekeeping that fails abandoned imports and re-queues the ones whose worker died, and the
worker's start-up hook that re-queues the imports a stop or a crash interrupted.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from lte.crm.digest import digests_send_due
from lte.crm.imports.jobs import import_contacts, import_housekeeping, import_interrupted

logger = logging.getLogger("lte.crm.tasks")


@db_periodic_task(crontab(minute="*/10"))
def imports_housekeeping() -> int:
    """Fails abandoned imports, deletes stray files, and re-queues imports whose worker died."""
    stalled = import_housekeeping()
    for job_id in stalled:
        logger.info("import %s made no progress in 10 minutes: queued again", job_id)
        import_contacts(str(job_id))
    return len(stalled)


@db_periodic_task(crontab(minute="*/5"))
def daily_digests() -> int:
    """Sends the daily digests that fell due (each seller's hour in their timezone); never one twice a day."""
    return digests_send_due()


_requeued_at_start = threading.Event()
_requeue_lock = threading.Lock()


@HUEY.on_startup()
def requeue_interrupted_imports() -> int:
    """When the job worker starts, imports a stopped or crashed worker left "running" are queued again at once
    (they resume after their last committed batch) instead of waiting for two housekeeping sightings. huey
    calls this in each worker thread; only the first call of the process does the work."""
    with _requeue_lock:
        if _requeued_at_start.is_set():
            return 0
        _requeued_at_start.set()
    try:
        interrupted = import_interrupted()
        for job_id in interrupted:
            logger.info("import %s was interrupted (the worker stopped): queued again", job_id)
            import_contacts(str(job_id))
    finally:
        if not connection.in_atomic_block:  # the thread's connection goes, never from under a caller's transaction
            close_old_connections()
    return len(interrupted)
