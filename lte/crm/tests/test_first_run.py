"""First run (issue 15 part 4): the confirmation link signs the seller in, the three steps are shown once, and
allauth's account pages speak in the app's shell with numeric code fields and an otpauth:// link."""

import pytest
from django.test import Client

from lte.accounts.models import User
from lte.crm.models import ActivityGoal, MessageTemplate
from lte.testing.helpers import PASSWORD, links_in, make_user, outbox_messages

pytestmark = pytest.mark.django_db

SIGNUP = {"name": "Dana Seller", "email": "dana@example.com", "password1": PASSWORD, "adult": "on",
          "timezone": "America/Chicago"}


def signed_up_and_confirmed():
    client = Client()
    assert client.post("/signup", SIGNUP).status_code == 302
    [link] = links_in(outbox_messages()[0])
    path = link.split("8000", 1)[1]
    response = client.post(path)
    assert response.status_code == 302
    return client, User.objects.get(email="dana@example.com"), response


def test_confirming_the_email_signs_in_and_opens_the_first_run():
    client, _user, response = signed_up_and_confirmed()
    assert response["Location"] == "/app/welcome"
    assert client.get("/app/").status_code == 200  # signed in, no second typing of the password
    page = client.get("/app/welcome").content.decode()
    assert "Step 1 of 3" in page and "iPhone" in page and "Android" in page and "/app/import/" in page


def test_the_steps_keep_chosen_scripts_set_the_goal_and_are_never_shown_again():
    client, user, _ = signed_up_and_confirmed()
    scripts = list(MessageTemplate.objects.filter(owner=user))
    assert len(scripts) == 6
    assert client.post("/app/welcome", {"step": "1", "action": "next"})["Location"] == "/app/welcome?step=2"
    page = client.get("/app/welcome?step=2").content.decode()
    assert all(s.name in page for s in scripts)
    kept = [str(s.pk) for s in scripts[:2]]
    assert client.post("/app/welcome", {"step": "2", "action": "next", "keep": [*kept, "nope"]}).status_code == 302
    assert sorted(str(pk) for pk in MessageTemplate.objects.filter(owner=user).values_list("pk", flat=True)) == \
        sorted(kept)
    assert client.post("/app/welcome", {"step": "3", "action": "next", "reach_outs": "-3"}).status_code == 400
    assert client.post("/app/welcome", {"step": "3", "action": "next", "reach_outs": "12"})["Location"] == "/app/"
    assert ActivityGoal.objects.get(owner=user).reach_outs == 12
    user.refresh_from_db()
    assert user.onboarded_at is not None
    assert client.get("/app/welcome")["Location"] == "/app/"
    client.post("/accounts/logout/")
    again = client.post("/login", {"login": "dana@example.com", "password": PASSWORD})
    assert again["Location"] == "/app/"


def test_skipping_ends_the_first_run_and_keeps_everything():
    client, user, _ = signed_up_and_confirmed()
    assert client.post("/app/welcome", {"step": "1", "action": "skip"})["Location"] == "/app/"
    user.refresh_from_db()
    assert user.onboarded_at is not None
    assert MessageTemplate.objects.filter(owner=user).count() == 6
    assert client.get("/app/welcome")["Location"] == "/app/"


def test_a_seller_who_confirmed_elsewhere_finds_the_steps_offered_on_today():
    Client().post("/signup", SIGNUP)
    [link] = links_in(outbox_messages()[0])
    assert Client().post(link.split("8000", 1)[1]).status_code == 302  # another browser: not signed in there
    client = Client()
    assert client.post("/login", {"login": "dana@example.com", "password": PASSWORD})["Location"] == "/app/"
    assert 'href="/app/welcome"' in client.get("/app/").content.decode()
    client.post("/app/welcome", {"step": "1", "action": "skip"})
    assert 'href="/app/welcome"' not in client.get("/app/").content.decode()


def test_a_bad_step_is_the_first_one():
    client, _, _ = signed_up_and_confirmed()
    assert "Step 1 of 3" in client.get("/app/welcome?step=x").content.decode()
    assert "Step 1 of 3" in client.get("/app/welcome?step=9").content.decode()


def logged_in_reauthenticated() -> Client:
    make_user("alice@example.com", name="Alice")
    client = Client()
    assert client.post("/login", {"login": "alice@example.com", "password": PASSWORD})["Location"] == "/app/"
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    return client


def test_account_pages_are_in_the_app_shell_in_sentence_case():
    client = logged_in_reauthenticated()
    for url, heading in (("/accounts/email/", "Email address"), ("/accounts/password/change/", "Change password"),
                         ("/accounts/2fa/", "Two-factor authentication"), ("/accounts/sessions/", "Sessions")):
        html = client.get(url).content.decode()
        assert 'class="crm-nav"' in html, url  # the tab bar
        assert heading in html, url
    html = client.get("/accounts/2fa/").content.decode()
    assert "Authenticator app" in html and "Authenticator App" not in html
    assert "Change Email" not in client.get("/accounts/email/").content.decode()


def test_two_factor_setup_offers_an_otpauth_link_and_a_numeric_code_field():
    client = logged_in_reauthenticated()
    html = client.get("/accounts/2fa/totp/activate/").content.decode()
    assert 'href="otpauth://totp/' in html
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html
