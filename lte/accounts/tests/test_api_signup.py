"""POST /api/v1/auth/signup: the contract's signup, its verification email, and every kind of bad input."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection
from django.test import Client

from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, bearer, links_in, outbox_messages

SIGNUP = "/api/v1/auth/signup"
TOKEN = "/api/v1/auth/token"
ME = "/api/v1/me"
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_ACTION = re.compile(r'<form[^>]*method="post"[^>]*action="([^"]+)"|<form[^>]*action="([^"]+)"[^>]*method="post"')


def signup_data(**overrides) -> dict:
    data = {"name": "Carol Seller", "email": "carol@example.com", "password": PASSWORD, "adult": True}
    data.update(overrides)
    return data


def post_signup(client: Client, data) -> object:
    return client.post(SIGNUP, data=data, content_type="application/json")


def post_raw(client: Client, body: bytes, content_type: str = "application/json") -> object:
    return client.generic("POST", SIGNUP, body, content_type=content_type)


def assert_refused(response, users_before: int) -> None:
    """A 4xx (never a 5xx) with a JSON `detail`, no account stored and no email sent."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    assert User.objects.count() == users_before
    assert outbox_messages() == []


def verify_through_email(link: str) -> None:
    """Opens the email's link in a browser-like client (CSRF enforced) and presses the confirm button."""
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(urlsplit(link).path)
    assert page.status_code == 200
    html = page.content.decode()
    action = next(a or b for a, b in FORM_ACTION.findall(html) if "confirm" in (a or b))
    found = CSRF_INPUT.search(html)
    assert found, "the confirmation page has a CSRF token"
    csrf = found.group(1)
    confirmed = browser.post(action, {"csrfmiddlewaretoken": csrf})
    assert confirmed.status_code in (200, 302)


# --- The happy path ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_creates_an_account_and_answers_201(client):
    response = post_signup(client, signup_data())
    assert response.status_code == 201
    assert response["Content-Type"].startswith("application/json")
    assert isinstance(response.json()["detail"], str)
    user = User.objects.get(email="carol@example.com")
    assert user.name == "Carol Seller"
    assert user.adult_confirmed_at is not None
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.filter(user=user, email="carol@example.com", verified=False).exists()


@pytest.mark.django_db
def test_it_stores_the_email_in_lower_case(client):
    assert post_signup(client, signup_data(email="Carol@Example.COM")).status_code == 201
    assert User.objects.filter(email="carol@example.com").count() == 1


@pytest.mark.django_db
def test_it_never_echoes_the_password(client):
    response = post_signup(client, signup_data())
    assert PASSWORD not in response.content.decode()


@pytest.mark.django_db
def test_it_sends_exactly_one_verification_email_with_one_link(client):
    post_signup(client, signup_data())
    messages = outbox_messages()
    assert len(messages) == 1
    assert len(list((settings.OUTBOX_DIR).glob("*.eml"))) == 1
    assert messages[0]["To"] == "carol@example.com"
    links = links_in(messages[0])
    assert len(links) == 1
    assert links[0].startswith(settings.BASE_URL + "/")


@pytest.mark.django_db
def test_it_verifies_the_address_when_the_link_is_opened_and_confirmed(client):
    post_signup(client, signup_data())
    (link,) = links_in(outbox_messages()[0])
    page = Client().get(urlsplit(link).path)
    assert page.status_code == 200
    assert b"csrfmiddlewaretoken" in page.content  # a confirm page with a button, not a GET that changes state
    assert not EmailAddress.objects.get(email="carol@example.com").verified

    verify_through_email(link)
    assert EmailAddress.objects.get(email="carol@example.com").verified


@pytest.mark.django_db
def test_it_refuses_a_token_until_the_address_is_verified(client):
    post_signup(client, signup_data())
    credentials = {"email": "carol@example.com", "password": PASSWORD}
    assert client.post(TOKEN, data=credentials, content_type="application/json").status_code == 401

    verify_through_email(links_in(outbox_messages()[0])[0])
    response = client.post(TOKEN, data=credentials, content_type="application/json")
    assert response.status_code == 200
    me = client.get(ME, **bearer(response.json()["token"]))
    assert me.json()["email"] == "carol@example.com"
    assert me.json()["name"] == "Carol Seller"


@pytest.mark.django_db
def test_it_keeps_a_valid_timezone_from_signup(client):
    post_signup(client, signup_data(timezone="Europe/Madrid"))
    assert User.objects.get(email="carol@example.com").timezone == "Europe/Madrid"


