"""Running an import job, and the services the pages and the API call: start, map, cancel, run.

import_contacts is the huey job that runs an import acting for its owner (the only way its data opens outside a
request). A retry, or a second copy of the same job, resumes after the last committed batch: the batch and the
job's progress commit together, and a run that finds the progress moved under it stops.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import cast

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from huey.contrib.djhuey import db_task

from lte.crm.imports import limits
from lte.crm.imports.archive import ArchiveBatch, ArchiveRow, archive_rows
from lte.crm.imports.layouts import spec_from_columns
from lte.crm.imports.limits import ACTIVE, FINISHED, ImportBusy, ImportFileError, ImportTooLarge, _Superseded
from lte.crm.imports.readers import RawRow, csv_records, csv_rows
from lte.crm.imports.rows import _Context
from lte.crm.imports.sniff import _total, _usable, guess_mapping, parse_mapping, resolve_mapping, scan
from lte.crm.imports.upload import (
    PART_SUFFIX,
    SUFFIX,
    _adopt,
    imports_dir,
    job_file,
    open_text,
    remove_file,
    too_large_message,
)
from lte.crm.imports.vcard import vcard_rows
from lte.crm.imports.writer import _Batch
from lte.crm.models import (
    ImportJob,
    Tag,
)
from lte.vault.context import acting_for
from lte.vault.crypto import b64d, b64e

logger = logging.getLogger("lte.crm.imports")
IMPORT_RETRIES = 3



# --- Running a job ---------------------------------------------------------------------------------------


def rows_of(path: Path, key: bytes, plan: dict) -> Generator[RawRow | ArchiveRow, None, None]:
    if plan["format"] == "zip":
        yield from archive_rows(path, key, plan)
        return
    with open_text(path, key, plan["encoding"]) as text:
        if plan["format"] == "vcard":
            yield from vcard_rows(text)
        else:
            yield from csv_rows(text, plan)


def _file_of(row: RawRow | ArchiveRow) -> str | None:
    """The export's file an archive record comes from (None for a contact row)."""
    return row.file if isinstance(row, ArchiveRow) else None


class _Run:
    def __init__(self, job: ImportJob, key: bytes) -> None:
        self.job = job
        self.key = key
        self.ctx = _Context(job.owner)
        self.plan = job.mapping
        self._tags: dict[str, Tag] | None = None

    def known_tags(self) -> dict[str, Tag]:
        """The owner's tags by folded name, kept for the run (services.tags_named fills it)."""
        if self._tags is None:
            self._tags = {}
        return self._tags

    def forget_tags(self) -> None:
        self._tags = None

    def run(self) -> None:
        path = job_file(self.job.pk)
        if not path.exists():
            raise ImportFileError("The uploaded file is no longer there; upload it again.")
        done = expected = self.job.processed
        batch: list[RawRow | ArchiveRow] = []
        started = time.monotonic()
        with _bulk_writes(), contextlib.closing(rows_of(path, self.key, self.plan)) as rows:
            for index, row in enumerate(rows):
                if index >= limits.MAX_ROWS:
                    raise ImportFileError(too_large_message())
                if index < done:  # imported by an earlier run of this job
                    continue
                if batch and (type(row) is not type(batch[-1]) or _file_of(row) != _file_of(batch[-1])):
                    expected = self._commit(batch, expected)  # a batch holds records of one file
                    batch = []
                batch.append(row)
                if len(batch) >= limits.BATCH:
                    expected = self._commit(batch, expected)
                    batch = []
            if batch:
                expected = self._commit(batch, expected)
        logger.info("import %s: %s rows in %.1f s", self.job.pk, expected - done, time.monotonic() - started)

    def _commit(self, rows: list[RawRow | ArchiveRow], expected: int) -> int:
        # the CPU-bound part, before taking the database's write lock; run() gives a batch rows of one kind
        batch = (ArchiveBatch(self, cast(list[ArchiveRow], rows)) if isinstance(rows[0], ArchiveRow)
                 else _Batch(self, cast(list[RawRow], rows))).prepare()
        try:
            with transaction.atomic():
                job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
                if job.status != ImportJob.Status.RUNNING or job.processed != expected:
                    raise _Superseded
                result = batch.write()
                job.processed += len(rows)
                job.created += result.created
                job.updated += result.updated
                job.skipped += result.skipped
                job.errors = _capped(job.errors or [], result.errors)
                job.total = max(job.total, job.processed)
                job.save(update_fields=["processed", "created", "updated", "skipped", "errors", "total"])
        except BaseException:
            self.forget_tags()  # tags made in the rolled-back batch are gone
            raise
        return job.processed


