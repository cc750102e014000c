"""Deleting the account asks for the password or a two-factor code, and guesses are as scarce as on the
re-authentication page: both spend the same budget (allauth's `reauthenticate` rate, per account)."""

import time

import pytest
from allauth.account import app_settings as account_settings
from allauth.core.internal.ratelimit import parse_rates
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.test import Client
from django.urls import reverse

from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, bearer_client

pytestmark = pytest.mark.django_db

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"


def budget() -> int:
    """The smallest of the reauthenticate rates: the attempts one account gets before a pause."""
    return min(rate.amount for rate in parse_rates(account_settings.RATE_LIMITS["reauthenticate"]))


def test_it_answers_429_on_the_api_once_the_wrong_passwords_spent_the_budget(alice):
    client = bearer_client(alice)
    for attempt in range(budget()):
        wrong = client.delete("/api/v1/me", {"password": f"guess-{attempt}"}, content_type="application/json")
        assert wrong.status_code == 403, attempt
    spent = client.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json")
    assert spent.status_code == 429 and "Too many attempts" in spent.json()["detail"]
    assert User.objects.filter(pk=alice.pk).exists()  # even the right password waits: the budget is spent


def test_it_stops_two_factor_guesses_on_the_delete_page_with_a_form_error(alice):
    TOTP.activate(alice, SECRET)
    client = Client()
    client.force_login(alice)
    for attempt in range(budget()):
        assert client.post("/app/delete-account/", {"code": f"{attempt:06d}"}).status_code == 403
    code = format_hotp_value(hotp_value(SECRET, int(time.time()) // 30))
    spent = client.post("/app/delete-account/", {"code": code})
    assert spent.status_code == 429 and "Too many attempts" in spent.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_it_shares_the_budget_with_the_reauthentication_page(alice):
    client = Client()
    client.force_login(alice)
    for attempt in range(budget()):
        client.post("/app/delete-account/", {"password": f"guess-{attempt}"})
    assert client.post(reverse("account_reauthenticate"), {"password": PASSWORD}).status_code == 429
    other = bearer_client(alice)  # the budget is the account's, not the session's
    assert other.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json").status_code == 429
