"""Encryption at rest: what is stored, who can open it, and what happens to moved or tampered values."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core.exceptions import FieldError
from django.db import connections
from django.test import RequestFactory

from lte.crm.models import Contact, Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.index import email_digest
from lte.crm.services.notes import note_create
from lte.vault.context import VaultAccessDenied, acting_for, register_staff_access_hook, request_scope
from lte.vault.crypto import DecryptionFailed
from lte.vault.fields import encrypted_fields, raw_opener
from lte.vault.keys import KeysDestroyed, destroy_account_keys, key_cache, keyring_for
from lte.vault.models import AccountKey, Tombstone

pytestmark = pytest.mark.django_db
CANARY_EMAIL = "canary.7f3a9@example.org"
CANARY_PHONE = "+34 612 345 678"
CANARY_NOTE = "CANARY-NOTE-d41d8cd98f00 she is pregnant, tell nobody"


def as_user(user):
    request = RequestFactory().get("/")
    request.user = user
    return request_scope(request)


@pytest.fixture
def canary(alice):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Carla", last_name="Canary", emails=[CANARY_EMAIL],
                                 phones=[CANARY_PHONE], address="1 Secret Street", source="event")
        note = note_create(owner=alice, contact=contact, body=CANARY_NOTE)
    key_cache.evict()
    return contact, note


def raw_column(table: str, column: str, pk) -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex if connections["default"].vendor == "sqlite" else pk])  # noqa: E501
        return cursor.fetchone()[0]


def test_sensitive_values_are_stored_only_as_ciphertext(canary):
    contact, note = canary
    stored = [raw_column("crm_contact", c, contact.pk) for c in ("reach", "address")]
    stored.append(raw_column("crm_note", "body", note.pk))
    for value in stored:
        assert value.startswith("v1:")
        # Whole values only: random base64 and key ids contain short digit runs by chance.
        assert "canary.7f3a9" not in value.lower() and "Secret Street" not in value and "612345678" not in value
    assert raw_column("crm_contact", "first_name", contact.pk) == "Carla"  # names stay searchable


@pytest.mark.slow
def test_the_canary_is_in_no_file_of_a_real_instance_nor_its_wal(tmp_path):
    """A real data dir: the database file, its WAL, the key store and the outbox never hold the canary."""
    script = f"""
import django, os, pathlib
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0); call_command("migrate", database="keystore", verbosity=0)
from lte.accounts.models import User
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.vault.context import acting_for
user = User.objects.create_user("seller@example.com", "pw-unused-1234", name="Seller")
with acting_for(user.pk):
    c = contact_create(owner=user, first_name="Carla", emails=[{CANARY_EMAIL!r}], phones=[{CANARY_PHONE!r}],
                       address="1 Secret Street")
    note_create(owner=user, contact=c, body={CANARY_NOTE!r})
found = []
for path in pathlib.Path(os.environ["LTE_DATA_DIR"]).rglob("*"):
    if path.is_file():
        data = path.read_bytes()
        found += [f"{{path.name}}:{{n}}" for n in ("canary.7f3a9", "612345678", "CANARY-NOTE", "Secret Street")
                  if n.encode() in data]
