"""POST /api/v1/contacts/import and GET /api/v1/imports/{id}: the contract's lines, its errors, and the upload
that is sealed as it arrives."""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lte.crm import imports
from lte.crm.imports import limits
from lte.crm.models import Contact, ImportJob
from lte.crm.tests.test_import import CANARY, HEADER, files_in_imports_dir, one
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/contacts/import"
REPORT_KEYS = {"id", "status", "processed", "total", "report"}


@pytest.fixture(autouse=True)
def _empty_imports_dir():
    for path in files_in_imports_dir():
        path.unlink()
    yield
    assert not files_in_imports_dir(), "an upload was left behind"



def upload(data: bytes | str, name: str = "contacts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data, "text/csv")


def poll(client: Client, job_id) -> dict:
    response = client.get(f"/api/v1/imports/{job_id}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == REPORT_KEYS and set(body["report"]) == {"created", "updated", "skipped", "errors"}
    return body


def test_it_answers_202_and_the_import_can_be_polled_until_done(alice, django_capture_on_commit_callbacks):
    client = bearer_client(alice)
    data = HEADER + "Ana,Silva,ana@example.com,+34612345678,,,,,vip\nBad,,not-an-email,,,,,,\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": upload(data)})
        assert response.status_code == 202
        created = response.json()
        assert set(created) == {"id", "status"} and created["status"] == "queued"
        assert poll(client, created["id"])["status"] == "queued"  # the job runs after the request

    body = poll(client, created["id"])
    assert body == {"id": created["id"], "status": "done", "processed": 2, "total": 2, "report": {
        "created": 2, "updated": 0, "skipped": 0,  # a value that fails never costs the contact
        "errors": [{"row": 3, "error": "Bad: email “not-an-email” could not be read; it is kept in a note on the "
                                       "contact."}]}}
    assert one(alice, first_name="Ana")["phones"] == ["+34612345678"]


def csrf_token(client: Client) -> str:
    page = client.get("/app/import/").content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the import page has a CSRF token"
    return found.group(1)


def test_the_browser_session_works_and_its_csrf_check_still_applies(alice, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    refused = client.post(IMPORT, {"file": upload(HEADER + "Ana,,,,,,,,\n")})
    assert refused.status_code == 403 and "detail" in refused.json()
    assert not ImportJob.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": upload(HEADER + "Ana,,,,,,,,\n")},
                               HTTP_X_CSRFTOKEN=csrf_token(client))
    assert response.status_code == 202
    assert poll(client, response.json()["id"])["report"]["created"] == 1


