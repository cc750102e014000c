"""Migration 0012 gives the search tokens and blind-index lookups integer keys and one-character kinds: the rows
an instance holds come across as they were (copied, not re-derived: a lookup needs its owner's key to be made
again), on SQLite and on PostgreSQL, and back again."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from lte.crm.models import ContactLookup, ContactToken
from lte.crm.services.contacts import contact_create
from lte.crm.tests.migrating import BEFORE_INTEGER_KEYS as BEFORE
from lte.crm.tests.migrating import migrated_back
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db(transaction=True)  # the schema changes: SQLite can't inside a transaction

OLD_KINDS = {ContactLookup.EMAIL: "email", ContactLookup.PHONE: "phone", ContactLookup.NATIONAL: "phonen",
             ContactLookup.TAIL: "tail4"}


def rows(table: str, *columns: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table}")
        return sorted(tuple(str(v) for v in row) for row in cursor.fetchall())


def searched(user, q: str) -> set[str]:
    body = bearer_client(user).get("/api/v1/contacts", {"q": q}).json()
    return {item["id"] for item in body["items"]}


def test_the_rows_come_across_both_ways_and_search_finds_the_same(alice, bob):
    with acting_for(alice.pk):
        ana = contact_create(owner=alice, first_name="Ana María", last_name="García",
                             emails=["ana@example.com"], phones=["+1 312 555 0142"])
        contact_create(owner=alice, first_name="Luis", phones=["+44 20 7946 0199"])
    with acting_for(bob.pk):
        contact_create(owner=bob, first_name="Ana", emails=["ana@example.com"])
    tokens = rows("crm_contacttoken", "owner_id", "contact_id", "token")
    lookups = rows("crm_contactlookup", "owner_id", "contact_id", "kind", "digest")
    assert len(tokens) == 5 and len(lookups) == 8  # Ana María García: 3 words, an email, a phone's 3 lookups
    found = {q: searched(alice, q) for q in ("ana", "mar gar", "0142", "ana@example.com", "(312) 555-0142")}
    assert all(found.values()) and found["ana"] == {str(ana.pk)}

    with migrated_back("crm", BEFORE):  # the old tables: a UUID for every row, the kinds' old names
        old_lookups = rows("crm_contactlookup", "id", "owner_id", "contact_id", "kind", "digest")
        assert sorted(r[1:] for r in old_lookups) == sorted(
            (owner, contact, OLD_KINDS[kind], digest) for owner, contact, kind, digest in lookups)
        assert len({r[0] for r in old_lookups}) == len(old_lookups) and all(len(r[0]) >= 32 for r in old_lookups)
        assert sorted(r[1:] for r in rows("crm_contacttoken", "id", "owner_id", "contact_id", "token")) == tokens

    assert rows("crm_contacttoken", "owner_id", "contact_id", "token") == tokens
    assert rows("crm_contactlookup", "owner_id", "contact_id", "kind", "digest") == lookups
    assert {q: searched(alice, q) for q in found} == found
    assert searched(bob, "ana") and searched(bob, "ana") != found["ana"]

    with acting_for(alice.pk):  # the integer keys go on from the copied rows
        contact_create(owner=alice, first_name="Zoë", emails=["zoe@example.com"])
    assert ContactToken.objects.owned_by(alice).count() == 5
    assert ContactLookup.objects.owned_by(alice).count() == 8
    assert searched(alice, "zoe")


def test_an_unknown_kind_stops_the_migration_rather_than_losing_the_row(alice):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"])
    with pytest.raises(IntegrityError, match=r"(?i)null"), migrated_back("crm", BEFORE), connection.cursor() as cursor:
        cursor.execute("UPDATE crm_contactlookup SET kind = 'fax'")
    with migrated_back("crm", BEFORE):  # what the forward run left behind: the old rows, untouched
        assert rows("crm_contactlookup", "kind") == [("fax",)]
        with connection.cursor() as cursor:
            cursor.execute("UPDATE crm_contactlookup SET kind = 'email'")
    assert rows("crm_contactlookup", "kind") == [(ContactLookup.EMAIL,)]
