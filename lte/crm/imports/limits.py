"""What an import accepts: sizes, row counts, the fields a column can map to, and the errors it raises."""

from __future__ import annotations

from lte.crm.models import (
    ImportJob,
)

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_LINE = 1024 * 1024  # characters in one physical line; longer ones are reported, not read
MAX_CARD = 4 * 1024 * 1024  # characters in one vCard once photos are dropped
MAX_PROPERTY = 256 * 1024  # characters in one of its values once folded lines are joined (a note holds 20,000)
MAX_REPORTED_ERRORS = 1000
MAX_ACTIVE_JOBS = 3  # unfinished imports per account
MAX_MAPPING_CHARS = 20_000
BATCH = 1000  # rows per transaction: ~0.3 s of the database's write lock at a time
FILE_FIELD = "file"
QUOTE_MAX = 60

FIELDS = ("first_name", "last_name", "name", "emails", "phones", "address", "birthday", "tags", "source", "notes")
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "name": "Full name (split into first and last)",
    "emails": "Email(s)", "phones": "Phone(s)", "address": "Address", "birthday": "Birthday", "tags": "Tags",
    "source": "Source", "notes": "Notes",
}
MULTI_FIELDS = {"emails", "phones", "tags", "address", "notes", "first_name", "last_name", "name"}

ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED)


class ImportTooLarge(Exception):
    """The file is over MAX_FILE_BYTES or MAX_ROWS (the API answers 413)."""


class ImportBusy(Exception):
    """Too many imports of this account are unfinished (the API answers 429)."""


class ImportFileError(Exception):
    """The stored file can't be read at all; the job fails with this message."""


class _Superseded(Exception):
    """Another run of the same job moved on (or the job was cancelled): this run stops, changing nothing."""

