"""POST /contacts/import and GET /imports/{id}: contact import over HTTP, through lte.crm.imports.

The upload is sealed as it arrives (EncryptingUploadHandler), installed before anything reads the body —
the session's CSRF check included — by a pseudo-authenticator that runs first and never authenticates.
"""

from __future__ import annotations

import contextlib
from uuid import UUID

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile

from lte.accounts.auth import auth
from lte.crm import imports
from lte.crm.models import ImportJob
from lte.lib.schemas import Detail

router = Router(tags=["imports"])


def _too_large(message: str) -> HttpError:
    return HttpError(413, message)


def encrypting_uploads(request: HttpRequest) -> None:
    """Not an authenticator: puts the encrypting upload handler in place, then lets the real ones run."""
    with contextlib.suppress(AttributeError):  # the body was already read: nothing to do any more
        request.upload_handlers = [imports.EncryptingUploadHandler(request, too_large=_too_large)]
    return None


class ImportCreated(Schema):
    id: UUID
    status: str


class ImportProblem(Schema):
    row: int | None
    error: str  # names the contact the row became, when it became one


class ImportReport(Schema):
    created: int
    updated: int
    skipped: int
    errors: list[ImportProblem]


class ImportOut(Schema):
    id: UUID
    status: str
    processed: int
    total: int
    report: ImportReport

    @staticmethod
    def resolve_report(job: ImportJob) -> dict:
        return {"created": job.created, "updated": job.updated, "skipped": job.skipped, "errors": job.errors or []}


@router.post("/contacts/import", response={202: ImportCreated, 400: Detail, 413: Detail, 429: Detail},
             auth=[encrypting_uploads, *auth], summary="Import contacts from a CSV or vCard file")
def import_create(request: HttpRequest, file: File[UploadedFile],
                  mapping: str | None = Form(None, max_length=imports.MAX_MAPPING_CHARS)):
    """Multipart `file`: a CSV (our export, Google Contacts, or any CSV) or a vCard (.vcf) file, ≤ 50 MB and
    200,000 rows. For a CSV in another layout, `mapping` says which column is which, as JSON:
    `{"first_name": "Given", "last_name": "Surname", "emails": ["Mail", "Mail 2"], "phones": "Mobile"}`
    (column names or 0-based positions; fields: first_name, last_name, name, emails, phones, address,
    birthday, tags, source, notes; `"header": false` if the first row is data). Without a mapping the
    columns are guessed from the header. The import runs in the background: poll `GET /imports/{id}`."""
    try:
        job = imports.import_start(owner=request.user, upload=file, mapping=imports.parse_mapping(mapping))
    except imports.ImportTooLarge as exc:
        return Status(413, {"detail": str(exc)})
    except imports.ImportBusy as exc:
        return Status(429, {"detail": str(exc)})
    finally:
        file.close()  # deletes the sealed upload unless the job adopted it
    return Status(202, {"id": job.pk, "status": job.status})


@router.get("/imports/{uuid:import_id}", response=ImportOut, summary="An import's progress and report")
def import_detail(request: HttpRequest, import_id: UUID):
    return ImportJob.objects.owned_by(request.user).get(pk=import_id)

