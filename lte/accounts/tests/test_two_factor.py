"""Optional TOTP two-factor with recovery codes; a password reset never bypasses it."""

import time

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from lte.testing.helpers import PASSWORD, links_in, outbox_messages

pytestmark = pytest.mark.django_db


def totp_now(secret: str, offset: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + offset))


def login(password: str = PASSWORD) -> tuple[Client, object]:
    client = Client()
    response = client.post("/login", {"login": "alice@example.com", "password": password})
    return client, response


@pytest.fixture
def alice_with_totp(alice) -> str:
    client, _ = login()
    # Sensitive changes ask for the password again, even right after logging in.
    assert client.get("/accounts/2fa/totp/activate/")["Location"].startswith("/accounts/reauthenticate/")
    assert client.post("/accounts/reauthenticate/", {"password": PASSWORD}).status_code == 302
    assert client.get("/accounts/2fa/totp/activate/").status_code == 200
    secret = client.session["mfa.totp.secret"]
    # The previous step's code, so the tests' later "current" code is not a replay. The clock is held
    # still for the post: a 30-second boundary crossed mid-request would put that code out of tolerance.
    with time_machine.travel(time.time(), tick=False):
        response = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret, -1)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    return secret


def test_after_activation_a_password_alone_does_not_log_in(alice, alice_with_totp):
    client, response = login()
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/app/").status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_now(alice_with_totp)})
    assert response.status_code == 302
    assert client.get("/app/").status_code == 200


def test_a_code_cannot_be_replayed(alice, alice_with_totp):
    code = totp_now(alice_with_totp)
    first, _ = login()
    first.post("/accounts/2fa/authenticate/", {"code": code})
    assert first.get("/app/").status_code == 200
    second, _ = login()
    second.post("/accounts/2fa/authenticate/", {"code": code})
    assert second.get("/app/").status_code == 302


def test_a_recovery_code_works_once(alice, alice_with_totp):
    codes = RecoveryCodes(Authenticator.objects.get(user=alice, type=Authenticator.Type.RECOVERY_CODES))
    code = codes.get_unused_codes()[0]
    first, _ = login()
    first.post("/accounts/2fa/authenticate/", {"code": code})
    assert first.get("/app/").status_code == 200
    second, _ = login()
    second.post("/accounts/2fa/authenticate/", {"code": code})
    assert second.get("/app/").status_code == 302


def test_a_password_reset_does_not_bypass_two_factor(alice, alice_with_totp):
    client = Client()
    client.post("/accounts/password/reset/", {"email": "alice@example.com"})
    [link] = [link for m in outbox_messages() for link in links_in(m) if "password/reset/key" in link]
    path = link.split("8000", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new_password = "a-completely-new-passphrase-77"
    response = client.post(form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
                           {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    assert client.get("/app/").status_code == 302  # a reset never logs in
    fresh, response = login(new_password)
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert fresh.get("/app/").status_code == 302


def test_the_api_token_endpoint_refuses_a_password_alone_when_two_factor_is_on(alice, alice_with_totp):
    response = Client().post("/api/v1/auth/token", {"email": "alice@example.com", "password": PASSWORD},
                             content_type="application/json")
    assert response.status_code == 401


def test_the_api_token_endpoint_takes_a_current_code(alice, alice_with_totp):
    body = {"email": "alice@example.com", "password": PASSWORD, "code": totp_now(alice_with_totp)}
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["token"].startswith("lte_")
    replay = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert replay.status_code == 401


def token_with_code(code: str):
    body = {"email": "alice@example.com", "password": PASSWORD, "code": code}
    return Client().post("/api/v1/auth/token", body, content_type="application/json")


def test_wrong_codes_on_the_web_spend_the_api_budget_too(alice, alice_with_totp):
    client, _ = login()
    for attempt in range(5):
        assert client.post("/accounts/2fa/authenticate/", {"code": f"{attempt:06d}"}).status_code == 200
    spent = token_with_code(totp_now(alice_with_totp))
    assert spent.status_code == 429 and "detail" in spent.json()


def test_wrong_codes_on_the_api_spend_the_web_budget_too(alice, alice_with_totp):
    for attempt in range(5):
        assert token_with_code(f"{attempt:06d}").status_code == 401
    assert token_with_code(totp_now(alice_with_totp)).status_code == 429
    client, _ = login()
    refused = client.post("/accounts/2fa/authenticate/", {"code": totp_now(alice_with_totp)})
    assert refused.status_code == 200 and "Too many failed login attempts" in refused.content.decode()
    assert client.get("/app/").status_code == 302


def test_a_right_code_on_the_api_gives_the_budget_back(alice, alice_with_totp):
    for attempt in range(4):
        token_with_code(f"{attempt:06d}")
    assert token_with_code(totp_now(alice_with_totp)).status_code == 200
    client, _ = login()
    client.post("/accounts/2fa/authenticate/", {"code": "000009"})
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_now(alice_with_totp, 1)}).status_code == 302
