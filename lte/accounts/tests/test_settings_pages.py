"""Profile, preferences and API tokens in the settings pages."""

import pytest
from django.test import Client

from lte.accounts.models import ApiToken, User
from lte.accounts.services import api_token_create
from lte.testing.helpers import bearer

pytestmark = pytest.mark.django_db


def test_a_seller_renames_themselves(alice_client, alice):
    response = alice_client.post("/app/settings/", {"name": "Alice Renamed"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.name == "Alice Renamed"


def test_posting_other_fields_changes_nothing_else(alice_client, alice):
    alice_client.post("/app/settings/", {"name": "Alice", "email": "evil@example.com", "is_staff": "on"})
    alice.refresh_from_db()
    assert (alice.email, alice.is_staff) == ("alice@example.com", False)


def test_preferences_are_saved_and_the_language_applies(alice_client, alice):
    response = alice_client.post("/app/settings/preferences",
                                 {"language": "de", "currency": "EUR", "timezone": "Europe/Berlin", "theme": "dark"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.language, alice.currency, alice.timezone) == ("de", "EUR", "Europe/Berlin")
    page = alice_client.get("/app/")
    assert page["Content-Language"] == "de"
    assert 'data-theme="dark"' in page.content.decode()


def test_bad_preferences_are_refused_and_nothing_changes(alice_client, alice):
    response = alice_client.post("/app/settings/preferences",
                                 {"language": "de", "currency": "EUR", "timezone": "Mars/Olympus", "theme": "dark"})
    assert response.status_code == 200
    assert "Unknown timezone" in response.content.decode()
    alice.refresh_from_db()
    assert (alice.language, alice.timezone) == ("en", "UTC")


def test_a_token_is_shown_once_and_stored_only_as_a_hash(alice_client, alice):
    response = alice_client.post("/app/settings/tokens", {"name": "phone shortcut"})
    html = response.content.decode()
    token = ApiToken.objects.get(owner=alice)
    secret = html.split('id="new-token">', 1)[1].split("<", 1)[0]
    assert secret.startswith("lte_") and len(secret) > 40
    assert secret not in token.token_hash and token.hint == secret[:8]
    again = alice_client.get("/app/settings/tokens").content.decode()
    assert secret not in again and "phone shortcut" in again
    api = Client(**bearer(secret))
    assert api.get("/api/v1/me").json()["email"] == "alice@example.com"


def test_a_revoked_token_stops_working(alice_client, alice):
    token, secret = api_token_create(owner=alice, name="script")
    assert alice_client.post(f"/app/settings/tokens/{token.pk}/revoke").status_code == 302
    assert Client(**bearer(secret)).get("/api/v1/me").status_code == 401


def test_bob_cannot_see_or_revoke_alices_tokens(alice, bob):
    token, _secret = api_token_create(owner=alice, name="alice-only")
    bobs = Client()
    bobs.force_login(bob)
    assert "alice-only" not in bobs.get("/app/settings/tokens").content.decode()
    assert bobs.post(f"/app/settings/tokens/{token.pk}/revoke").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_signup_detects_language_and_country_currency(client, settings):
    settings.LTE_TRUST_COUNTRY_HEADER = True
    client.post("/signup", {"name": "Mar", "email": "mar@example.com", "password1": "violet-harbour-sunrise-42",
                            "adult": "on", "timezone": "Europe/Madrid"},
                HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5", HTTP_CF_IPCOUNTRY="ES")
    user = User.objects.get(email="mar@example.com")
    assert (user.language, user.country, user.currency, user.timezone) == ("es", "ES", "EUR", "Europe/Madrid")


def test_the_daily_digest_is_turned_on_at_an_hour_and_off_again(alice_client, alice):
    prefs = {"language": "en", "currency": "USD", "timezone": "America/Chicago", "theme": "auto"}
    page = alice_client.get("/app/settings/preferences").content.decode()
    assert 'name="daily_digest"' in page and 'name="digest_hour"' in page and "Counts only" in page
    response = alice_client.post("/app/settings/preferences", {**prefs, "daily_digest": "on", "digest_hour": "7"})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert (alice.daily_digest, alice.digest_hour) == (True, 7)
    refused = alice_client.post("/app/settings/preferences", {**prefs, "daily_digest": "on", "digest_hour": "25"})
    assert refused.status_code == 200
    alice.refresh_from_db()
    assert alice.digest_hour == 7
    assert alice_client.post("/app/settings/preferences", prefs).status_code == 302  # the box unticked
    alice.refresh_from_db()
    assert (alice.daily_digest, alice.digest_hour) == (False, 7)