print("WAL" if any(p.name.endswith("-wal") for p in pathlib.Path(os.environ["LTE_DATA_DIR"]).iterdir()) else "")
print("FOUND", found)
"""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEYSTORE_URL", "REDIS_URL"}}
    env |= {"LTE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "lte.settings"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parents[3])
    assert result.returncode == 0, result.stderr
    assert "WAL" in result.stdout  # the write-ahead log existed and was searched too
    assert "FOUND []" in result.stdout, result.stdout


def test_the_owner_reads_their_own_values(alice, canary):
    contact, note = canary
    with as_user(alice):
        contact = Contact.objects.owned_by(alice).get(pk=contact.pk)
        assert contact.emails == [CANARY_EMAIL]
        assert contact.phones == ["+34612345678"]
        assert Note.objects.get(pk=note.pk).body == CANARY_NOTE


def test_nobody_else_reads_them_even_when_a_query_forgets_the_owner(alice, bob, canary):
    contact, note = canary
    leaked = Contact.objects.get(pk=contact.pk)  # a buggy view that forgot owned_by()
    with as_user(bob), pytest.raises(VaultAccessDenied):
        _ = leaked.emails
    with pytest.raises(VaultAccessDenied):  # no request, no job: nobody
        _ = Note.objects.get(pk=note.pk).body
    with acting_for(bob.pk), pytest.raises(VaultAccessDenied):
        _ = Note.objects.get(pk=note.pk).body


@pytest.fixture
def restore_hook():
    from lte.vault import context

    saved = list(context._staff_access_hook)
    yield
    context._staff_access_hook[:] = saved


def test_staff_read_only_through_the_logged_grant_hook(alice, staff, canary, restore_hook):
    _contact, note = canary
    calls = []
    register_staff_access_hook(lambda user, owner_id, what: calls.append((user.pk, owner_id, what)) or False)
    with as_user(staff), pytest.raises(VaultAccessDenied):
        _ = Note.objects.get(pk=note.pk).body
    register_staff_access_hook(lambda user, owner_id, what: calls.append((user.pk, owner_id, what)) or True)
    with as_user(staff):
        assert Note.objects.get(pk=note.pk).body == CANARY_NOTE
    assert calls[-1] == (staff.pk, alice.pk, "crm.note.body")


def test_a_value_copied_to_another_row_does_not_open(alice, bob, canary):
    contact, note = canary
    with acting_for(alice.pk):
        other = note_create(owner=alice, contact=contact, body="harmless")
    Note.objects.filter(pk=other.pk).update(body=raw_column("crm_note", "body", note.pk))
    with acting_for(alice.pk), pytest.raises(DecryptionFailed):
        _ = Note.objects.get(pk=other.pk).body
    with acting_for(bob.pk):
        bobs_contact = contact_create(owner=bob, first_name="B")
        bobs_note = note_create(owner=bob, contact=bobs_contact, body="mine")
    Note.objects.filter(pk=bobs_note.pk).update(body=raw_column("crm_note", "body", note.pk))
    with acting_for(bob.pk), pytest.raises(DecryptionFailed):
        _ = Note.objects.get(pk=bobs_note.pk).body


def test_a_tampered_value_does_not_open(alice, canary):
    _contact, note = canary
    token = raw_column("crm_note", "body", note.pk)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    Note.objects.filter(pk=note.pk).update(body=flipped)
    with acting_for(alice.pk), pytest.raises(DecryptionFailed):
        _ = Note.objects.get(pk=note.pk).body
    Note.objects.filter(pk=note.pk).update(body="v1:nokey:AAAA")
    with acting_for(alice.pk), pytest.raises(DecryptionFailed):
        _ = Note.objects.get(pk=note.pk).body


def test_encrypted_fields_refuse_queries_that_could_never_match(canary):
    with pytest.raises(FieldError):
        list(Note.objects.filter(body=CANARY_NOTE))
    assert Contact.objects.filter(address__isnull=False).count() == 1


def test_blind_indexes_find_exact_emails_per_account(alice, bob, canary):
    assert email_digest(alice.pk, CANARY_EMAIL) == email_digest(alice.pk, CANARY_EMAIL.upper())
    assert email_digest(alice.pk, CANARY_EMAIL) != email_digest(bob.pk, CANARY_EMAIL)
    contact, _ = canary
    assert contact.lookups.filter(digest=email_digest(alice.pk, CANARY_EMAIL)).exists()


def test_destroying_the_keys_makes_the_data_unreadable_for_good(alice, canary):
    _contact, note = canary
    destroy_account_keys(alice.pk)
    assert not AccountKey.objects.filter(owner_id=alice.pk).exists()
    assert Tombstone.objects.filter(owner_id=alice.pk).exists()
    with acting_for(alice.pk), pytest.raises(KeysDestroyed):
        _ = Note.objects.get(pk=note.pk).body
    with pytest.raises(KeysDestroyed):
        keyring_for(alice.pk, create=True)  # a deleted account never gets new keys


def test_keys_are_stored_only_wrapped_and_apart_from_the_data(alice, canary):
    keyring = keyring_for(alice.pk)
    row = AccountKey.objects.get(owner_id=alice.pk)
    assert keyring.data_key(row.key_id) not in bytes(row.wrapped)
    assert AccountKey.objects.db == "keystore"
    tables = connections["default"].introspection.table_names()
    assert "vault_accountkey" not in tables


def test_two_factor_secrets_are_encrypted(alice):
    from allauth.mfa.totp.internal.auth import TOTP

    authenticator = TOTP.activate(alice, "JBSWY3DPEHPK3PXPJBSWY3DP").instance
    stored = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert "JBSWY3DP" not in stored and stored.startswith("v1:")


def test_every_model_with_encrypted_fields_binds_them_to_an_owner():
    models = {model for model, _field in encrypted_fields()}
    assert {Contact, Note} <= models
    for model, field in encrypted_fields():
        assert model._meta.pk.default is uuid.uuid4, model
        assert any(f.attname == field.owner_field for f in model._meta.concrete_fields), model


def test_the_bulk_opener_opens_what_open_raw_opens_and_nothing_more(alice, bob, canary):
    """raw_opener (the export's: one read check, the keys once) holds to the same rules as each value's opening:
    the owner's context only, a value bound to its own row, and the database's own form of the key."""
    contact, note = canary
    field = Note._meta.get_field("body")
    token = raw_column("crm_note", "body", note.pk)
    with acting_for(bob.pk), pytest.raises(VaultAccessDenied):
        raw_opener(field, alice.pk)
    with acting_for(alice.pk):
        opener = raw_opener(field, alice.pk)
        assert opener(note.pk, token) == CANARY_NOTE == opener(note.pk.hex, token)
        assert opener(note.pk, None) is None
        with pytest.raises(DecryptionFailed):
            opener(contact.pk, token)  # another row's key: its associated data differs
        with pytest.raises(DecryptionFailed):
            opener(note.pk, "v1:nokey:AAAA")
    with acting_for(bob.pk):
        contact_create(owner=bob, first_name="B", emails=["b@example.com"])  # bob has keys of his own
        with pytest.raises(DecryptionFailed):
            raw_opener(field, bob.pk)(note.pk, token)  # they don't open alice's value
