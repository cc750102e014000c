"""The public forms (login, signup, reset, the child report): a cookieless visit stores no session, the POST is
still CSRF-checked, and the mail they send to any typed-in address is limited per IP and per address."""

import re

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.test import Client

from lte.testing.helpers import PASSWORD, make_user, outbox_messages

pytestmark = pytest.mark.django_db

PUBLIC_FORMS = ["/login", "/signup", "/accounts/password/reset/", "/report-child"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(client: Client, url: str) -> str:
    page = client.get(url)
    assert page.status_code == 200
    found = TOKEN.search(page.content.decode())
    assert found, "the form carries a CSRF token"
    return found.group(1)


@pytest.mark.parametrize("url", PUBLIC_FORMS)
def test_a_cookieless_visit_stores_no_session_and_sets_only_the_session_cookie(url, settings):
    for _ in range(20):
        response = Client().get(url)
        assert response.status_code == 200
        assert set(response.cookies) == {settings.SESSION_COOKIE_NAME}
    assert Session.objects.count() == 0


def test_a_login_from_such_a_visit_passes_the_csrf_check_and_stores_its_session(settings):
    alice = make_user("alice@example.com")
    client = Client(enforce_csrf_checks=True)
    token = form_token(client, "/login")
    response = client.post("/login", {"login": alice.email, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and client.get("/app/").status_code == 200
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert Session.objects.filter(session_key=key).exists()
    assert UserSession.objects.get(user=alice).session_key == key  # the session list knows the stored key


def test_the_post_still_needs_the_token_of_its_own_session():
    make_user("alice@example.com")
    client = Client(enforce_csrf_checks=True)
    form_token(client, "/login")
    assert client.post("/login", {"login": "alice@example.com", "password": PASSWORD}).status_code == 403
    stranger = Client(enforce_csrf_checks=True)
    stolen = form_token(stranger, "/signup")  # a token of someone else's session is no good here
    refused = client.post("/login", {"login": "alice@example.com", "password": PASSWORD,
                                     "csrfmiddlewaretoken": stolen})
    assert refused.status_code == 403 and client.get("/app/").status_code == 302


def test_a_forged_cookie_session_is_an_empty_one(settings):
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.SESSION_COOKIE_NAME] = 'c.{"_csrftoken":"a"*32}:forged:sig'
    token = form_token(client, "/login")
    assert client.cookies[settings.SESSION_COOKIE_NAME].value.startswith("c.ey")  # a new, signed one
    make_user("alice@example.com")
    ok = client.post("/login", {"login": "alice@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert ok.status_code == 302


# --- Mail to typed-in addresses -------------------------------------------------------------------------------


def test_resets_mail_one_address_a_few_times_however_many_ips_ask():
    make_user("alice@example.com")
    for n in range(10):
        Client(REMOTE_ADDR=f"10.1.0.{n + 1}").post("/accounts/password/reset/", {"email": "alice@example.com"})
    assert 1 <= len([m for m in outbox_messages() if m["To"] == "alice@example.com"]) <= 3


def test_one_ip_gets_a_few_resets_then_429():
    answers = [Client().post("/accounts/password/reset/", {"email": f"person{n}@example.com"}).status_code
               for n in range(5)]
    assert answers[:3] == [302, 302, 302] and answers[3:] == [429, 429]


def test_one_ip_gets_a_few_signups_then_429():
    answers = [Client().post("/signup", {"name": "N", "email": f"new{n}@example.com", "password1": PASSWORD,
                                         "adult": "on"}).status_code for n in range(5)]
    assert answers[:3] == [302, 302, 302] and answers[3:] == [429, 429]


def test_signups_naming_a_registered_address_mail_its_owner_a_few_times_a_day():
    make_user("alice@example.com")
    for n in range(8):
        Client(REMOTE_ADDR=f"10.2.0.{n + 1}").post("/api/v1/auth/signup", {
            "name": "N", "email": "alice@example.com", "password": PASSWORD, "adult": True},
            content_type="application/json")
        Client(REMOTE_ADDR=f"10.3.0.{n + 1}").post("/signup", {
            "name": "N", "email": "alice@example.com", "password1": PASSWORD, "adult": "on"})
    assert 1 <= len([m for m in outbox_messages() if m["To"] == "alice@example.com"]) <= 3
