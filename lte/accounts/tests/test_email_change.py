"""Changing the email address: re-authentication first, verification of the new one, notice to the old."""

import pytest
from allauth.account.models import EmailAddress
from django.test import Client

from lte.testing.helpers import PASSWORD, links_in, outbox_messages

pytestmark = pytest.mark.django_db


def test_changing_the_email_needs_the_password_again_then_notifies_the_old_address(alice):
    client = Client()
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    response = client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.com"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="alice.new@example.com").exists()

    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.com"})
    [verification] = [m for m in outbox_messages() if m["To"] == "alice.new@example.com"]
    [link] = links_in(verification)
    client.post(link.split("8000", 1)[1])

    alice.refresh_from_db()
    assert alice.email == "alice.new@example.com"
    assert list(EmailAddress.objects.filter(user=alice).values_list("email", flat=True)) == ["alice.new@example.com"]
    notices = [m for m in outbox_messages() if m["To"] == "alice@example.com"]
    assert notices, "the old address must hear about the change"


def test_changing_the_password_needs_the_current_one(alice):
    client = Client()
    client.force_login(alice)
    response = client.post("/accounts/password/change/",
                           {"oldpassword": "wrong-password-000", "password1": "brand-new-passphrase-9",
                            "password2": "brand-new-passphrase-9"})
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.check_password(PASSWORD)
