"""Every allauth page a seller or a visitor reaches speaks LTE's words inside LTE's shell (issue 15, part 4).

Each page is driven in its real state through the test client — signup then the "check your email" page, a
confirmation link good and bad, the password reset from request to done, the logout question, re-authentication
by password, by emailed code and by authenticator — and must show our heading, no Title Case heading, our header
(and the tab bar when someone is signed in), and none of the words of allauth's stock template it replaces.
"""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.test import Client
from django.urls import reverse

from lte.accounts.models import User
from lte.testing.helpers import PASSWORD, links_in, make_user, message_text, outbox_messages, totp_code, with_two_factor

pytestmark = pytest.mark.django_db

SIGNUP = {"name": "Dana Seller", "email": "dana@example.com", "password1": PASSWORD, "adult": "on",
          "timezone": "America/Chicago"}
H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
TAG = re.compile(r"<[^>]+>")
# Two capitalised words in a row ("Verify Your", "Confirm Access"): allauth's Title Case, not our sentence case.
TITLE_CASE = re.compile(r"\b[A-Z][a-z]+\s+[A-Z][a-z]+\b")
HEADER = '<header class="bar">'
TAB_BAR = '<nav class="crm-nav"'


def page_text(response) -> str:
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    return response.content.decode()


def headings(html: str) -> list[str]:
    return [" ".join(TAG.sub("", h).split()) for h in H1.findall(html)]


def assert_ours(response, heading: str, *, stock: tuple[str, ...], signed_in: bool) -> str:
    """The page's one heading is `heading`, in sentence case, inside our header (and tab bar when signed in),
    with none of the stock template's phrases."""
    html = page_text(response)
    assert headings(html) == [heading]
    [title] = [TAG.sub("", t).split("·")[0] for t in TITLE.findall(html)]
    assert not TITLE_CASE.search(title), title
    assert not TITLE_CASE.search(heading), heading
    assert HEADER in html
    assert (TAB_BAR in html) is signed_in
    for phrase in stock:
        assert phrase not in html, phrase
    return html


def signed_up() -> tuple[Client, str]:
    """A visitor who just signed up, and the path of the confirmation link mailed to them."""
    client = Client()
    response = client.post("/signup", SIGNUP)
    assert response.status_code == 302
    [message] = outbox_messages()
    [link] = links_in(message)
    return client, link.split("8000", 1)[1]


def reset_link(email: str) -> str:
    """The path of the reset link mailed to `email` after asking for one."""
    assert Client().post("/accounts/password/reset/", {"email": email}).status_code == 302
    [link] = [link for link in links_in(outbox_messages()[-1]) if "/password/reset/key/" in link]
    return link.split("8000", 1)[1]


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Signing up and confirming the address ------------------------------------------------------------------


def test_it_asks_a_new_seller_to_check_their_email_after_signup():
    client = Client()
    response = client.post("/signup", SIGNUP, follow=True)
    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    html = assert_ours(response, "Check your email", signed_in=False, stock=(
        "Verify Your Email Address", "We have sent an email to you for verification",
        "finalize the signup process", "Confirmation email sent to"))
    assert "spam folder" in html
    assert "We sent a confirmation link to dana@example.com." in html  # the flash, in our words
    assert f'href="{reverse("account_login")}"' in html


def test_it_shows_the_confirmation_page_and_the_link_signs_the_seller_in():
    client, path = signed_up()
    html = assert_ours(client.get(path), "Confirm your email address", signed_in=False, stock=(
        "Confirm Email Address", "Please confirm that", "is an email address for user"))
    assert "<strong>dana@example.com</strong>" in html
    # allauth signs a fresh key each time it is read (a timestamp): the form's may be a second newer than the link's.
    assert f'action="{path.split(":")[0]}:' in html and 'name="csrfmiddlewaretoken"' in html
    response = client.post(path)
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="dana@example.com").verified
    assert client.get("/app/").status_code in (200, 302)  # signed in: the first-run steps or Today
    assert "_auth_user_id" in client.session