# --- 18+ -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "adult",
    [False, "yes", "true", "on", 1, 0, None, [], {}],
    ids=["false", "yes-string", "true-string", "on-string", "one", "zero", "null", "list", "object"],
)
def test_it_refuses_under_18(client, adult):
    before = User.objects.count()
    response = post_signup(client, signup_data(adult=adult))
    assert response.status_code in (400, 422)
    assert_refused(response, before)
    assert not User.objects.filter(email="carol@example.com").exists()


@pytest.mark.django_db
def test_it_refuses_when_adult_is_missing(client):
    data = signup_data()
    del data["adult"]
    before = User.objects.count()
    response = post_signup(client, data)
    assert response.status_code in (400, 422)
    assert_refused(response, before)


@pytest.mark.django_db
def test_it_answers_adult_false_with_400_and_a_readable_detail(client):
    response = post_signup(client, signup_data(adult=False))
    assert response.status_code == 400
    assert "18" in response.json()["detail"]


# --- No enumeration ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("address", ["alice@example.com", "ALICE@Example.COM", " alice@example.com "])
def test_it_answers_a_registered_address_like_a_new_one(client, alice, address):
    new = post_signup(client, signup_data(email="dora@example.com"))
    users_after_new = User.objects.count()
    existing = post_signup(client, signup_data(email=address, name="Mallory"))
    assert existing.status_code == new.status_code == 201
    assert existing.json() == new.json()
    assert existing.content == new.content
    assert existing["Content-Type"] == new["Content-Type"]
    assert User.objects.count() == users_after_new
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    alice.refresh_from_db()
    assert alice.name == "Alice Owner"
    assert alice.check_password(PASSWORD)


@pytest.mark.django_db
def test_it_does_not_make_a_second_account_when_an_unverified_address_signs_up_again(client):
    first = post_signup(client, signup_data())
    second = post_signup(client, signup_data(email="CAROL@example.com", password="another-long-passphrase-9"))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert User.objects.filter(email__iexact="carol@example.com").count() == 1
    assert User.objects.get(email="carol@example.com").check_password(PASSWORD)


@pytest.mark.django_db
def test_it_sends_the_registered_address_a_notice_without_a_verification_link(client, alice):
    post_signup(client, signup_data(email="alice@example.com"))
    messages = outbox_messages()
    assert len(messages) == 1
    assert messages[0]["To"] == "alice@example.com"
    assert not any("confirm-email" in link for link in links_in(messages[0]))
    assert not EmailAddress.objects.filter(user=alice, verified=False).exists()


@pytest.mark.django_db
def test_it_links_the_registered_address_notice_to_the_public_url(client, alice):
    post_signup(client, signup_data(email="alice@example.com"))
    links = links_in(outbox_messages()[0])
    assert links
    assert all(link.startswith(settings.BASE_URL + "/") for link in links), links


@pytest.mark.django_db
def test_it_does_not_let_a_cyrillic_look_alike_register_a_second_alice(client, alice):
    before = User.objects.count()
    response = post_signup(client, signup_data(email="\u0430lice@example.com"))  # Cyrillic small letter a
    assert_refused(response, before)