def test_someone_elses_import_is_a_404_exactly_like_a_missing_one(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job_id = bearer_client(alice).post(IMPORT, {"file": upload(HEADER + f"{CANARY},,,,,,,,\n")}).json()["id"]
    as_bob = bearer_client(bob)
    theirs = as_bob.get(f"/api/v1/imports/{job_id}")
    missing = as_bob.get(f"/api/v1/imports/{uuid.uuid4()}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json() == {"detail": "Not found."}
    assert Client().get(f"/api/v1/imports/{job_id}").status_code == 401


def test_it_needs_a_signed_in_caller(alice):
    response = Client().post(IMPORT, {"file": upload(HEADER + f"{CANARY},,,,,,,,\n")})
    assert response.status_code == 401 and response.json() == {"detail": "Authentication required."}
    assert not ImportJob.objects.exists()


def test_the_upload_is_sealed_as_it_arrives_and_never_written_in_plaintext(alice, monkeypatch,
                                                                           django_capture_on_commit_callbacks):
    padding = "x" * 1000
    data = HEADER.rstrip() + ",padding\n" + "".join(f"{CANARY},Row{i},,,,,,,,{padding}\n" for i in range(3000))
    assert len(data) > 2.5 * 1024 * 1024  # past Django's in-memory limit: it would use a temporary file
    seen = []
    real_start = imports.import_start

    def spy(**kwargs):
        seen.append(type(kwargs["upload"]))
        return real_start(**kwargs)

    monkeypatch.setattr(imports, "import_start", spy)
    started = time.time()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = bearer_client(alice).post(IMPORT, {"file": upload(data)})
    assert response.status_code == 202
    assert seen == [imports.EncryptedUpload]

    # While the job waits, the only copy of the upload is the sealed file.
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert files_in_imports_dir() == [imports.job_file(job.pk)]
    for path in files_in_imports_dir():
        assert CANARY.encode() not in path.read_bytes()
    for path in Path(tempfile.gettempdir()).iterdir():
        try:
            if path.is_file() and path.stat().st_mtime >= started - 1 and path.stat().st_size < 200_000_000:
                assert CANARY.encode() not in path.read_bytes(), path
        except (PermissionError, FileNotFoundError):
            continue

    for callback in callbacks:
        callback()
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == "done" and job.created == 3000
    assert not files_in_imports_dir()  # deleted when the job ended


def test_an_oversize_file_is_refused_with_413_and_nothing_is_kept(alice, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 10_000)
    big = HEADER + "Ana,Silva,,,,,,,\n" * 1000
    strict = Client(enforce_csrf_checks=True)  # the body is then read by the CSRF check, inside authentication
    strict.force_login(alice)
    callers = [(bearer_client(alice), {}), (session(alice), {}), (strict, {"HTTP_X_CSRFTOKEN": csrf_token(strict)})]
    for client, extra in callers:
        response = client.post(IMPORT, {"file": upload(big)}, **extra)
        assert response.status_code == 413
        assert "larger than" in response.json()["detail"]
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 50 * 1024 * 1024)
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    response = bearer_client(alice).post(IMPORT, {"file": upload(HEADER + "Ana,Silva,,,,,,,\n" * 6)})
    assert response.status_code == 413 and "more than 5 rows" in response.json()["detail"]
    assert not ImportJob.objects.exists()


def session(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_mapping_goes_with_the_file(alice, django_capture_on_commit_callbacks):
    client = bearer_client(alice)
    data = "Given;Family;Mobile\nJürgen;Müller;+4915123456789\n"
    mapping = '{"first_name": "Given", "last_name": 1, "phones": ["Mobile"]}'
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": upload(data), "mapping": mapping})
    assert response.status_code == 202
    assert poll(client, response.json()["id"])["report"]["created"] == 1
    assert one(alice, first_name="Jürgen")["phones"] == ["+4915123456789"]


@pytest.mark.parametrize(("data", "mapping", "status", "detail"), [
    ("foo,bar\n1,2\n", None, 400, "could not tell which column"),
    ("Name,Mail\nAna,ana@example.com\n", "{not json", 400, "not JSON"),
    ("Name,Mail\nAna,ana@example.com\n", '{"emails": "Nope"}', 400, "no column “Nope”"),
    ("Name,Mail\nAna,ana@example.com\n", '["first_name"]', 400, "is a JSON object"),
    (bytes(range(256)) * 40, None, 400, "not text"),
    (b"PK\x03\x04" + b"\x00" * 100, None, 400, "damaged"),
    (b"", None, 400, "empty"),
])
def test_input_it_cannot_use_is_a_4xx_with_a_detail(alice, data, mapping, status, detail):
    fields = {"file": upload(data)}
    if mapping is not None:
        fields["mapping"] = mapping
    response = bearer_client(alice).post(IMPORT, fields)
    assert response.status_code == status
    assert detail in str(response.json()["detail"])
    assert not ImportJob.objects.exists()


def test_without_a_file_it_is_a_422(alice):
    response = bearer_client(alice).post(IMPORT, {"mapping": "{}"})
    assert response.status_code == 422 and "detail" in response.json()
    response = bearer_client(alice).post(IMPORT, {"first_name": "Ana"}, content_type="application/json")
    assert response.status_code in (400, 422)


def test_too_many_imports_at_once_is_a_429(alice):
    client = bearer_client(alice)
    for _ in range(limits.MAX_ACTIVE_JOBS):  # queued, never run: the callbacks are not executed
        assert client.post(IMPORT, {"file": upload(HEADER + "Ana,,,,,,,,\n")}).status_code == 202
    response = client.post(IMPORT, {"file": upload(HEADER + "Ana,,,,,,,,\n")})
    assert response.status_code == 429 and "wait for one to finish" in response.json()["detail"]
    for job in ImportJob.objects.all():
        imports.import_fail(job.pk, "test over")


def test_the_contract_lines_are_in_the_openapi_description(alice):
    spec = Client().get("/api/v1/openapi.json").json()
    post = spec["paths"]["/api/v1/contacts/import"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"202", "413"} <= set(post["responses"])
    assert "get" in spec["paths"]["/api/v1/imports/{import_id}"]


def test_the_imported_contacts_are_the_callers_own(alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        bearer_client(bob).post(IMPORT, {"file": upload(HEADER + "Bobs,Friend,friend@example.com,,,,,,\n")})
    assert not Contact.objects.owned_by(alice).exists()
    with acting_for(bob.pk):
        assert Contact.objects.owned_by(bob).get().emails == ["friend@example.com"]


def test_our_export_zip_is_accepted_by_the_api_and_comes_back(alice, bob, django_capture_on_commit_callbacks):
    from lte.crm.models import Note
    from lte.crm.services.contacts import contact_create
    from lte.crm.services.notes import note_create

    with acting_for(alice.pk):
        ana = contact_create(owner=alice, first_name="Ana", last_name="Silva", company="Acme",
                             phones=["+34612345678"], birthday="--07-19")
        note_create(owner=alice, contact=ana, body="Likes tea, and cake")
    exported = bearer_client(alice).get("/api/v1/me/export")
    assert exported.status_code == 200
    data = b"".join(exported.streaming_content) if exported.streaming else exported.content
    client = bearer_client(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(IMPORT, {"file": SimpleUploadedFile("export.zip", data, "application/zip")})
    assert response.status_code == 202, response.content
    body = poll(client, response.json()["id"])
    assert body["status"] == "done" and body["report"]["errors"] == [], body
    listed = client.get("/api/v1/contacts", {"q": "ana"}).json()["items"]
    assert [(c["company"], c["birthday"], c["phones"]) for c in listed] == [("Acme", "--07-19", ["+34612345678"])]
    with acting_for(bob.pk):
        assert [n.body for n in Note.objects.owned_by(bob)] == ["Likes tea, and cake"]


def test_a_zip_that_is_not_ours_is_a_400(alice):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("photos/1.jpg", b"\xff\xd8\xff")
    response = bearer_client(alice).post(IMPORT, {"file": upload(buffer.getvalue(), "photos.zip")})
    assert response.status_code == 400 and "not a LeadTrackEngine export" in str(response.json()["detail"])
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("signed_in", ["bearer", "session"])
def test_it_answers_a_multipart_body_without_a_boundary_with_400_json(alice, signed_in):
    """Django's multipart parser refuses it (MultiPartParserError): bad input, not a server error — also when
    the session's CSRF check is the first to read the body."""
    client = bearer_client(alice) if signed_in == "bearer" else Client(enforce_csrf_checks=True)
    if signed_in == "session":
        client.force_login(alice)
        assert client.get("/app/").status_code == 200  # a page puts the CSRF secret in the session
    response = client.generic("POST", IMPORT, b"--x\r\n\r\nhello\r\n--x--\r\n",
                                            content_type="multipart/form-data")
    assert response.status_code == 400
    assert "boundary" in response.json()["detail"].lower()


@pytest.mark.parametrize("mapping", [
    "[" * 5000 + "]" * 5000,                                      # too deep for the JSON parser
    '{"first_name": ' + "[" * 500 + '"Given"' + "]" * 500 + "}",  # parses, but not a column list
    '{"emails": {"a": {"b": {"c": "Mail"}}}}',
    '{"header": "no"}',
])
def test_it_answers_a_deep_or_misshapen_mapping_with_400_before_queueing(alice, mapping):
    response = bearer_client(alice).post(IMPORT, {"file": upload(HEADER + "Ana,Silva,,,,,,,\n"),
                                                  "mapping": mapping})
    assert response.status_code == 400
    assert "mapping" in response.json()["detail"]
    assert not ImportJob.objects.exists()
