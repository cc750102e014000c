"""Staff sign in only through allauth's login (two-factor, rate limits); the admin's own login form is gone, and
the admin and the staff pages need two-factor on the staff account."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from lte.testing.helpers import PASSWORD, make_user, totp_code

pytestmark = pytest.mark.django_db

ADMIN = "/staff/admin/"
ADMIN_LOGIN = "/staff/admin/login/"


def signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def admin_form_post(client: Client, password: str = PASSWORD):
    """What Django's admin login form posts (the phished-password path of the penetration test)."""
    return client.post(f"{ADMIN_LOGIN}?next={ADMIN}",
                       {"username": "staff@example.com", "password": password, "next": ADMIN})


def test_a_staff_password_posted_to_the_admin_login_signs_nobody_in(staff):
    client = Client()
    response = admin_form_post(client)
    assert response.status_code == 302 and response["Location"].startswith("/login?next=")
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302
    assert client.get("/app/")["Location"].startswith("/login")
    assert client.get("/staff/usage/").status_code == 404


def test_the_admin_login_sends_the_browser_to_the_login_page_and_back(staff):
    response = Client().get(f"{ADMIN_LOGIN}?next=/staff/admin/accounts/user/")
    assert response["Location"] == "/login?next=/staff/admin/accounts/user/"
    elsewhere = Client().get(f"{ADMIN_LOGIN}?next=https://evil.example/")
    assert elsewhere["Location"] == "/login?next=/staff/admin/"


def test_staff_reach_the_admin_through_the_login_page_with_their_code(staff):
    client = Client()
    to_admin_login = client.get(ADMIN)
    to_login = client.get(to_admin_login["Location"])
    assert to_login["Location"] == "/login?next=/staff/admin/"
    response = client.post(to_login["Location"], {"login": "staff@example.com", "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get(ADMIN).status_code == 302  # the password alone opens nothing
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(staff)})
    assert response["Location"] == ADMIN
    assert client.get(ADMIN).status_code == 200
    assert client.get("/staff/usage/").status_code == 200


def test_the_login_rate_limit_holds_for_staff_on_every_path(staff):
    for _ in range(5):
        Client().post("/login", {"login": "staff@example.com", "password": "not-the-password"})
    client = Client()
    client.post("/login", {"login": "staff@example.com", "password": PASSWORD})
    assert not signed_in(client)  # the sixth attempt is refused even with the right password
    admin_form_post(client)
    assert not signed_in(client)
    assert client.get(ADMIN).status_code == 302


def test_staff_without_two_factor_are_sent_to_set_it_up(db):
    make_user("new.staff@example.com", name="New Staff", is_staff=True)
    client = Client()
    client.post("/login", {"login": "new.staff@example.com", "password": PASSWORD})
    assert signed_in(client)
    for page in (ADMIN, ADMIN_LOGIN, "/staff/usage/"):
        response = client.get(page, follow=True)
        assert response.redirect_chain[-1][0].startswith(("/accounts/2fa/totp/activate/",
                                                          "/accounts/reauthenticate/")), page


def test_someone_signed_in_who_is_not_staff_finds_no_admin(alice_client):
    assert alice_client.get(ADMIN_LOGIN).status_code == 404
    assert alice_client.get(ADMIN).status_code in (302, 404)
    assert alice_client.get(ADMIN, follow=True).status_code == 404


def test_the_admin_password_change_is_allauths(staff):
    client = Client()
    client.force_login(staff)
    assert client.get(f"{ADMIN}password_change/")["Location"] == "/accounts/password/change/"
