"""CRM jobs, run by the huey worker. Each is idempotent and safe to retry.

The import itself runs as lte.crm.imports.jobs.import_contacts (queued by import_start); this module holds
the periodic housekeeping that fails abandoned imports and re-queues the ones whose worker died.
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from lte.crm.imports.jobs import import_contacts, import_housekeeping

logger = logging.getLogger("lte.crm.tasks")


@db_periodic_task(crontab(minute="*/10"))
def imports_housekeeping() -> int:
    """Fails abandoned imports, deletes stray files, and re-queues imports whose worker died."""
    stalled = import_housekeeping()
    for job_id in stalled:
        logger.info("import %s made no progress in 10 minutes: queued again", job_id)
        import_contacts(str(job_id))
    return len(stalled)
