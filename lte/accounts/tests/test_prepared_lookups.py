"""The lookups every request makes run as Prepared queries (lte.lib.prepared): they must answer exactly what the
ORM answers, on each database and in each thread, and refuse a query they can't prepare."""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

import pytest
from django.db import connections
from django.utils import timezone

from lte.accounts.models import ApiToken, User
from lte.accounts.services import _token_with_owner, api_token_authenticate, api_token_create
from lte.lib.prepared import Prepared
from lte.vault.keys import is_tombstoned, record_tombstone


def fields_of(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in type(instance)._meta.concrete_fields}


@pytest.mark.django_db
def test_the_token_with_its_account_is_what_the_orm_reads():
    user = User.objects.create_user(email="prep@example.test", password="x" * 12, name="Prep",
                                    daily_digest=True, digest_sent_on=date(2026, 1, 2), country="DE")
    token, secret = api_token_create(owner=user, name="phone")
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(days=1))
    expected = ApiToken.objects.select_related("owner").get(pk=token.pk)

    found = _token_with_owner(expected.token_hash)

    assert found is not None
    assert fields_of(found) == fields_of(expected)
    assert fields_of(found.owner) == fields_of(expected.owner)
    for name, value in fields_of(found.owner).items():  # the same types, not only equal values (True, not 1)
        assert type(value) is type(getattr(expected.owner, name)), name
    assert found.last_used_at.tzinfo is not None
    assert isinstance(found.owner.pk, uuid.UUID) and found.owner_id == user.pk
    assert found._state.db == expected._state.db and not found._state.adding

    assert api_token_authenticate(secret=secret).owner == user
    assert _token_with_owner("0" * 64) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert _token_with_owner(expected.token_hash) is None


@pytest.mark.django_db(databases=["default", "keystore"])
def test_a_tombstone_is_found_for_its_account_only(alice, bob):
    assert not is_tombstoned(alice.pk) and not is_tombstoned(str(alice.pk))
    record_tombstone(alice.pk)
    assert is_tombstoned(alice.pk) and is_tombstoned(str(alice.pk)) and is_tombstoned(alice.pk.hex)
    assert not is_tombstoned(bob.pk)


@pytest.mark.django_db(transaction=True)
def test_each_thread_compiles_for_its_own_connection(alice):
    token, secret = api_token_create(owner=alice, name="threads")
    # used just now, so that no thread writes its last use (SQLite's shared in-memory test database locks)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    answers: list = []

    def sign_in() -> None:
        try:
            token = api_token_authenticate(secret=secret)
            answers.append(token.owner_id if token else None)
        finally:
            connections.close_all()  # this thread's own, on each database

    threads = [threading.Thread(target=sign_in) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [alice.pk] * 3


@pytest.mark.django_db
def test_a_value_the_sql_holds_twice_or_not_at_all_is_refused(alice):
    email = User._meta.get_field("email")
    twice = Prepared(lambda value: User.objects.filter(email=value, name=value).values_list("pk"), [email])
    with pytest.raises(ValueError, match="takes each value once"):
        twice.rows("a@example.test")
    nowhere = Prepared(lambda value: User.objects.filter(pk=alice.pk).values_list("pk"), [email])
    with pytest.raises(ValueError, match="takes each value once"):
        nowhere.rows("a@example.test")


@pytest.mark.django_db
def test_instances_are_what_iterating_the_queryset_gives(alice):
    from lte.crm.models import Contact, Note
    from lte.crm.services.notes import note_create
    from lte.vault.context import acting_for

    with acting_for(alice.pk):
        contact = Contact.objects.create(owner=alice, first_name="Ana", search_name="ana", sort_name="ana")
        for i in range(3):
            note_create(owner=alice, contact=contact, body=f"Sealed note {i}")
        latest = Prepared(lambda owner_id, contact_id: Note.objects.filter(owner=owner_id, contact=contact_id)
                          .order_by("-created_at")[:2],
                          [Note._meta.get_field("owner"), Note._meta.get_field("contact")])
        expected = list(Note.objects.filter(owner=alice, contact=contact).order_by("-created_at")[:2])
        found = latest.instances(alice.pk, contact.pk)
        assert [fields_of(n) for n in found] == [fields_of(n) for n in expected]
        assert found[0].body.startswith("Sealed note") and not found[0]._state.adding
        assert latest.instances(alice.pk, uuid.uuid4()) == []

    joined = Prepared(lambda owner_id: Note.objects.filter(owner=owner_id).select_related("contact"),
                      [Note._meta.get_field("owner")])
    columns = Prepared(lambda owner_id: Note.objects.filter(owner=owner_id).values_list("pk"),
                       [Note._meta.get_field("owner")])
    for refused in (joined, columns):
        with pytest.raises(ValueError, match="plain QuerySet"):
            refused.instances(alice.pk)


@pytest.mark.django_db
def test_a_session_is_read_while_it_lives_and_never_after():
    from django.contrib.sessions.models import Session

    from lte.accounts.sessions import DatabaseSessionStore

    store = DatabaseSessionStore()
    store["kept"] = "yes"
    store.create()
    key = store.session_key
    assert DatabaseSessionStore(key).load() == {"kept": "yes"}
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    expired = DatabaseSessionStore(key)
    assert expired.load() == {} and expired.session_key is None
    assert DatabaseSessionStore("x" * 32).load() == {}


@pytest.mark.django_db
def test_the_policy_banner_lists_the_unacknowledged_versions_only(alice):
    from lte.privacy.documents import pending_for
    from lte.privacy.models import PolicyAcknowledgement, PolicyVersion

    today = timezone.now().date()
    PolicyVersion.objects.filter(published_on__gte=today - timedelta(days=2)).delete()  # only these below count
    made = [PolicyVersion.objects.create(kind=kind, published_on=today - timedelta(days=ago),
                                         effective_on=today + timedelta(days=days), meaningful=meaningful,
                                         summary="s", body="b")
            for kind, ago, days, meaningful in (("privacy", 0, 30, True), ("terms", 0, 0, True),
                                                ("privacy", 1, 1, False))]
    User.objects.filter(pk=alice.pk).update(created_at=timezone.now() - timedelta(days=2))
    alice.refresh_from_db()
    assert [v.pk for v in pending_for(alice)] == [made[1].pk, made[0].pk]  # by effective day
    assert [v.upcoming for v in pending_for(alice)] == [False, True]
    PolicyAcknowledgement.objects.create(user=alice, version=made[1])
    assert [v.pk for v in pending_for(alice)] == [made[0].pk]