# --- Passwords -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    ["password123", "12345678", "qwertyuiop", "short", "Ab1!xyz", "", "carol@example.com"],
    ids=["common", "digits", "keyboard", "too-short", "seven-chars", "empty", "same-as-email"],
)
def test_it_refuses_a_weak_password(client, password):
    before = User.objects.count()
    response = post_signup(client, signup_data(password=password))
    assert response.status_code == 400
    assert_refused(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize("length", [8, 64, 72, 73, 128, 200, 1024])
def test_it_accepts_passwords_from_8_to_1024_characters(client, length):
    password = ("Zq7-lantern-Kestrel-" * 60)[:length] if length > 8 else "k7#Qp2!z"
    response = post_signup(client, signup_data(password=password))
    assert response.status_code == 201, response.content
    assert User.objects.get(email="carol@example.com").check_password(password)


@pytest.mark.django_db
def test_it_tells_a_200_character_password_apart_from_its_first_72(client):
    password = "Zq7-lantern-Kestrel-" * 10
    post_signup(client, signup_data(password=password))
    user = User.objects.get(email="carol@example.com")
    assert user.check_password(password)
    assert not user.check_password(password[:72])
    assert not user.check_password(password[:-1] + "X")


@pytest.mark.real_hasher
@pytest.mark.django_db
def test_it_logs_in_with_a_200_character_password_under_bcrypt(client):
    password = "Zq7-lantern-Kestrel-" * 10
    assert post_signup(client, signup_data(password=password)).status_code == 201
    user = User.objects.get(email="carol@example.com")
    assert user.password.startswith("bcrypt_sha256$")
    verify_through_email(links_in(outbox_messages()[0])[0])
    good = client.post(TOKEN, data={"email": "carol@example.com", "password": password},
                       content_type="application/json")
    assert good.status_code == 200
    truncated = client.post(TOKEN, data={"email": "carol@example.com", "password": password[:72]},
                            content_type="application/json")
    assert truncated.status_code == 401


@pytest.mark.django_db
def test_it_refuses_a_password_over_1024_characters(client):
    before = User.objects.count()
    response = post_signup(client, signup_data(password="Zq7-lantern-Kestrel-" * 52))
    assert_refused(response, before)


# --- Bad input of every kind: always a 4xx with {detail}, nothing stored, nothing sent ------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        "not-an-email",
        "carol@",
        "@example.com",
        "carol @example.com",
        "carol@@example.com",
        "carol@example..com",
        "carol@-example.com",
        "carol@example.com\nBcc: victim@example.com",
        "",
        "   ",
        "c" * 250 + "@example.com",
    ],
    ids=["no-at", "no-domain", "no-local", "space", "double-at", "double-dot", "bad-label", "header-injection",
         "empty", "blank", "too-long"],
)
def test_it_refuses_an_invalid_email(client, address):
    before = User.objects.count()
    response = post_signup(client, signup_data(email=address))
    assert_refused(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [{"name": "Car\x00ol"}, {"email": "carol\x00@example.com"}, {"email": "carol@example.com\x00"}],
    ids=["name", "email", "email-end"],
)
def test_it_refuses_null_bytes(client, overrides):
    before = User.objects.count()
    response = post_signup(client, signup_data(**overrides))
    assert_refused(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["", "   ", "x" * 151], ids=["empty", "blank", "too-long"])
def test_it_refuses_a_bad_name(client, name):
    before = User.objects.count()
    response = post_signup(client, signup_data(name=name))
    assert_refused(response, before)


@pytest.mark.django_db
def test_it_stores_script_in_a_name_as_text_and_escapes_it_when_rendered(client):
    script = "<script>alert(1)</script>"
    assert post_signup(client, signup_data(name=script)).status_code == 201
    user = User.objects.get(email="carol@example.com")
    assert user.name == script  # stored as typed; escaping is the template's job

    confirm_page = urlsplit(links_in(outbox_messages()[0])[0]).path
    assert script not in Client().get(confirm_page).content.decode()

    browser = Client()
    browser.force_login(user)
    for page in ("/app/", "/app/settings/"):
        html = browser.get(page).content.decode()
        assert script not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
    assert browser.get(ME).json()["name"] == script  # JSON carries it as data


