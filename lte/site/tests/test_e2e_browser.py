"""End to end, in real headless Chromium on a phone-sized screen, against a real `lte run` server.

The journey a new seller takes: sign up (18+), confirm the address from the emailed link, log in, create an
API token and use it, log out. All along, the privacy promises that a browser can see: no request leaves
our origin, no cookie but the session and the preferences, no console error or CSP violation, and no page
wider than the phone. The server is the real thing (gunicorn + the huey worker, its own data dir and
database), so these tests never touch Django's ORM.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Response,
)

from lte.testing.browser import ALLOWED_HOST, PASSWORD, PHONE, outbox_files, single_link, text_of, wait_for_new_email
from lte.testing.server import LteServer

# lte_seen: the public pages' anonymous, identifier-free daily counting cookie (test_e2e_crawl.py proves the app
# pages set only the other two).
ALLOWED_COOKIES = {"lte_session", "lte_prefs", "lte_seen"}

# Chromium reports CSP violations as console errors already; this makes sure none slips by silently.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]  # one server and browser per module: one worker


# --- The phone -------------------------------------------------------------------------------------------------


class Phone:
    """A browser tab on a 360 px phone that records what a privacy audit needs to see."""

    def __init__(self, context: BrowserContext, server: LteServer, shots: Path) -> None:
        self.context = context
        self.server = server
        self.shots = shots
        self.requests: list[str] = []
        self.cookie_names: set[str] = set()
        self.console_errors: list[str] = []
        self.server_errors: list[str] = []
        context.on("request", self._on_request)
        context.on("response", self._on_response)
        context.on("console", self._on_console)
        context.on("weberror", lambda error: self.console_errors.append(f"uncaught: {error.error}"))
        self.page: Page = context.new_page()

    def _on_request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            self.server_errors.append(f"{response.status} {response.request.method} {response.url}")
        for header in response.headers_array():
            if header["name"].lower() == "set-cookie":
                for line in header["value"].split("\n"):
                    self.cookie_names.add(line.split("=", 1)[0].strip())

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        source = message.location.get("url", "")
        if urlsplit(source).path == "/favicon.ico":
            # Chromium probes /favicon.ico by itself, at a moment of its choosing (so only sometimes before a
            # test ends); that probe is the browser's, not the page's. The missing icon is reported elsewhere.
            return
        self.console_errors.append(f"{message.text} ({source})")

    # --- Moving around ---

    def goto(self, path_or_url: str) -> Response | None:
        url = path_or_url if "://" in path_or_url else self.server.url(path_or_url)
        response = self.page.goto(url, wait_until="load")
        self.landed()
        return response

    def submit(self, button: Locator) -> None:
        """Clicks a submit button and waits for the page it leads to."""
        with self.page.expect_navigation(wait_until="load"):
            button.click()
        self.landed()

    def landed(self) -> None:
        """Every page we reach must fit the phone: nothing to scroll sideways."""
        self.page.wait_for_load_state("load")
        path = urlsplit(self.page.url).path
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide on a {PHONE['width']} px phone"

    @property
    def path(self) -> str:
        return urlsplit(self.page.url).path

    def main(self) -> Locator:
        return self.page.get_by_role("main")

    def screenshot(self, name: str) -> Path:
        self.shots.mkdir(exist_ok=True)
        target = self.shots / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        print(f"screenshot: {target}")
        return target

    # --- What must hold on every page ---

    def assert_private_and_clean(self) -> None:
        foreign = sorted({url for url in self.requests if urlsplit(url).hostname != ALLOWED_HOST})
        assert not foreign, f"Requests left {ALLOWED_HOST}: {foreign}"
        browser_cookies = {cookie["name"] for cookie in self.context.cookies()}
        assert browser_cookies <= ALLOWED_COOKIES, f"Unexpected cookies in the browser: {browser_cookies}"
        assert self.cookie_names <= ALLOWED_COOKIES, f"Unexpected Set-Cookie names: {self.cookie_names}"
        for cookie in self.context.cookies():
            assert cookie["httpOnly"], f"{cookie['name']} is readable from JavaScript"
            assert cookie["sameSite"] == "Lax", f"{cookie['name']} has SameSite={cookie['sameSite']}"
        errors = list(dict.fromkeys(self.console_errors))
        assert not errors, "Console errors or CSP violations:\n" + "\n".join(errors)
        assert not self.server_errors, f"Server errors: {self.server_errors}"


@pytest.fixture
def phone(browser: Browser, lte_server: LteServer) -> Iterator[Phone]:
    context = browser.new_context(
        viewport=PHONE,
        screen={"width": PHONE["width"], "height": PHONE["height"]},
        is_mobile=True,
        has_touch=True,
        locale="en-US",
        timezone_id="Europe/Madrid",
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    try:
        yield Phone(context, lte_server, lte_server.root / "screenshots")
    finally:
        context.close()


# --- Helpers on the server's side ------------------------------------------------------------------------------------


def api_get(server: LteServer, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        server.url(path), headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def session_payloads(server: LteServer) -> list[str]:
    """The decoded contents of every stored session (Django's signed, optionally zlib-compressed base64)."""
    payloads = []
    for (data,) in server.rows("SELECT session_data FROM django_session"):
        blob = data.rsplit(":", 2)[0]
        compressed = blob.startswith(".")
        raw = base64.urlsafe_b64decode(blob.lstrip(".") + "=" * (-len(blob.lstrip(".")) % 4))
        payloads.append((zlib.decompress(raw) if compressed else raw).decode())
    return payloads


def fill_signup(phone: Phone, *, name: str, address: str, adult: bool) -> None:
    form = phone.main()
    form.get_by_label("Your name").fill(name)
    form.get_by_label("Email").fill(address)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_label("I am 18 or older").set_checked(adult)
    phone.submit(form.get_by_role("button", name="Create account"))


# --- The tests -------------------------------------------------------------------------------------------------------


def test_public_pages_stay_on_our_origin_and_fit_a_phone(phone: Phone, lte_server: LteServer) -> None:
    with lte_server.log_on_failure():
        for path in ("/", "/pricing", "/privacy", "/signup", "/login"):
            response = phone.goto(path)
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            assert phone.path == path
        phone.goto("/privacy")
        assert phone.page.locator(".updated").inner_text().startswith("Last updated")
        phone.goto("/signup")
        phone.screenshot("signup-360")
        phone.assert_private_and_clean()


def test_signup_confirm_login_token_logout(phone: Phone, lte_server: LteServer) -> None:
    address = "erin.e2e@example.com"
    page = phone.page
    with lte_server.log_on_failure():
        # Sign up on the phone.
        seen = outbox_files(lte_server)
        phone.goto("/signup")
        fill_signup(phone, name="Erin Example", address=address, adult=True)
        assert phone.path == "/accounts/confirm-email/", phone.main().inner_text()

        # Confirm the address from the emailed link.
        message = wait_for_new_email(lte_server, seen)
        assert message["To"] == address
        link = single_link(message)
        assert link.startswith(lte_server.base_url + "/"), link
        phone.goto(link)
        phone.submit(phone.main().get_by_role("button", name="Confirm"))

        # Signed in by the link, no typing again: the three first-run steps, then Today.
        assert phone.path == "/app/welcome", phone.main().inner_text()
        assert page.get_by_role("heading", level=1).inner_text() == "Bring your phone's contacts"
        assert phone.main().get_by_text("On an iPhone").is_visible()
        assert phone.main().get_by_text("On an Android phone").is_visible()
        phone.screenshot("welcome-1-360")
        phone.submit(phone.main().get_by_role("button", name="Next"))
        assert page.get_by_role("heading", level=1).inner_text() == "Your starter scripts"
        scripts = phone.main().get_by_role("checkbox")
        assert scripts.count() == 6
        scripts.first.set_checked(False)  # not this one
        phone.submit(phone.main().get_by_role("button", name="Keep these and continue"))
        assert page.get_by_role("heading", level=1).inner_text() == "Your daily goal"
        phone.main().get_by_label("Reach-outs a day").fill("15")
        phone.submit(phone.main().get_by_role("button", name="Done"))
        assert phone.path == "/app/", phone.main().inner_text()
        phone.goto("/app/welcome")  # never again
        assert phone.path == "/app/"
        assert phone.page.get_by_role("heading", level=1).inner_text() == "Hi Erin"
        phone.screenshot("dashboard-360")

        # Settings → API tokens: create one and read it from the page.
        phone.submit(page.get_by_role("banner").get_by_role("link", name="Settings"))
        assert phone.path == "/app/settings/"
        phone.submit(page.get_by_role("navigation", name="Settings").get_by_role("link", name="API tokens"))
        assert phone.path == "/app/settings/tokens"
        phone.main().get_by_label("Token name").fill("e2e")
        phone.submit(phone.main().get_by_role("button", name="Create token"))
        token = page.locator("#new-token").inner_text().strip()
        assert token.startswith("lte_"), token
        # On a phone each cell's name starts with its column label ("Name e2e"), drawn by CSS.
        assert phone.main().get_by_role("row", name=re.compile(r"\be2e\b")).count() == 1
        phone.screenshot("tokens-360")

        # The token works for the API, outside the browser.
        status, me = api_get(lte_server, "/api/v1/me", token)
        assert status == 200
        assert me["email"] == address
        assert me["name"] == "Erin Example"
        assert me["timezone"] == "Europe/Madrid"  # lte.js sent the browser's timezone at signup
        _, scripts_left = api_get(lte_server, "/api/v1/templates", token)
        assert len(scripts_left["items"] if isinstance(scripts_left, dict) else scripts_left) == 5

        # Log out from the header; the app is closed again.
        phone.submit(page.get_by_role("banner").get_by_role("button", name="Log out"))
        phone.goto("/app/")
        assert phone.path == "/login", phone.page.url

        phone.assert_private_and_clean()
        server_log = lte_server.log_path.read_text(errors="replace")
        assert PASSWORD not in server_log
        assert token not in server_log


def test_signup_without_18_plus_stores_nothing_and_sends_nothing(phone: Phone, lte_server: LteServer) -> None:
    address = "young.e2e@example.com"
    with lte_server.log_on_failure():
        seen = outbox_files(lte_server)
        phone.goto("/signup")
        fill_signup(phone, name="Young Person", address=address, adult=False)

        assert phone.path == "/signup"
        phone.screenshot("signup-under-18-360")
        error = phone.main().get_by_role("alert")
        assert "18 or older" in error.inner_text()
        assert "Nothing you typed has been stored" in error.inner_text()
        assert outbox_files(lte_server) == seen, "An email was sent for a refused signup"
        assert lte_server.count("accounts_user", "email = ?", (address,)) == 0
        assert lte_server.count("account_emailaddress", "email = ?", (address,)) == 0
        # Nothing to keep: the visitor's session holds only the CSRF token, which rides in the session cookie.
        sessions = session_payloads(lte_server)
        assert not sessions, f"A refused signup stored a session: {sessions}"

        # The same address, now 18+: a normal signup, with its verification email (so nothing was left behind).
        fill_signup(phone, name="Young Person", address=address, adult=True)
        assert phone.path == "/accounts/confirm-email/", phone.main().inner_text()
        message = wait_for_new_email(lte_server, seen)
        assert message["To"] == address
        assert "/accounts/confirm-email/" in single_link(message)
        assert "Please confirm your email address" in text_of(message)
        assert lte_server.count("accounts_user", "email = ?", (address,)) == 1

        phone.assert_private_and_clean()
