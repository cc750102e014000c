"""The list's count without counting: the database keeps each account's number of contacts (crm.ContactCount,
triggers of migration 0013), and it stays equal to the rows there whichever way they come and go — a form, an
import's bulk insert, a merge, a queryset's delete, the account's deletion — on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection

from lte.crm.models import Contact, ContactCount, ContactToken
from lte.crm.queries import contact_count, page
from lte.crm.services.contacts import contact_create, contact_create_many, contact_delete
from lte.crm.services.duplicates import contact_merge
from lte.crm.text import search_key, sort_key
from lte.privacy.deletion import account_delete
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db


def counted(owner) -> tuple[int, int, int | None]:
    """(the kept count, the rows there, the list's count)"""
    with acting_for(owner.pk):
        return contact_count(owner), Contact.objects.filter(owner=owner).count(), page(owner, limit=1).count


def test_the_kept_count_follows_every_way_contacts_come_and_go(alice, bob):
    assert counted(alice) == (0, 0, 0)  # no row yet: nothing held
    with acting_for(alice.pk):
        ana = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"])
        ann = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"])
        contact_create(owner=alice, first_name="Bea")
    with acting_for(bob.pk):
        contact_create(owner=bob, first_name="Carl")
    assert counted(alice) == (3, 3, 3) and counted(bob) == (1, 1, 1)

    rows = [Contact(owner=alice, first_name=f"Imported {i}", search_name=search_key(f"Imported {i}", ""),
                    sort_name=sort_key(f"Imported {i}", "")) for i in range(250)]
    with acting_for(alice.pk):
        contact_create_many(owner=alice, contacts=rows, tags=[[] for _ in rows], notes=[[] for _ in rows])
    assert counted(alice) == (253, 253, 253)

    with acting_for(alice.pk):
        contact_merge(owner=alice, keep_id=ana.pk, merge_id=ann.pk)
        contact_delete(owner=alice, contact_id=ana.pk)
    assert counted(alice) == (251, 251, 251)

    Contact.objects.filter(owner=alice, first_name__startswith="Imported 1").delete()  # a set-based delete
    assert counted(alice)[0] == counted(alice)[1] == 251 - 111  # "Imported 1", 10–19, 100–199
    assert counted(bob) == (1, 1, 1)  # another seller's count never moves with hers


def test_filtered_lists_still_count_their_matches(alice):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Ana", tags=["vip"])
        contact_create(owner=alice, first_name="Bea")
        assert page(alice, tag="vip").count == 1
        assert page(alice, q="bea").count == 1
        assert page(alice, q="   ").count == 2  # blank is the whole list


def test_the_count_goes_with_the_account(alice, bob):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Ana")
    with acting_for(bob.pk):
        contact_create(owner=bob, first_name="Carl")
    account_delete(user=alice)
    assert not ContactCount.objects.filter(owner_id=alice.pk).exists()
    assert counted(bob) == (1, 1, 1)


def test_the_database_counts_on_both_engines(alice):
    """The triggers are the database's own: a raw DELETE, past every line of ours, is counted too."""
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Ana")
    key = Contact._meta.pk.get_db_prep_value(contact.pk, connection)
    with connection.cursor() as cursor:  # a bare contact's rows: its name's tokens, then itself (constant names)
        cursor.execute(f"DELETE FROM {ContactToken._meta.db_table} WHERE contact_id = %s", [key])
        cursor.execute(f"DELETE FROM {Contact._meta.db_table} WHERE id = %s", [key])
    assert counted(alice) == (0, 0, 0)
