"""CRM jobs, run by the huey worker. Each is idempotent and safe to retry.

import_contacts runs an import acting for its owner (the only way its data opens outside a request).
A retry, or a second copy of the same job, resumes after the last committed batch: the batch and the
job's progress commit together, and a run that finds the progress moved under it stops (imports.py).
"""

from __future__ import annotations

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lte.crm import imports
from lte.crm.models import ImportJob
from lte.vault.context import acting_for

logger = logging.getLogger("lte.crm.tasks")
IMPORT_RETRIES = 3


class ImportInterrupted(Exception):
    """An import stopped on an unexpected error; huey retries it. Carries no row contents."""


@db_task(retries=IMPORT_RETRIES, retry_delay=30, context=True)
def import_contacts(job_id: str, task=None) -> str | None:
    owner_id = ImportJob.objects.filter(pk=job_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return None
    try:
        with acting_for(owner_id):
            job = imports.import_run(job_id)
    except Exception as exc:
        # Only the exception's type is logged: its message could quote a row.
        logger.warning("import %s interrupted by %s", job_id, type(exc).__name__)
        if task is None or not task.retries:
            imports.import_fail(job_id, "Something went wrong on our side and the import stopped; the rows "
                                        "imported so far are kept. Please try again later.")
            return ImportJob.Status.FAILED
        raise ImportInterrupted(f"import {job_id} interrupted by {type(exc).__name__}") from None
    return job.status if job is not None else None


@db_periodic_task(crontab(minute="*/10"))
def imports_housekeeping() -> int:
    """Fails abandoned imports, deletes stray files, and re-queues imports whose worker died."""
    stalled = imports.import_housekeeping()
    for job_id in stalled:
        logger.info("import %s made no progress in 10 minutes: queued again", job_id)
        import_contacts(str(job_id))
    return len(stalled)
