"""Contact import: CSV (our own export, Google Contacts, Outlook, Thunderbird, any CSV with a column mapping),
vCard 2.1/3.0/4.0 and the ZIP of our own export.

One job per module, in the order a file goes through them:
- upload: the upload is sealed as it arrives (never on disk in plaintext) under a random per-file key, kept only
  in ImportJob.file_key, itself sealed under the owner's key; both go when the job ends.
- sniff: format, text encoding, CSV layout and column plan, row count; an unreadable or oversized file is
  refused at once with a 4xx.
- readers: CSV records and vCards as raw contact fields.
- rows: each raw row validated by the CRM services' own rules.
- writer: a batch of rows written in one transaction with the job's progress.
- jobs: import_start() queues the import_contacts job, which calls import_run() acting for the owner; a
  retried or resumed job carries on where the last committed batch stopped and never creates a contact twice.

Privacy: row contents are never logged, and the report stored with the job is sealed under the owner's key.
"""

from lte.crm.imports.jobs import (
    awaiting_mapping,
    import_cancel,
    import_columns,
    import_fail,
    import_housekeeping,
    import_map,
    import_run,
    import_start,
)
from lte.crm.imports.limits import (
    ACTIVE,
    FIELD_LABELS,
    FIELDS,
    FILE_FIELD,
    FINISHED,
    MAX_MAPPING_CHARS,
    ImportBusy,
    ImportFileError,
    ImportTooLarge,
)
from lte.crm.imports.rows import describe, parse_birthday
from lte.crm.imports.sniff import guess_mapping, parse_mapping
from lte.crm.imports.upload import MAGIC, EncryptedUpload, EncryptingUploadHandler, imports_dir, job_file

__all__ = [
    "ACTIVE", "FIELDS", "FIELD_LABELS", "FILE_FIELD", "FINISHED", "MAGIC", "MAX_MAPPING_CHARS", "EncryptedUpload",
    "EncryptingUploadHandler", "ImportBusy", "ImportFileError", "ImportTooLarge", "awaiting_mapping", "describe",
    "guess_mapping", "import_cancel", "import_columns", "import_fail", "import_housekeeping", "import_map",
    "import_run", "import_start", "imports_dir", "job_file", "parse_birthday",
    "parse_mapping",
]