def test_it_says_plainly_when_a_confirmation_link_no_longer_works():
    html = assert_ours(Client().get("/accounts/confirm-email/not-a-real-key/"), "This link no longer works",
                       signed_in=False, stock=("Confirm Email Address", "This email confirmation link expired",
                                               "issue a new email confirmation request"))
    assert f'href="{reverse("account_login")}"' in html
    assert "<form" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # nothing to confirm


def test_it_sends_a_signed_in_seller_with_a_dead_link_to_the_email_settings(alice):
    html = assert_ours(logged_in(alice).get("/accounts/confirm-email/not-a-real-key/"), "This link no longer works",
                       signed_in=True, stock=("issue a new email confirmation request",))
    assert f'href="{reverse("account_email")}"' in html


def test_it_refuses_to_confirm_an_address_another_account_confirmed():
    client, path = signed_up()
    other = make_user("erin@example.com")
    EmailAddress.objects.create(user=other, email="dana@example.com", verified=True)
    assert_ours(client.get(path), "This address is taken", signed_in=False, stock=(
        "Unable to confirm", "already confirmed by a different account"))


# --- Resetting a forgotten password --------------------------------------------------------------------------


RESET_STOCK = ("Password Reset", "Forgotten your password?", "Reset My Password",
               "Please contact us if you have any trouble")


def test_it_asks_for_the_address_to_send_a_reset_link_to():
    html = assert_ours(Client().get("/accounts/password/reset/"), "Reset your password", signed_in=False,
                       stock=RESET_STOCK)
    assert 'action="/accounts/password/reset/"' in html and 'name="email"' in html
    assert 'class="button wide"' in html


def test_it_tells_a_signed_in_seller_on_the_reset_page_who_they_are(alice):
    html = assert_ours(logged_in(alice).get("/accounts/password/reset/"), "Reset your password", signed_in=True,
                       stock=(*RESET_STOCK, "You are already logged in as"))
    assert "logged in as Alice Owner" in html


def test_it_answers_a_reset_request_the_same_for_any_address(alice):
    known = Client().post("/accounts/password/reset/", {"email": "alice@example.com"}, follow=True)
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"}, follow=True)
    stock = ("Password Reset", "We have sent you an email", "Otherwise contact us")
    known_html = assert_ours(known, "Check your email", signed_in=False, stock=stock)
    unknown_html = assert_ours(unknown, "Check your email", signed_in=False, stock=stock)
    main = [html.split("<main", 1)[1].split("</main>", 1)[0] for html in (known_html, unknown_html)]
    assert main[0] == main[1]
    assert "If an account uses that address" in main[0]


def test_it_says_plainly_when_a_reset_link_is_bad():
    response = Client().get("/accounts/password/reset/key/1-not-a-token/", follow=True)
    html = assert_ours(response, "This link no longer works", signed_in=False, stock=(
        "Bad Token", "Change Password", "The password reset link was invalid", "new password reset"))
    assert f'href="{reverse("account_reset_password")}"' in html
    assert 'name="password1"' not in html


def test_it_lets_a_good_reset_link_choose_a_new_password_and_then_log_in(alice):
    client = Client()
    response = client.get(reset_link("alice@example.com"), follow=True)
    html = assert_ours(response, "Choose a new password", signed_in=False, stock=("Change Password", "Bad Token"))
    [action] = re.findall(r'<form method="post" action="([^"]+)" novalidate>', html)
    assert action == response.redirect_chain[-1][0]  # allauth's key-less URL, the key kept in the session
    assert 'name="password1"' in html and 'name="password2"' in html
    assert 'form="logout-from-stage"' in html and 'id="logout-from-stage"' in html

    new_password = "amber-lantern-valley-77"
    done = client.post(action, {"password1": new_password, "password2": new_password}, follow=True)
    assert_ours(done, "Your password is changed", signed_in=False, stock=(
        "Change Password", "Your password is now changed"))
    assert "_auth_user_id" not in client.session  # a reset never logs in (it would bypass two-factor)
    assert Client().post("/login", {"login": "alice@example.com", "password": new_password}).status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(new_password)


# --- Logging out, an inactive account -----------------------------------------------------------------------


