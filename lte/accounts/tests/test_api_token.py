"""POST/DELETE /api/v1/auth/token: exchanging a password for a token, rate limits, revocation and storage."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from lte.accounts.models import ApiToken
from lte.testing.helpers import PASSWORD, bearer, make_user

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/me"


def post_token(client: Client, email: str, password: str = PASSWORD, **extra):
    return client.post(TOKEN, data={"email": email, "password": password}, content_type="application/json", **extra)


def token_for(client: Client, email: str) -> str:
    response = post_token(client, email)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def assert_json_detail(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


# --- Getting a token -------------------------------------------------------------------------------------


def test_it_gives_a_verified_account_a_token(client, alice):
    response = post_token(client, "alice@example.com")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"token"}
    assert body["token"].startswith("lte_")
    assert len(body["token"]) >= 40
    assert ApiToken.objects.filter(owner=alice).count() == 1


def test_it_accepts_the_email_in_any_letter_case(client, alice):
    assert post_token(client, "  ALICE@Example.com ").status_code == 200


def test_it_gives_a_new_token_each_time(client, alice):
    assert token_for(client, "alice@example.com") != token_for(client, "alice@example.com")
    assert ApiToken.objects.filter(owner=alice).count() == 2


def test_it_works_as_a_bearer_token_for_me(client, alice):
    token = token_for(client, "alice@example.com")
    response = Client().get(ME, **bearer(token))
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"


def test_it_names_the_token_after_the_client(client, alice):
    post_token(client, "alice@example.com", HTTP_USER_AGENT="lte-shortcuts/1.0")
    assert ApiToken.objects.get(owner=alice).name == "API login (lte-shortcuts/1.0)"


@pytest.mark.django_db
def test_it_refuses_wrong_password_unknown_email_and_unverified_account_alike(client, alice):
    make_user("unverified@example.com", verified=False)
    wrong_password = post_token(client, "alice@example.com", "not-the-password-1")
    unknown = post_token(client, "nobody@example.com")
    unverified = post_token(client, "unverified@example.com")
    for response in (wrong_password, unknown, unverified):
        assert_json_detail(response, 401)
    assert wrong_password.content == unknown.content == unverified.content
    assert not ApiToken.objects.exists()


def test_it_refuses_a_deactivated_account(client, alice):
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert_json_detail(post_token(client, "alice@example.com"), 401)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_verified_secondary_address_whose_primary_is_unverified(client):
    user = make_user("primary@example.com", verified=False)
    user.emailaddress_set.create(email="second@example.com", verified=True, primary=False)
    assert_json_detail(post_token(client, "primary@example.com"), 401)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{}, {"email": "alice@example.com"}, {"password": PASSWORD}, {"email": 1, "password": PASSWORD},
     {"email": "alice@example.com", "password": None}, {"email": "alice@example.com", "password": PASSWORD, "x": 1},
     ["alice@example.com", PASSWORD]],
    ids=["empty", "no-password", "no-email", "email-int", "password-null", "extra-field", "array"],
)
def test_it_refuses_a_malformed_request(client, alice, data):
    response = client.post(TOKEN, data=data, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [b"", b"\xff\xfe\xfd", b"not json", b"x" * (10 * 1024 * 1024)],
    ids=["empty", "not-utf8", "not-json", "10mb"],
)
def test_it_refuses_a_body_that_is_not_json(client, alice, body):
    response = client.generic("POST", TOKEN, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "email",
    ["' OR '1'='1", "alice@example.com' --", "%", "_%@example.com", "*"],
    ids=["or-true", "comment", "like-percent", "like-underscore", "star"],
)
def test_it_does_not_match_sql_or_wildcard_emails(client, alice, email):
    response = client.post(TOKEN, data={"email": email, "password": PASSWORD}, content_type="application/json")
    assert_json_detail(response, 401)
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["alice@example.com\x00", "\x00", "al\x00ice@example.com"],
                         ids=["trailing", "only", "inside"])
def test_it_refuses_a_null_byte_in_the_email_without_a_5xx(alice, email):
    client = Client(raise_request_exception=False)
    response = client.post(TOKEN, data={"email": email, "password": PASSWORD}, content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:200])
    assert "detail" in response.json()
    assert not ApiToken.objects.exists()


# --- Rate limits (allauth's login_failed "5/15m/key") ------------------------------------------------------


def test_it_refuses_the_6th_failed_attempt_even_with_the_right_password(client, alice):
    for _attempt in range(5):
        assert_json_detail(post_token(client, "alice@example.com", "not-the-password-1"), 401)
    response = post_token(client, "alice@example.com")
    assert_json_detail(response, 429)
    assert "token" not in response.json()
    assert not ApiToken.objects.exists()


def test_it_counts_failures_whatever_the_letter_case_of_the_email(client, alice):
    for address in ("alice@example.com", "ALICE@example.com", "Alice@Example.com", "aLiCe@example.com",
                    " alice@example.com"):
        assert_json_detail(post_token(client, address, "not-the-password-1"), 401)
    assert_json_detail(post_token(client, "alice@example.com"), 429)


@pytest.mark.django_db
def test_it_counts_failures_for_unknown_emails_too(client):
    for _attempt in range(5):
        assert_json_detail(post_token(client, "nobody@example.com"), 401)
    assert_json_detail(post_token(client, "nobody@example.com"), 429)


def test_it_still_lets_a_different_email_from_the_same_ip_in(client, alice, bob):
    for _attempt in range(5):
        post_token(client, "alice@example.com", "not-the-password-1")
    assert post_token(client, "alice@example.com").status_code == 429
    assert post_token(client, "bob@example.com").status_code == 200


def test_it_does_not_count_successful_logins_as_failures(client, alice):
    for _attempt in range(6):
        assert post_token(client, "alice@example.com").status_code == 200


def test_it_lets_the_account_in_again_after_15_minutes(client, alice):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _attempt in range(5):
            post_token(client, "alice@example.com", "not-the-password-1")
        assert post_token(client, "alice@example.com").status_code == 429
        traveller.shift(timedelta(minutes=16))
        assert post_token(client, "alice@example.com").status_code == 200


# --- Revoking --------------------------------------------------------------------------------------------


def test_it_revokes_exactly_the_token_used(client, alice):
    first = token_for(client, "alice@example.com")
    second = token_for(client, "alice@example.com")
    response = client.delete(TOKEN, **bearer(first))
    assert response.status_code == 204
    assert response.content == b""
    assert_json_detail(client.get(ME, **bearer(first)), 401)
    assert client.get(ME, **bearer(second)).status_code == 200
    assert ApiToken.objects.filter(owner=alice).count() == 1


def test_it_cannot_revoke_a_token_twice(client, alice):
    token = token_for(client, "alice@example.com")
    assert client.delete(TOKEN, **bearer(token)).status_code == 204
    assert_json_detail(client.delete(TOKEN, **bearer(token)), 401)


def test_it_leaves_other_accounts_tokens_alone(client, alice, bob):
    alices = token_for(client, "alice@example.com")
    bobs = token_for(client, "bob@example.com")
    assert client.delete(TOKEN, **bearer(alices)).status_code == 204
    assert client.get(ME, **bearer(bobs)).json()["email"] == "bob@example.com"


def test_it_refuses_to_revoke_without_authentication(client, alice):
    token_for(client, "alice@example.com")
    assert_json_detail(client.delete(TOKEN), 401)
    assert ApiToken.objects.count() == 1


def test_it_asks_a_session_for_the_bearer_token_to_revoke(alice_client, alice):
    token_for(Client(), "alice@example.com")
    assert_json_detail(alice_client.delete(TOKEN), 400)
    assert ApiToken.objects.count() == 1


# --- Storage ----------------------------------------------------------------------------------------------


def test_it_stores_only_a_sha256_hash_of_the_token(client, alice):
    token = token_for(client, "alice@example.com")
    stored = ApiToken.objects.get(owner=alice)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(token in str(value) for value in rows[0])
    assert not any(token[8:] in str(value) for value in rows[0])  # only a short hint of it


def test_it_notes_when_a_token_was_last_used(client, alice):
    token = token_for(client, "alice@example.com")
    assert ApiToken.objects.get(owner=alice).last_used_at is None
    before = timezone.now()
    client.get(ME, **bearer(token))
    last_used = ApiToken.objects.get(owner=alice).last_used_at
    assert last_used is not None
    assert before <= last_used <= timezone.now()


def test_it_updates_last_used_at_on_later_use(client, alice):
    token = token_for(client, "alice@example.com")
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client.get(ME, **bearer(token))
        traveller.shift(timedelta(hours=2))
        client.get(ME, **bearer(token))
    assert ApiToken.objects.get(owner=alice).last_used_at == start + timedelta(hours=2)


def test_it_refuses_a_token_of_a_deactivated_account(client, alice):
    token = token_for(client, "alice@example.com")
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert_json_detail(client.get(ME, **bearer(token)), 401)


# --- Authorization header garbage ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer " + "x" * 5000, "Basic abc", "Basic YWxpY2VAZXhhbXBsZS5jb206eA==", "Token abc",
     "Bearer lte_not-a-real-token", "Bearer a b", "\x00", "Bearer \x00", "lte_abc", "x" * 10000],
    ids=["bearer-alone", "bearer-space", "bearer-5000", "basic", "basic-credentials", "token-scheme",
         "unknown-token", "two-words", "nul", "bearer-nul", "no-scheme", "10k"],
)
def test_it_answers_garbage_authorization_with_401_json(client, alice, header):
    response = client.get(ME, HTTP_AUTHORIZATION=header)
    # (A header longer than the limit never reaches authentication: lte.lib.middleware.limit_request_head.)
    assert_json_detail(response, 431 if len(header) > settings.MAX_REQUEST_HEADER_LINE else 401)
    assert "alice" not in response.content.decode()


def test_it_refuses_a_token_with_one_character_changed(client, alice):
    token = token_for(client, "alice@example.com")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert_json_detail(client.get(ME, **bearer(tampered)), 401)


def test_it_refuses_a_token_hash_used_as_a_token(client, alice):
    token_for(client, "alice@example.com")
    stored = ApiToken.objects.get(owner=alice)
    assert_json_detail(client.get(ME, **bearer(stored.token_hash)), 401)
