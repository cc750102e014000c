"""GET/PATCH /api/v1/me, session auth with CSRF, and the API's OpenAPI description."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from django.test import Client

from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, bearer

ME = "/api/v1/me"
TOKEN = "/api/v1/auth/token"
# The contract's fields, and daily_digest (issue 14: "daily_digest in /me").
ME_FIELDS = {"id", "name", "email", "language", "currency", "timezone", "country", "plan", "daily_digest",
             "created_at"}
PROFILE = ("name", "email", "language", "currency", "timezone", "country", "is_staff", "is_superuser", "password")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def token_for(email: str) -> str:
    response = Client().post(TOKEN, data={"email": email, "password": PASSWORD}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def alice_token(alice) -> str:
    return token_for("alice@example.com")


@pytest.fixture
def bob_token(bob) -> str:
    return token_for("bob@example.com")


def patch_me(client: Client, data, token: str | None = None, **extra):
    if token is not None:
        extra |= bearer(token)
    return client.patch(ME, data=data, content_type="application/json", **extra)


def snapshot(user: User) -> dict:
    user.refresh_from_db()
    return {field: getattr(user, field) for field in PROFILE}


def assert_json_detail(response, status: int | tuple[int, ...]) -> None:
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


# --- GET /me ---------------------------------------------------------------------------------------------


def test_it_shows_exactly_the_contract_fields(client, alice, alice_token):
    response = client.get(ME, **bearer(alice_token))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ME_FIELDS
    assert body == {
        "id": str(alice.pk),
        "name": "Alice Owner",
        "email": "alice@example.com",
        "language": alice.language,
        "currency": alice.currency,
        "timezone": alice.timezone,
        "country": None,  # not set yet: null, never ""
        "plan": "free",  # billing is off on this server: every feature is free
        "daily_digest": False,  # opt-in
        "created_at": body["created_at"],
    }
    created_at = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    assert abs(created_at - alice.created_at) < timedelta(milliseconds=1)  # ISO 8601, to the millisecond


def test_it_never_shows_secrets_or_internal_fields(client, alice, alice_token):
    text = client.get(ME, **bearer(alice_token)).content.decode()
    for hidden in ("password", "is_staff", "is_superuser", "adult_confirmed_at", alice.password, alice_token):
        assert hidden not in text


def test_it_marks_the_answer_uncacheable(client, alice, alice_token):
    assert "no-store" in client.get(ME, **bearer(alice_token))["Cache-Control"]


@pytest.mark.django_db
def test_it_refuses_an_anonymous_request(client):
    response = client.get(ME)
    assert_json_detail(response, 401)


@pytest.mark.django_db
def test_it_refuses_an_anonymous_patch(client, alice):
    before = snapshot(alice)
    assert_json_detail(patch_me(client, {"name": "Mallory"}), 401)
    assert snapshot(alice) == before


def test_it_shows_bob_only_bobs_data(client, alice, bob, bob_token):
    response = client.get(ME, **bearer(bob_token))
    assert response.json()["id"] == str(bob.pk)
    assert response.json()["email"] == "bob@example.com"
    assert "alice" not in response.content.decode().lower()


def test_it_uses_the_bearer_token_over_a_logged_in_session(alice_client, bob, bob_token):
    response = alice_client.get(ME, **bearer(bob_token))
    assert response.json()["email"] == "bob@example.com"


def test_it_lets_bob_change_only_his_own_profile(client, alice, bob, bob_token):
    before = snapshot(alice)
    assert patch_me(client, {"name": "Bob Renamed", "timezone": "Asia/Tokyo"}, bob_token).status_code == 200
    assert snapshot(alice) == before
    bob.refresh_from_db()
    assert (bob.name, bob.timezone) == ("Bob Renamed", "Asia/Tokyo")


# --- PATCH /me -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "stored"),
    [("name", "Alice Renamed", "Alice Renamed"), ("name", "  Alice Trimmed  ", "Alice Trimmed"),
     ("name", "Zoë Ñúñez 李", "Zoë Ñúñez 李"), ("language", "es", "es"), ("language", "pt-BR", "pt-BR"),
     ("language", "pt-br", "pt-BR"), ("language", "DE", "de"),
     ("currency", "EUR", "EUR"), ("currency", "jpy", "JPY"), ("timezone", "America/Chicago", "America/Chicago"),
     ("timezone", "Asia/Kolkata", "Asia/Kolkata")],
    ids=["name", "name-trimmed", "name-unicode", "language-es", "language-pt-BR",
         "language-pt-br-any-case", "language-upper", "currency", "currency-lower",
         "timezone", "timezone-half-hour"],
)
def test_it_changes_one_field(client, alice, alice_token, field, value, stored):
    response = patch_me(client, {field: value}, alice_token)
    assert response.status_code == 200, response.content
    assert set(response.json()) == ME_FIELDS
    assert response.json()[field] == stored
    alice.refresh_from_db()
    assert getattr(alice, field) == stored
    assert client.get(ME, **bearer(alice_token)).json()[field] == stored


def test_it_changes_all_four_fields_at_once(client, alice, alice_token):
    data = {"name": "Alice B.", "language": "fr", "currency": "CAD", "timezone": "America/Toronto"}
    response = patch_me(client, data, alice_token)
    assert response.status_code == 200
    assert {key: response.json()[key] for key in data} == data
    alice.refresh_from_db()
    assert (alice.name, alice.language, alice.currency, alice.timezone) == tuple(data.values())


def test_it_changes_nothing_for_an_empty_patch(client, alice, alice_token):
    before = snapshot(alice)
    response = patch_me(client, {}, alice_token)
    assert response.status_code == 200
    assert snapshot(alice) == before


@pytest.mark.parametrize(
    "data",
    [{"timezone": "Mars/Olympus"}, {"timezone": ""}, {"timezone": "utc"}, {"timezone": "../../etc/passwd"},
     {"timezone": "Europe/Madrid\x00"}, {"currency": "XYZ"}, {"currency": ""}, {"currency": "€"},
     {"language": "xx"}, {"language": ""}, {"language": "nl"}, {"language": "it"}, {"language": "pt"},
     {"language": "en-GB-x"}, {"name": ""}, {"name": "   "},
     {"name": "Al\x00ice"}, {"name": None}, {"timezone": None}, {"currency": None}, {"language": None}],
    ids=["tz-unknown", "tz-empty", "tz-lowercase", "tz-path", "tz-nul", "currency-unknown", "currency-empty",
         "currency-symbol", "language-unknown", "language-empty", "language-dutch-dropped",
         "language-italian-dropped", "language-pt-is-pt-BR", "language-bad", "name-empty", "name-blank",
         "name-nul", "name-null", "tz-null", "currency-null", "language-null"],
)
def test_it_refuses_a_bad_value_with_400(client, alice, alice_token, data):
    before = snapshot(alice)
    response = patch_me(client, data, alice_token)
    assert_json_detail(response, (400, 422))
    assert snapshot(alice) == before


@pytest.mark.parametrize(
    "data",
    [{"currency": "EURO"}, {"name": "x" * 151}, {"timezone": "x" * 65}, {"language": "x" * 9},
     {"name": 123}, {"currency": 978}, {"timezone": ["UTC"]}, {"language": True}],
    ids=["currency-long", "name-long", "tz-long", "language-long", "name-int", "currency-int", "tz-list",
         "language-bool"],
)
def test_it_refuses_a_malformed_value(client, alice, alice_token, data):
    before = snapshot(alice)
    assert_json_detail(patch_me(client, data, alice_token), (400, 422))
    assert snapshot(alice) == before


@pytest.mark.parametrize(
    "data",
    [{"name": "Alice New", "timezone": "Mars/Olympus"}, {"name": "Alice New", "currency": "XYZ"},
     {"language": "de", "currency": "EUR", "timezone": "Nowhere/Land"}, {"timezone": "Asia/Tokyo", "language": "xx"},
     {"name": "Alice New", "currency": "EURO"}, {"name": "Alice New", "language": None}],
    ids=["name+tz", "name+currency", "three-good-one-bad", "tz+language", "name+long-currency", "name+null"],
)
def test_it_changes_nothing_when_one_field_is_bad(client, alice, alice_token, data):
    before = snapshot(alice)
    response = patch_me(client, data, alice_token)
    assert_json_detail(response, (400, 422))
    assert snapshot(alice) == before
    assert client.get(ME, **bearer(alice_token)).json()["name"] == "Alice Owner"


def test_it_names_each_bad_field(client, alice, alice_token):
    response = patch_me(client, {"currency": "XYZ", "timezone": "Mars/Olympus", "name": "Fine"}, alice_token)
    assert response.status_code == 400
    assert set(response.json()["detail"]) == {"currency", "timezone"}


@pytest.mark.parametrize(
    "data",
    [{"email": "mallory@example.com"}, {"id": 999}, {"is_staff": True}, {"is_superuser": True},
     {"password": "a-new-password-123"}, {"created_at": "2000-01-01T00:00:00Z"},
     {"is_active": False}, {"name": "Alice New", "is_staff": True}, {"name": "Alice New", "email": "m@example.com"}],
    ids=["email", "id", "is_staff", "is_superuser", "password", "created_at", "is_active",
         "name+is_staff", "name+email"],
)
def test_it_refuses_fields_it_does_not_take(client, alice, alice_token, data):
    before = snapshot(alice)
    pk = alice.pk
    response = patch_me(client, data, alice_token)
    assert_json_detail(response, (400, 422))
    assert snapshot(alice) == before
    assert User.objects.filter(pk=pk, email="alice@example.com", is_staff=False, is_active=True).exists()
    assert alice.check_password(PASSWORD)


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b"null", b"not json", b"\xff\xfe\xfd", b'{"name": "A",', b"x" * (10 * 1024 * 1024)],
    ids=["empty", "array", "null", "not-json", "not-utf8", "truncated", "10mb"],
)
def test_it_refuses_a_body_that_is_not_a_patch_object(client, alice, alice_token, body):
    before = snapshot(alice)
    response = client.generic("PATCH", ME, body, content_type="application/json", **bearer(alice_token))
    assert_json_detail(response, (400, 413, 422))
    assert snapshot(alice) == before


# --- Session authentication and CSRF ---------------------------------------------------------------------


def test_it_answers_a_logged_in_browser_session(alice_client, alice):
    response = alice_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"


def test_it_refuses_a_session_patch_without_a_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    before = snapshot(alice)
    response = patch_me(browser, {"name": "Forged"})
    assert_json_detail(response, 403)
    assert snapshot(alice) == before


def test_it_refuses_a_session_patch_with_a_wrong_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    before = snapshot(alice)
    response = patch_me(browser, {"name": "Forged"}, HTTP_X_CSRFTOKEN="x" * 64)
    assert_json_detail(response, 403)
    assert snapshot(alice) == before


def test_it_refuses_a_session_delete_of_the_token_without_a_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert_json_detail(browser.delete(TOKEN), 403)


def test_it_accepts_a_session_patch_with_the_pages_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    csrf = CSRF_INPUT.search(browser.get("/app/settings/").content.decode()).group(1)
    response = patch_me(browser, {"name": "Alice From The Page"}, HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    assert alice.name == "Alice From The Page"


def test_it_needs_no_csrf_token_with_a_bearer_token(alice, alice_token):
    client = Client(enforce_csrf_checks=True)
    assert patch_me(client, {"name": "Alice Scripted"}, alice_token).status_code == 200


# --- OpenAPI and docs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_publishes_the_openapi_description(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in ("/api/v1/auth/signup", "/api/v1/auth/token", "/api/v1/me"):
        assert path in schema["paths"], path
    assert {"post", "delete"} <= set(schema["paths"]["/api/v1/auth/token"])
    assert {"get", "patch"} <= set(schema["paths"]["/api/v1/me"])


@pytest.mark.django_db
def test_it_has_no_interactive_docs_page(client):
    assert client.get("/api/v1/docs").status_code == 404
    assert client.get("/api/v1/docs/").status_code == 404