def test_it_asks_before_logging_out_in_our_words(alice):
    client = logged_in(alice)
    html = assert_ours(client.get("/accounts/logout/"), "Log out of LTE?", signed_in=True, stock=(
        "Sign Out", "Are you sure you want to sign out?"))
    assert html.count('action="/accounts/logout/"') == 2  # the header's button and this page's
    response = client.post("/accounts/logout/", follow=True)
    assert "_auth_user_id" not in client.session
    text = response.content.decode()
    assert "You&#x27;re logged out." in text and "You have signed out." not in text


def test_it_greets_by_name_on_today_without_a_signed_in_flash(alice):
    response = Client().post("/login", {"login": "alice@example.com", "password": PASSWORD}, follow=True)
    assert "Successfully signed in as" not in response.content.decode()


def test_it_says_an_inactive_account_is_closed():
    assert_ours(Client().get("/accounts/inactive/"), "This account is closed", signed_in=False, stock=(
        "Account Inactive", "This account is inactive."))


# --- Re-authenticating before a sensitive change --------------------------------------------------------------


REAUTH_STOCK = ("Confirm Access", "Please reauthenticate to safeguard your account", "Enter your password:",
                "Alternative options", "Send me a sign-in code", "Use authenticator app or code")


def test_it_asks_for_the_password_again_before_a_sensitive_change(alice):
    client = logged_in(alice)
    response = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    html = assert_ours(response, "Confirm it's you", signed_in=True, stock=REAUTH_STOCK)
    assert 'name="password"' in html and 'name="next" value="/accounts/2fa/totp/activate/"' in html
    assert ('<a class="tap" href="/accounts/reauthenticate/code/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F">'
            "Email me a code instead</a>") in html
    response = client.post(response.redirect_chain[-1][0],
                           {"password": PASSWORD, "next": "/accounts/2fa/totp/activate/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/totp/activate/"


def test_it_can_confirm_with_an_emailed_code_instead(alice):
    client = logged_in(alice)
    html = assert_ours(client.get("/accounts/reauthenticate/code/"), "Confirm it's you", signed_in=True,
                       stock=(*REAUTH_STOCK, "Request Code", "Recipient:"))
    assert 'name="recipient"' in html
    response = client.post("/accounts/reauthenticate/code/", {"recipient": "alice@example.com"}, follow=True)
    html = assert_ours(response, "Type the code we emailed you", signed_in=True, stock=(
        "Enter Sign-In Code", "We've sent a code to", "The code expires shortly", "Request new code"))
    assert "<strong>alice@example.com</strong>" in html
    assert 'name="code"' in html and 'id="resend"' in html
    [code] = re.findall(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", message_text(outbox_messages()[-1]), re.M)
    response = client.post("/accounts/reauthenticate/code/confirm/", {"code": code})
    assert response.status_code == 302


def test_it_asks_a_seller_with_two_factor_for_an_authenticator_code(alice):
    with_two_factor(alice)
    client = logged_in(alice)
    html = assert_ours(client.get("/accounts/2fa/reauthenticate/"), "Confirm it's you", signed_in=True,
                       stock=(*REAUTH_STOCK, "Enter an authenticator code:"))
    assert 'action="/accounts/2fa/reauthenticate/"' in html
    assert re.search(r'<input[^>]*name="code"[^>]*inputmode="numeric"|<input[^>]*inputmode="numeric"[^>]*name="code"',
                     html)
    assert '<a class="tap" href="/accounts/reauthenticate/">Use your password instead</a>' in html


def test_the_recovery_code_pages_have_a_sentence_case_title(alice):
    client = logged_in(with_two_factor(alice))
    RecoveryCodes.activate(alice)  # as allauth does with the first authenticator
    client.post("/accounts/2fa/reauthenticate/", {"code": totp_code(alice)})
    for path in ("/accounts/2fa/recovery-codes/generate/", "/accounts/2fa/recovery-codes/"):
        html = page_text(client.get(path))
        assert "<title>Recovery codes · LeadTrackEngine</title>" in html, path
        assert "Recovery Codes" not in html
