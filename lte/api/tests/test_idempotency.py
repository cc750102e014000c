"""`Idempotency-Key` (CONTRACT.md, "Writes"): a repeat with the same key from the same account within 24 hours
answers as the first did and writes nothing again."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.utils import timezone

from lte.crm.models import Contact, IdempotentAnswer, ImportJob
from lte.crm.tests.test_import import HEADER, files_in_imports_dir
from lte.privacy.retention import purge_idempotent_answers
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts"


def create(client, key: str | None, **fields):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(CONTACTS, fields or {"first_name": "Ana"}, content_type="application/json", headers=headers)


def test_it_answers_a_repeat_as_the_first_did_and_writes_once(api, alice):
    first = create(api, "order-1", first_name="Ana", emails=["ana@example.com"])
    again = create(api, "order-1", first_name="Ana", emails=["ana@example.com"])
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Contact.objects.owned_by(alice).count() == 1


def test_it_keeps_the_first_answer_after_the_contact_changed(api, alice):
    first = create(api, "order-1", first_name="Ana")
    api.patch(f"{CONTACTS}/{first.json()['id']}", {"first_name": "Anabel"}, content_type="application/json")
    assert create(api, "order-1", first_name="Ana").json()["first_name"] == "Ana"


def test_it_answers_the_same_key_with_another_body_as_the_first_and_writes_nothing(api, alice):
    first = create(api, "order-1", first_name="Ana")
    other = create(api, "order-1", first_name="Bea")
    assert (other.status_code, other.json()) == (201, first.json())
    assert [c.first_name for c in Contact.objects.owned_by(alice)] == ["Ana"]


def test_another_accounts_same_key_is_its_own(api, bob_api, alice, bob):
    mine = create(api, "order-1", first_name="Ana")
    theirs = create(bob_api, "order-1", first_name="Bea")
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert Contact.objects.owned_by(alice).count() == Contact.objects.owned_by(bob).count() == 1


def test_without_a_key_every_post_writes(api, alice):
    create(api, None)
    create(api, None)
    assert Contact.objects.owned_by(alice).count() == 2


@pytest.mark.parametrize("key", ["k" * 65, "", "naïve-key", "tab\tkey"])
def test_it_refuses_a_key_over_64_characters_or_not_printable_ascii_with_400(api, alice, key):
    response = create(api, key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Contact.objects.exists()


def test_a_key_of_64_characters_is_accepted(api, alice):
    assert create(api, "k" * 64).status_code == 201
    assert create(api, "k" * 64)["Idempotent-Replayed"] == "true"


def test_after_24_hours_the_same_key_writes_again(api, alice):
    create(api, "order-1")
    IdempotentAnswer.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
    again = create(api, "order-1")
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Contact.objects.owned_by(alice).count() == 2


def test_an_error_answer_is_not_kept_so_the_corrected_request_writes(api, alice):
    refused = create(api, "order-1", first_name="Ana", stage="no-such-stage")
    assert refused.status_code == 400
    assert create(api, "order-1", first_name="Ana").status_code == 201
    assert Contact.objects.owned_by(alice).count() == 1


def test_the_kept_answer_is_sealed_and_purged_after_24_hours(api, alice):
    create(api, "order-1", first_name="Ana", emails=["ana.canary@example.com"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM crm_idempotentanswer")
        (raw,) = cursor.fetchone()
    assert "canary" not in raw
    assert purge_idempotent_answers.call_local() == 0
    IdempotentAnswer.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert purge_idempotent_answers.call_local() == 1


def test_an_import_repeated_with_its_key_is_one_job(api, alice):
    def upload():
        return {"file": SimpleUploadedFile("c.csv", (HEADER + "Ana,Silva,,,,,,,\n").encode(), "text/csv")}
    first = api.post("/api/v1/contacts/import", upload(), headers={"Idempotency-Key": "import-1"})
    again = api.post("/api/v1/contacts/import", upload(), headers={"Idempotency-Key": "import-1"})
    assert first.status_code == again.status_code == 202 and again.json() == first.json()
    assert ImportJob.objects.owned_by(alice).count() == 1
    with acting_for(alice.pk):
        ImportJob.objects.get().delete()
    for path in files_in_imports_dir():  # the job's sealed upload (the repeat's was never kept)
        path.unlink()


def test_a_failed_read_after_the_create_undoes_the_write_so_a_retry_is_safe(api, alice):
    """The answer is read inside the write's transaction: when it fails (here the database refuses the read of
    the new contact's tags), the contact is not committed without an answer."""
    def fail_the_reread(execute, sql, params, many, context):
        if "_prefetch_related_val_contact_id" in sql:  # the answer's read of the new contact's tags
            raise OperationalError("the connection was lost")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(fail_the_reread):
        response = create(api, None, first_name="Ana", tags=["vip"])
    assert response.status_code == 500
    assert not Contact.objects.owned_by(alice).exists()
    assert create(api, None, first_name="Ana", tags=["vip"]).status_code == 201
    assert Contact.objects.owned_by(alice).count() == 1
