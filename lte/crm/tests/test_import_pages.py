"""The import pages at /app/import/: upload → (column mapping) → progress polled with htmx → the report."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lte.crm import imports
from lte.crm.imports import limits
from lte.crm.models import Contact, ImportJob
from lte.crm.tests.test_import import HEADER, files_in_imports_dir, notes_of, one, reread
from lte.crm.tests.test_pages import assert_csp_clean

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
POLLING = 'hx-trigger="every 1s"'


@pytest.fixture(autouse=True)
def _empty_imports_dir():
    for path in files_in_imports_dir():
        path.unlink()
    yield


def upload(client: Client, data: bytes | str, name: str = "contacts.csv", **extra):
    data = data.encode() if isinstance(data, str) else data
    return client.post("/app/import/upload", {"file": SimpleUploadedFile(name, data)}, **extra)


def job_url(job: ImportJob, suffix: str = "") -> str:
    return f"/app/import/{job.pk}/{suffix}"


def test_the_whole_flow_for_a_csv_we_recognise(alice_client, alice, django_capture_on_commit_callbacks):
    page = alice_client.get("/app/import/")
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.content.decode()
    assert_csp_clean(page.content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(alice_client, HEADER + "Ana,Silva,ana@example.com,,,,,,vip\nBad,,nope,,,,,,\n")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job_url(job)

    report = alice_client.get(job_url(job)).content.decode()
    assert_csp_clean(report)
    assert "Import finished" in report and POLLING not in report
    assert "2 new contacts" in report and "0 rows skipped" in report
    assert "Bad: email “nope” could not be read" in report  # the report names whom the problem is about
    assert "“nope” could not be read" in report and "<td data-label=\"Row\">3</td>" in report
    assert one(alice, first_name="Ana")["tags"] == ["vip"]
    assert "Import another file" in report
    assert alice_client.get("/app/import/").content.decode().count(job_url(job)) == 1  # listed as recent


def test_an_unfamiliar_csv_goes_through_the_mapping_step(alice_client, alice, django_capture_on_commit_callbacks):
    data = "Nombre;Correo;Móvil;Comentario\nLucía;lucia@example.com;+34612345678;Vino a la feria\n"
    response = upload(alice_client, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url == job_url(job, "map")
    assert job.status == "queued" and imports.awaiting_mapping(job)

    form = alice_client.get(job_url(job, "map"))
    html = form.content.decode()
    assert form.status_code == 200
    assert_csp_clean(html)
    assert "1. Nombre — e.g. Lucía" in html  # the seller sees her own first row, to choose by
    assert re.search(r'<option value="0" selected>1\. Nombre', html)  # our guess is filled in
    assert re.search(r'<option value="1" selected>2\. Correo', html)
    assert alice_client.get(job_url(job)).url == job_url(job, "map")  # no progress page before the mapping

    with django_capture_on_commit_callbacks(execute=True):
        done = alice_client.post(job_url(job, "map"), {"first_name": "0", "emails": ["1"], "phones": ["2"],
                                                       "notes": ["3"], "header": "on"})
    assert done.status_code == 302 and done.url == job_url(job)
    assert reread(job).status == "done"
    assert one(alice, first_name="Lucía")["phones"] == ["+34612345678"]
    assert notes_of(alice) == ["Vino a la feria"]
    assert alice_client.get(job_url(job, "map")).url == job_url(job)  # mapped once, for good


def test_a_mapping_without_a_name_email_or_phone_is_sent_back(alice_client, alice):
    upload(alice_client, "Nombre;Correo\nLucía;lucia@example.com\n")
    job = ImportJob.objects.get()
    response = alice_client.post(job_url(job, "map"), {"notes": ["0"], "header": "on"})
    assert response.status_code == 400
    assert "Choose at least one column" in response.content.decode()
    assert imports.awaiting_mapping(reread(job))


def test_the_progress_view_polls_with_htmx_until_the_job_ends(alice_client, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        upload(alice_client, VCARD)
    job = ImportJob.objects.get()

    page = alice_client.get(job_url(job)).content.decode()
    assert_csp_clean(page)
    assert POLLING in page and f'hx-get="{job_url(job)}"' in page and 'hx-swap="outerHTML"' in page
    assert "<progress" in page and "Waiting to start" in page
    partial = alice_client.get(job_url(job), **HTMX).content.decode()
    assert partial.lstrip().startswith("<section") and "<html" not in partial and POLLING in partial

    for callback in callbacks:
        callback()
    partial = alice_client.get(job_url(job), **HTMX).content.decode()
    assert_csp_clean(partial)
    assert POLLING not in partial and "Import finished" in partial  # the swap that stops the polling
    assert "3 new contacts" in partial and "0 rows skipped" in partial
    assert '<th scope="col">Card</th>' in partial and "Broken: email “broken@” could not be read" in partial


VCARD = ("BEGIN:VCARD\nVERSION:3.0\nFN:Ana Silva\nTEL:+34612345678\nEND:VCARD\n"
         "BEGIN:VCARD\nVERSION:4.0\nFN:Luis Pérez\nEMAIL:luis@example.com\nEND:VCARD\n"
         "BEGIN:VCARD\nVERSION:4.0\nFN:Broken\nEMAIL:broken@\nEND:VCARD\n")


def test_cancelling_a_waiting_import_deletes_its_file(alice_client, alice):
    upload(alice_client, "Nombre;Correo\nLucía;lucia@example.com\n")
    job = ImportJob.objects.get()
    assert files_in_imports_dir() == [imports.job_file(job.pk)]
    response = alice_client.post(job_url(job, "cancel"))
    assert response.status_code == 302
    assert reread(job).status == "failed" and not files_in_imports_dir()
    assert "Stopped by you" in alice_client.get(job_url(job)).content.decode()


@pytest.mark.parametrize(("data", "status", "message"), [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10, 400, "This is an image"),
    (b"", 400, "The file is empty."),
])
def test_a_file_it_cannot_read_is_sent_back_with_the_reason(alice_client, data, status, message):
    response = upload(alice_client, data)
    assert response.status_code == status
    assert message in response.content.decode()
    assert not ImportJob.objects.exists() and not files_in_imports_dir()


def test_no_file_at_all(alice_client):
    response = alice_client.post("/app/import/upload", {})
    assert response.status_code == 400 and "Choose a CSV or vCard file" in response.content.decode()


def test_an_oversize_file_is_a_413(alice_client, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_BYTES", 5_000)
    response = upload(alice_client, HEADER + "Ana,Silva,,,,,,,\n" * 1000)
    assert response.status_code == 413 and "larger than" in response.content.decode()
    assert not ImportJob.objects.exists() and not files_in_imports_dir()


def test_the_upload_checks_csrf_after_sealing_and_keeps_nothing(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = upload(client, HEADER + "Ana,,,,,,,,\n")
    assert response.status_code == 403
    assert not ImportJob.objects.exists() and not files_in_imports_dir()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get("/app/import/").content.decode())
    response = client.post("/app/import/upload", {"file": SimpleUploadedFile("c.csv", (HEADER + "Ana,,,,,,,,\n")
                                                                             .encode()),
                                                  "csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 302


def test_the_pages_are_alices_alone(alice_client, alice, bob):
    upload(alice_client, "Nombre;Correo\nLucía;lucia@example.com\n")
    job = ImportJob.objects.get()
    as_bob = Client()
    as_bob.force_login(bob)
    for url in (job_url(job), job_url(job, "map")):
        assert as_bob.get(url).status_code == 404
        assert as_bob.get(url, **HTMX).status_code == 404
    assert as_bob.post(job_url(job, "cancel")).status_code == 404
    assert as_bob.post(job_url(job, "map"), {"first_name": "0"}).status_code == 404
    assert imports.awaiting_mapping(reread(job))
    assert job_url(job) not in as_bob.get("/app/import/").content.decode()


def test_the_pages_need_a_login(alice_client):
    upload(alice_client, "Nombre;Correo\nLucía;lucia@example.com\n")
    job = ImportJob.objects.get()
    anonymous = Client()
    for url in ("/app/import/", job_url(job), job_url(job, "map")):
        response = anonymous.get(url)
        assert response.status_code == 302 and "/login" in response.url
    response = anonymous.post("/app/import/upload", {"file": SimpleUploadedFile("c.csv", b"a,b\n1,2\n")})
    assert response.status_code == 302 and ImportJob.objects.count() == 1
    assert anonymous.post(job_url(job, "cancel")).status_code == 302
    assert imports.awaiting_mapping(reread(job))


def test_changes_need_a_post(alice_client, alice):
    upload(alice_client, "Nombre;Correo\nLucía;lucia@example.com\n")
    job = ImportJob.objects.get()
    assert alice_client.get("/app/import/upload").status_code == 405
    assert alice_client.get(job_url(job, "cancel")).status_code == 405
    assert imports.awaiting_mapping(reread(job))


def test_a_mapping_that_takes_the_file_past_the_row_limit_is_refused_on_the_page(alice_client, monkeypatch):
    upload(alice_client, "Nombre;Correo\n" + "Lucía;lucia@example.com\n" * 5)
    job = ImportJob.objects.get()
    monkeypatch.setattr(limits, "MAX_ROWS", 5)  # the header row, counted as data, makes it 6
    response = alice_client.post(job_url(job, "map"), {"first_name": "0"})
    assert response.status_code == 400 and "more than 5 rows" in response.content.decode()


def test_the_rows_that_needed_attention_can_be_downloaded(alice_client, alice, bob,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        upload(alice_client, HEADER + "Ana,Silva,ana@example.com,+1-800-MYFAX,,,,,\n=Evil,,bad,,,,,,\n")
    job = ImportJob.objects.get()
    assert "/report.csv" in alice_client.get(job_url(job)).content.decode()
    response = alice_client.get(f"{job_url(job)}report.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Row,Contact,Problem"
    assert "2,Ana Silva,Ana Silva: phone “+1-800-MYFAX” could not be read" in text
    assert "3,'=Evil,'=Evil: email “bad” could not be read" in text  # a formula-looking name: neutralised
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.get(f"{job_url(job)}report.csv").status_code == 404


def test_the_import_page_takes_our_export_zip(alice_client, alice, bob, django_capture_on_commit_callbacks):
    from lte.crm.services.contacts import contact_create
    from lte.privacy.exports import zip_stream

    contact_create(owner=bob, first_name="Ana", company="Acme", emails=["ana@example.com"])
    data = b"".join(zip_stream(bob))
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(alice_client, data, name="lte-export.zip")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and job.file_format == "zip"
    report = alice_client.get(job_url(job)).content.decode()
    assert "Import finished" in report and "ZIP" in alice_client.get("/app/import/").content.decode()
    assert Contact.objects.owned_by(alice).get().company == "Acme"