@contextlib.contextmanager
def _bulk_writes() -> Iterator[None]:
    """On SQLite, while an import writes: a 64 MB page cache (random-key index inserts miss the default
    2 MB one at 100,000 contacts) and a WAL checkpoint every 40 MB rather than every commit; both put back
    afterwards, then one passive checkpoint. Only this connection is affected."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite" or db.in_atomic_block:
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint")
        autocheckpoint = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {autocheckpoint}")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _capped(errors: list[dict], more: list[dict]) -> list[dict]:
    """The report lists MAX_REPORTED_ERRORS entries; the last one counts the problems it doesn't list."""
    if not more:
        return errors
    room = limits.MAX_REPORTED_ERRORS - 1
    if errors and errors[-1].get("more"):
        unlisted = errors[-1]["more"] + len(more)
        return [*errors[:-1], {"row": None, "error": f"{unlisted:,} more problems are not listed here.",
                               "more": unlisted}]
    if len(errors) + len(more) <= limits.MAX_REPORTED_ERRORS:
        return errors + more
    listed = [*errors, *more][:room]
    unlisted = len(errors) + len(more) - room
    return [*listed, {"row": None, "error": f"{unlisted:,} more problems are not listed here.", "more": unlisted}]


# --- Services ---------------------------------------------------------------------------------------------


def _owned(owner, job_id) -> ImportJob:
    return ImportJob.objects.owned_by(owner).get(pk=job_id)


def awaiting_mapping(job: ImportJob) -> bool:
    plan = job.mapping or {}
    return job.status == ImportJob.Status.QUEUED and plan.get("layout") == "custom" and plan.get("columns") is None



def _cap_active(owner) -> None:
    # A web upload waiting for its column mapping is dropped when a newer file comes in.
    for job in ImportJob.objects.owned_by(owner).filter(status=ImportJob.Status.QUEUED):
        if awaiting_mapping(job):
            import_fail(job.pk, gettext("Replaced by a newer upload."))
    if ImportJob.objects.owned_by(owner).filter(status__in=ACTIVE).count() >= limits.MAX_ACTIVE_JOBS:
        raise ImportBusy("Several imports are still running: wait for one to finish, then try again.")


def import_start(*, owner, upload, file_format: str | None = None, mapping: dict | None = None,
                 await_mapping: bool = False) -> ImportJob:
    """Stores the upload encrypted, checks it can be read, and queues its import.

    A CSV in our export's or Google's layout needs no mapping. Any other CSV takes `mapping` (see
    parse_mapping); without one, the columns are guessed from the header row, or — with
    `await_mapping`, for the web page's mapping step — the job waits for import_map().
    Raises ValidationError (unreadable file, bad mapping), ImportTooLarge or ImportBusy.
    """
    if file_format not in (None, "csv", "vcard", "zip"):
        raise ValidationError({"file_format": "is csv, vcard or zip."})
    _cap_active(owner)
    job = ImportJob(owner=owner)
    path = job_file(job.pk)
    try:
        key = _adopt(upload, path)
        plan, header = scan(path, key, file_format=file_format)
        if plan["format"] == "csv":
            if mapping is not None:
                plan["columns"], plan["header"] = resolve_mapping(mapping, header)
                plan["layout"] = "custom"
                plan["spec"] = spec_from_columns(plan["columns"])
            elif plan["layout"] == "custom" and not await_mapping:
                plan["columns"] = guess_mapping(header)
                plan["spec"] = spec_from_columns(plan["columns"])
                if not _usable(plan["columns"]):
                    raise ValidationError({"mapping": "We could not tell which column is which in this CSV: send "
                                                      "a mapping, e.g. {\"first_name\": \"Name\", \"phones\": "
                                                      "[\"Mobile\"]}."})
        total = _total(plan)
        if total > limits.MAX_ROWS:
            raise ImportTooLarge(too_large_message())
        job.file_format = plan["format"]
        job.mapping = plan
        job.total = total
        job.file_key = b64e(key)
        with transaction.atomic():
            job.save()
            if not awaiting_mapping(job):
                transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        remove_file(path)
        raise
    logger.info("import %s queued: %s, %s rows", job.pk, plan["format"], total)
    return job


def _enqueue(job_id) -> None:
    import_contacts(str(job_id))


def import_columns(*, owner, job_id, samples: int = 3) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a CSV waiting for its mapping, for the seller to choose from.
    Read from the encrypted file on demand; nothing of it is stored."""
    job = _owned(owner, job_id)
    if not awaiting_mapping(job) or job.file_key is None:
        raise ValidationError({"mapping": "This import is not waiting for a column mapping."})
    plan = job.mapping
    header: list[str] = []
    rows: list[list[str]] = []
    with open_text(job_file(job.pk), b64d(job.file_key), plan["encoding"]) as text:
        for _number, cells, error in csv_records(text, plan["delimiter"]):
            if error is not None or cells is None:
                continue
            if not header:
                header = cells
                continue
            if len(rows) >= samples:
                break
            rows.append(cells)
    return header, rows


def import_map(*, owner, job_id, mapping: dict) -> ImportJob:
    """Sets the column mapping of a CSV import waiting for one (the web page's second step) and queues it."""
    job = _owned(owner, job_id)
    if not awaiting_mapping(job):
        raise ValidationError({"mapping": "This import is not waiting for a column mapping."})
    header, _rows = import_columns(owner=owner, job_id=job_id, samples=0)
    columns, header_flag = resolve_mapping(parse_mapping(mapping) or {}, header)
    plan = {**job.mapping, "columns": columns, "header": header_flag, "spec": spec_from_columns(columns)}
    if _total(plan) > limits.MAX_ROWS:
        raise ImportTooLarge(too_large_message())
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            mapping=plan, total=_total(plan))
        if updated:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_cancel(*, owner, job_id) -> ImportJob:
    """Stops an unfinished import (rows already imported stay) and deletes its file."""
    job = _owned(owner, job_id)
    if job.status in ACTIVE:
        import_fail(job.pk, gettext("Stopped by you; the rows imported before that are kept."))
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_fail(job_id, message: str) -> None:
    """Ends a job as failed with a message for its report; its file and key are destroyed."""
    owner_id = ImportJob.objects.filter(pk=job_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return
    with transaction.atomic(), acting_for(owner_id):  # the report is sealed under the owner's key
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return
        if job.status not in FINISHED:
            job.status = ImportJob.Status.FAILED
            job.errors = [*(job.errors or []), {"row": None, "error": message}]  # always shown, even on a full report
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "errors", "finished_at"])
        ImportJob.objects.filter(pk=job_id).update(file_key=None)
    remove_file(job_file(job_id))
    logger.info("import %s failed", job_id)


