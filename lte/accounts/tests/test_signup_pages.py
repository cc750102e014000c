"""Signup, verification, login and reset through the web pages (allauth with LTE's rules)."""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import MD5PasswordHasher
from django.test import Client

from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, links_in, make_user, outbox_messages

pytestmark = pytest.mark.django_db

SIGNUP = {"name": "Dana Seller", "email": "dana@example.com", "password1": PASSWORD, "adult": "on",
          "timezone": "America/Chicago"}


def test_it_shows_the_signup_page_with_the_adult_confirmation(client):
    page = client.get("/signup")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="adult"' in html and "I am 18 or older" in html
    assert 'name="timezone"' in html


def test_it_refuses_under_18_and_stores_nothing(client):
    data = {k: v for k, v in SIGNUP.items() if k != "adult"}
    response = client.post("/signup", data)
    assert response.status_code == 200
    assert "18 or older" in response.content.decode()
    assert "Nothing you typed has been stored" in response.content.decode()
    assert User.objects.count() == 0
    assert EmailAddress.objects.count() == 0
    assert outbox_messages() == []


def test_it_signs_up_and_sends_one_verification_link(client):
    response = client.post("/signup", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get()
    assert (user.name, user.email, user.timezone) == ("Dana Seller", "dana@example.com", "America/Chicago")
    assert user.adult_confirmed_at is not None
    [message] = outbox_messages()
    assert message["To"] == "dana@example.com"
    [link] = links_in(message)
    assert link.startswith("http://127.0.0.1:8000/accounts/confirm-email/")


def test_it_requires_a_verified_email_before_login(client):
    client.post("/signup", SIGNUP)
    anon = Client()
    response = anon.post("/login", {"login": "dana@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert "confirm-email" in response["Location"]
    assert anon.get("/app/").status_code == 302

    [link] = links_in(outbox_messages()[0])
    path = link.split("8000", 1)[1]
    assert anon.get(path).status_code == 200  # the confirm page, with its button
    assert anon.post(path).status_code == 302
    assert EmailAddress.objects.get().verified

    response = anon.post("/login", {"login": "DANA@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert anon.get("/app/").status_code == 200


def test_it_answers_a_taken_address_like_a_new_one(client):
    make_user("dana@example.com")
    first = Client().post("/signup", SIGNUP)
    second = Client().post("/signup", {**SIGNUP, "email": "erin@example.com"})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert User.objects.filter(email="dana@example.com").count() == 1
    subjects = sorted(m["Subject"] for m in outbox_messages())
    assert any("Account Already Exists" in s for s in subjects)


class CountingHasher(MD5PasswordHasher):
    """The test suite's fast hasher, counting the passwords it hashes."""

    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


def hashes_done(data: dict) -> tuple[int, Client, object]:
    CountingHasher.calls = 0
    client = Client()
    response = client.post("/signup", data)
    return CountingHasher.calls, client, response


def test_it_does_the_same_hashing_work_for_a_taken_address_as_for_a_new_one(settings):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    make_user("dana@example.com")
    taken_hashes, taken_client, taken = hashes_done(SIGNUP)
    new_hashes, new_client, new = hashes_done({**SIGNUP, "email": "erin@example.com"})
    assert taken_hashes == new_hashes == 1  # the slow step (bcrypt in production) on both paths: timing tells nothing
    assert taken.status_code == new.status_code == 302 and taken["Location"] == new["Location"]
    assert taken_client.get(taken["Location"]).status_code == new_client.get(new["Location"]).status_code == 200
    recipients = sorted(m["To"] for m in outbox_messages())
    assert recipients == ["dana@example.com", "erin@example.com"]  # one email each, to the address's owner


def test_it_escapes_html_in_the_name(client):
    user = make_user("mal@example.com", name="<script>alert(1)</script>")
    client.force_login(user)
    html = client.get("/app/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_it_refuses_null_bytes_and_oversized_names(client):
    assert client.post("/signup", {**SIGNUP, "name": "Da\x00na"}).status_code == 200
    assert client.post("/signup", {**SIGNUP, "name": "x" * 151}).status_code == 200
    assert User.objects.count() == 0


def test_a_password_reset_does_not_reveal_whether_an_account_exists(client):
    make_user("dana@example.com")
    known = Client().post("/accounts/password/reset/", {"email": "dana@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_login_failures_do_not_reveal_whether_an_account_exists(client):
    make_user("dana@example.com")
    wrong_password = Client().post("/login", {"login": "dana@example.com", "password": "not-the-password"})
    no_account = Client().post("/login", {"login": "nobody@example.com", "password": "not-the-password"})
    assert wrong_password.status_code == no_account.status_code == 200
    assert "not correct" in wrong_password.content.decode()
    assert "not correct" in no_account.content.decode()


def test_the_sixth_failed_login_is_refused_even_with_the_right_password():
    make_user("dana@example.com")
    client = Client()
    for _ in range(5):
        client.post("/login", {"login": "dana@example.com", "password": "wrong-password-123"})
    response = client.post("/login", {"login": "dana@example.com", "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert client.get("/app/").status_code == 302  # from this address, the account waits 15 minutes
