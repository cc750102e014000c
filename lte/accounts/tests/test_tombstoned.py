"""An account whose deletion has begun is closed from the moment of its tombstone, even when a crash left its
rows behind for `enforce_tombstones` (every 15 minutes): no login, no session, no token, no write."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from lte.crm.models import Contact
from lte.testing.helpers import PASSWORD
from lte.vault.keys import record_tombstone

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def crash_after_the_tombstone(user) -> None:
    """Step 1 of every deletion (lte.privacy.deletion.account_delete) and nothing after it, as a crash leaves it."""
    record_tombstone(user.pk)


def test_it_refuses_the_login_page_to_an_account_with_a_tombstone(alice):
    crash_after_the_tombstone(alice)
    client = Client()
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    assert client.get("/app/")["Location"].startswith("/login")


def test_it_refuses_an_api_token_to_an_account_with_a_tombstone(alice):
    crash_after_the_tombstone(alice)
    response = Client().post("/api/v1/auth/token", {"email": "alice@example.com", "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 401


def test_it_ends_a_session_already_open_when_the_tombstone_is_written(alice, alice_client):
    assert alice_client.get("/app/").status_code == 200
    session_key = alice_client.session.session_key
    crash_after_the_tombstone(alice)
    assert alice_client.get("/app/")["Location"].startswith("/login")
    assert alice_client.get(ME).status_code == 401
    alice_client.post("/app/contacts/new", {"first_name": "Written after the tombstone"})
    assert not Contact.objects.filter(first_name="Written after the tombstone").exists()
    assert not Session.objects.filter(session_key=session_key).exists()


def test_it_refuses_a_token_issued_before_the_tombstone(alice, api):
    assert api.get(ME).status_code == 200
    crash_after_the_tombstone(alice)
    assert api.get(ME).status_code == 401
    response = api.post("/api/v1/contacts", {"first_name": "Written after the tombstone"},
                        content_type="application/json")
    assert response.status_code == 401
    assert not Contact.objects.filter(first_name="Written after the tombstone").exists()


def test_another_account_is_untouched(alice, bob, api):
    crash_after_the_tombstone(bob)
    assert api.get(ME).status_code == 200
    client = Client()
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    assert client.get("/app/").status_code == 200