@pytest.mark.django_db
def test_it_stores_sql_looking_text_literally(client):
    name = "Robert'); DROP TABLE accounts_user;--"
    response = post_signup(client, signup_data(name=name, email="o'brien@example.com"))
    assert response.status_code == 201
    assert User.objects.get(email="o'brien@example.com").name == name
    assert "accounts_user" in connection.introspection.table_names()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    ["' OR '1'='1", "carol@example.com' OR 1=1 --", "carol@example.com'; DROP TABLE accounts_user;--"],
    ids=["or-true", "or-comment", "drop-table"],
)
def test_it_refuses_sql_looking_emails(client, alice, address):
    before = User.objects.count()
    response = post_signup(client, signup_data(email=address))
    assert_refused(response, before)
    assert "accounts_user" in connection.introspection.table_names()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra",
    [{"is_staff": True}, {"is_superuser": True}, {"id": 1}, {"email_verified": True}, {"currency": "EUR"},
     {"password2": PASSWORD}],
    ids=["is_staff", "is_superuser", "id", "email_verified", "currency", "password2"],
)
def test_it_refuses_unknown_fields(client, extra):
    before = User.objects.count()
    response = post_signup(client, signup_data(**extra))
    assert_refused(response, before)
    assert not User.objects.filter(is_staff=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [{"name": 123}, {"name": None}, {"name": ["Carol"]}, {"email": 42}, {"email": ["carol@example.com"]},
     {"email": {"address": "carol@example.com"}}, {"password": 12345678901}, {"password": None},
     {"adult": "true"}, {"timezone": 5}],
    ids=["name-int", "name-null", "name-list", "email-int", "email-list", "email-object", "password-int",
         "password-null", "adult-string", "timezone-int"],
)
def test_it_refuses_wrong_json_types(client, overrides):
    before = User.objects.count()
    response = post_signup(client, signup_data(**overrides))
    assert_refused(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize("missing", ["name", "email", "password"])
def test_it_refuses_a_missing_field(client, missing):
    data = signup_data()
    del data[missing]
    before = User.objects.count()
    assert_refused(post_signup(client, data), before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"name=Carol&email=carol@example.com&adult=true",
        b"{'name': 'Carol'}",
        b'{"name": "Carol",',
        b"null",
        b"true",
        b"42",
        b'"carol@example.com"',
        b"NaN",
        b"[]",
        json.dumps([signup_data()]).encode(),
        b"{}",
    ],
    ids=["form-encoded", "single-quotes", "truncated", "null", "true", "number", "string", "nan", "empty-array",
         "array-of-object", "empty-object"],
)
def test_it_refuses_a_body_that_is_not_a_signup_object(client, body):
    before = User.objects.count()
    assert_refused(post_raw(client, body), before)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\xfd\xfc",
        b"\xff\xfe{\x00",
        b"\xfe\xff\x00{",
        b'{"name": "Car\xffol", "email": "carol@example.com", "password": "violet-harbour-sunrise-42", '
        b'"adult": true}',
        b"\xc3\x28\xa0\xa1",
    ],
    ids=["ff-fe-bytes", "utf16le-bom-odd", "utf16be-bom-odd", "bad-byte-in-string", "bad-sequence"],
)
def test_it_refuses_a_body_that_is_not_utf8(client, body):
    before = User.objects.count()
    assert_refused(post_raw(client, body), before)


@pytest.mark.django_db
def test_it_refuses_an_empty_body(client):
    before = User.objects.count()
    assert_refused(post_raw(client, b""), before)


@pytest.mark.django_db
def test_it_refuses_a_json_array_of_fields(client):
    before = User.objects.count()
    response = client.post(SIGNUP, data=["Carol", "carol@example.com", PASSWORD, True],
                           content_type="application/json")
    assert_refused(response, before)


@pytest.mark.django_db
def test_it_refuses_a_deeply_nested_body(client):
    before = User.objects.count()
    body = b'{"name": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    assert_refused(post_raw(client, body), before)


@pytest.mark.django_db
def test_it_refuses_a_10_mb_body_with_413(client):
    before = User.objects.count()
    response = post_raw(client, b"x" * (10 * 1024 * 1024))
    assert response.status_code == 413
    assert_refused(response, before)


@pytest.mark.django_db
def test_it_refuses_a_10_mb_json_signup_with_413(client):
    before = User.objects.count()
    response = post_raw(client, json.dumps(signup_data(name="x" * (10 * 1024 * 1024))).encode())
    assert response.status_code == 413
    assert_refused(response, before)


@pytest.mark.django_db
def test_it_refuses_a_non_numeric_content_length(client):
    before = User.objects.count()
    response = client.generic("POST", SIGNUP, json.dumps(signup_data()).encode(),
                              content_type="application/json", CONTENT_LENGTH="lots")
    assert_refused(response, before)


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_it_only_answers_post(client, method):
    before = User.objects.count()
    response = client.generic(method, SIGNUP, json.dumps(signup_data()).encode(), content_type="application/json")
    assert response.status_code == 405
    assert User.objects.count() == before


@pytest.mark.django_db
def test_it_never_answers_5xx_to_any_bad_input():
    """One sweep with a client that reports server errors as responses instead of raising them."""
    client = Client(raise_request_exception=False)
    bodies = [
        b"", b"\xff\xfe", b"[]", b"{}", b"null", b"\x00", b'{"name":"\x00"}', b'{"adult": true}',
        json.dumps(signup_data(name=None)).encode(), json.dumps(signup_data(email="a\x00@b.c")).encode(),
        json.dumps(signup_data(password="\x00" * 8)).encode(), json.dumps(signup_data(timezone="\x00")).encode(),
        json.dumps(signup_data(timezone="../../etc/passwd")).encode(),
        json.dumps(signup_data(name="\ud800")).encode(), json.dumps(signup_data(email="\ud800@example.com")).encode(),
        json.dumps(signup_data(password="\ud800" * 8)).encode(),
    ]
    for body in bodies:
        response = client.generic("POST", SIGNUP, body, content_type="application/json")
        assert response.status_code < 500, (body[:60], response.status_code)
