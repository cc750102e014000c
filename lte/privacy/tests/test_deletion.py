"""The one deletion algorithm: every row the registry knows for an account goes, nobody else's, and the same
function serves a deletion, the crash-completion job and a restore's replay of the tombstones."""

from __future__ import annotations

import uuid

import pytest

from lte.accounts.models import User
from lte.backups import engine
from lte.crm.models import Contact
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.privacy import registry
from lte.privacy.deletion import accounts_rows_delete
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db


def seed(user: User, name: str) -> None:
    with acting_for(user.pk):
        contact = contact_create(owner=user, first_name=name, emails=[f"{name.lower()}@example.com"],
                                 phones=["+14155550100"], tags=["vip", "lead"])
        note_create(owner=user, contact=contact, body="Met at the fair.")


def counts(user: User) -> dict[str, int]:
    """The account's rows in every table of the data database (its keys are the vault's: shredded apart)."""
    kinds = registry.KINDS - {registry.KEYS}
    return {model._meta.label: registry.queryset(model, entry, user.pk).count()
            for model, entry in registry.entries(kinds) if entry.user_field}


def test_it_deletes_every_registered_row_of_the_account_and_none_of_bobs(alice, bob):
    seed(alice, "Gone")
    seed(bob, "Stays")
    bobs = counts(bob)
    assert counts(alice)["crm.Contact_tags"] == 2  # the join table is reached through the contact

    deleted = accounts_rows_delete([alice.pk])

    assert deleted >= 5  # at least the user, the contact, its two tag links and the note
    assert not User.objects.filter(pk=alice.pk).exists()
    assert {label: n for label, n in counts(alice).items() if n} == {}
    assert counts(bob) == bobs


def test_accounts_that_are_gone_cost_nothing(bob):
    seed(bob, "Stays")
    assert accounts_rows_delete([uuid.uuid4(), str(uuid.uuid4())]) == 0
    assert Contact.objects.filter(owner=bob).count() == 1


def test_a_restore_replays_the_tombstones_with_the_same_function():
    assert engine._accounts_remover == [accounts_rows_delete]