def _finish(job_id) -> None:
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.DONE, finished_at=timezone.now(), file_key=None)
    remove_file(job_file(job_id))


def import_run(job_id) -> ImportJob | None:
    """Runs (or resumes) an import. Call it acting for the job's owner (import_contacts does). Safe to call
    again at any time: a finished job is left alone; an interrupted one carries on after its last
    committed batch; two runs of one job never both write a batch."""
    job = ImportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None:
        return None
    if job.status in FINISHED:
        remove_file(job_file(job.pk))
        return job
    if awaiting_mapping(job):
        return job
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(status=ImportJob.Status.RUNNING)
    job = ImportJob.objects.select_related("owner").get(pk=job.pk)
    if job.status != ImportJob.Status.RUNNING:
        return job
    try:
        if not job.file_key:
            raise ImportFileError(gettext("The uploaded file's key is gone; upload the file again."))
        with translation.override(job.owner.language or "en"):  # the report speaks the seller's language
            _Run(job, b64d(job.file_key)).run()
    except _Superseded:
        logger.info("import %s: another run took over or it was stopped", job.pk)
    except ImportFileError as exc:
        import_fail(job.pk, str(exc))
    else:
        _finish(job.pk)
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_housekeeping(*, now: datetime | None = None) -> list:
    """Fails abandoned or overlong imports, deletes stray files, and returns the ids of jobs that made no
    progress since the last call (their worker died: the caller queues them again, and they resume)."""
    now = now or timezone.now()
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=now - timedelta(days=1)):
        if awaiting_mapping(job):
            import_fail(job.pk, "The column mapping was never chosen; upload the file again.")
    for job_id in ImportJob.objects.filter(status__in=ACTIVE, created_at__lt=now - timedelta(hours=12)) \
            .values_list("pk", flat=True):
        import_fail(job_id, gettext("The import took too long and was stopped; the rows imported so far are kept."))
    stalled = []
    for job in ImportJob.objects.filter(status__in=ACTIVE, created_at__lt=now - timedelta(minutes=10)):
        if awaiting_mapping(job):
            continue
        key = f"lte:import-progress:{job.pk}"
        if cache.get(key) == job.processed:
            stalled.append(job.pk)
        cache.set(key, job.processed, 3600)
    live = {str(pk) for pk in ImportJob.objects.filter(status__in=ACTIVE).values_list("pk", flat=True)}
    for path in imports_dir().iterdir():
        try:
            old = now.timestamp() - path.stat().st_mtime > 3600
        except FileNotFoundError:
            continue
        orphan = path.name.endswith(SUFFIX) and path.name[: -len(SUFFIX)] not in live
        if old and (path.name.endswith(PART_SUFFIX) or orphan):
            remove_file(path)
    return stalled


def import_interrupted() -> list:
    """The imports left "running" by a worker that is gone: at the job worker's start none of its own runs them
    (one instance per data dir), so each was cut short by a stop, a deploy or a crash. Returns their ids."""
    return list(ImportJob.objects.filter(status=ImportJob.Status.RUNNING).values_list("pk", flat=True))


class ImportInterrupted(Exception):
    """An import stopped on an unexpected error; huey retries it. Carries no row contents."""


@db_task(retries=IMPORT_RETRIES, retry_delay=30, context=True)
def import_contacts(job_id: str, task=None) -> str | None:
    owner_id = ImportJob.objects.filter(pk=job_id).values_list("owner_id", flat=True).first()
    if owner_id is None:
        return None
    try:
        with acting_for(owner_id):
            job = import_run(job_id)
    except Exception as exc:
        # Only the exception's type is logged: its message could quote a row.
        logger.warning("import %s interrupted by %s", job_id, type(exc).__name__)
        if task is None or not task.retries:
            import_fail(job_id, "Something went wrong on our side and the import stopped; the rows "
                                "imported so far are kept. Please try again later.")
            return ImportJob.Status.FAILED
        raise ImportInterrupted(f"import {job_id} interrupted by {type(exc).__name__}") from None
    return job.status if job is not None else None
