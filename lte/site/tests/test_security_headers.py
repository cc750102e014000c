"""Headers on every response, and the two-cookie promise, checked from the HTTP side."""

from http.cookies import SimpleCookie

import pytest
from django.test import Client

from lte.testing.helpers import PASSWORD

pytestmark = pytest.mark.django_db
ALLOWED_COOKIES = {"lte_session", "__Host-lte_session", "lte_prefs"}


def cookie_names(response) -> set[str]:
    return set(response.cookies.keys())


@pytest.mark.parametrize("path", ["/", "/privacy", "/signup", "/login", "/healthz", "/api/v1/openapi.json"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_load_nothing_from_another_host(client):
    for path in ["/", "/pricing", "/privacy", "/signup", "/login"]:
        html = client.get(path).content.decode()
        assert "http://" not in html.replace("http://www.w3.org", "")
        assert "https://" not in html
        assert "<script>" not in html and " style=" not in html  # no inline code the CSP would block


def test_signed_in_pages_are_not_cached(alice_client):
    assert "no-store" in alice_client.get("/app/")["Cache-Control"]


def test_a_whole_signup_and_login_sets_only_the_session_and_preferences_cookies(client, alice):
    seen: set[str] = set()
    anon = Client(HTTP_DNT="1")  # the public pages' counting cookie is tested on its own (test_visitors.py)
    for path in ["/", "/pricing", "/privacy", "/signup", "/login"]:
        seen |= cookie_names(anon.get(path))
    seen |= cookie_names(anon.post("/signup", {"name": "N", "email": "n@example.com", "password1": PASSWORD,
                                                "adult": "on"}))
    user = Client()
    seen |= cookie_names(user.post("/login", {"login": "alice@example.com", "password": PASSWORD}))
    for path in ["/app/", "/app/settings/", "/app/settings/preferences", "/app/settings/tokens"]:
        seen |= cookie_names(user.get(path))
    seen |= cookie_names(user.post("/app/settings/preferences", {"language": "es", "currency": "EUR",
                                                                  "timezone": "Europe/Madrid", "theme": "dark"}))
    seen |= cookie_names(user.post("/accounts/logout/"))
    assert seen, "expected at least the session cookie"
    assert seen <= ALLOWED_COOKIES, seen
    assert "csrftoken" not in seen and "django_language" not in seen and "messages" not in seen


def test_the_session_cookie_is_httponly_and_samesite(client, alice):
    response = client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    morsel = response.cookies["lte_session"]
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert not morsel["domain"]


def test_the_production_profile_uses_a_secure_host_prefixed_cookie_and_hsts():
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.CSRF_USE_SESSIONS, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT)"
    )
    env = {**os.environ, "LTE_ENV": "production", "LTE_BASE_URL": "https://app.example.com",
           "DJANGO_SETTINGS_MODULE": "lte.settings"}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[3], timeout=60)
    assert result.stdout.split() == ["__Host-lte_session", "True", "True", "31536000", "True", "True", "True"]


def test_csrf_is_enforced_on_posts():
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/signup", {"name": "N", "email": "n@example.com", "password1": PASSWORD, "adult": "on"})
    assert response.status_code == 403


def test_it_refuses_bodies_over_the_cap_before_parsing(client):
    body = b"x" * (1_048_576 + 1)
    response = client.generic("POST", "/signup", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413


def test_a_simple_cookie_parse_of_the_prefs_cookie(alice_client):
    response = alice_client.post("/app/settings/preferences", {"language": "es", "currency": "EUR",
                                                               "timezone": "Europe/Madrid", "theme": "dark"})
    parsed = SimpleCookie()
    parsed.load(response.cookies.output(header="").strip())
    assert parsed["lte_prefs"].value == "es:EUR:dark"  # preferences only, nothing personal
