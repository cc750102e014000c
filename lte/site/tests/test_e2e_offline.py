"""The installable app in a real browser (issue 15 part 1, CONTRACT.md "Web pages"), on a 390×844 phone against a
real `lte run`: the manifest and its icons as a browser gets them, the service worker at /sw.js with scope /, the
app opening with no connection after one visit, and a contact and a note added offline that wait on the phone,
reach the server once the connection is back, exactly once even when sent twice, and vanish from the phone on
logout."""

from __future__ import annotations

import json
import struct
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from lte.testing.browser import PASSWORD, outbox_files, single_link, wait_for_new_email
from lte.testing.server import LteServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]  # one server and browser per module: one worker

PHONE_390: ViewportSize = {"width": 390, "height": 844}
EMAIL = "olga.offline@example.com"
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`);
});
"""
OUTBOX_ENTRIES = "() => window.LTEOutbox.all()"
PAGE_CACHES = "() => caches.keys().then(names => names.filter(name => !name.startsWith('lte-shell-')))"


def api(server: LteServer, method: str, path: str, body: dict | None = None, token: str = "",
        headers: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        server.url(path), method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}),
                 **(headers or {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        text = response.read()
        return response.status, json.loads(text) if text else {}, dict(response.headers)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def new_seller(server: LteServer, browser: Browser, email: str, name: str) -> dict:
    """A verified seller (signed up through the API, confirmed in the browser) with one contact, and a token."""
    seen = outbox_files(server)
    api(server, "POST", "/api/v1/auth/signup", {"name": name, "email": email, "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(server, seen))
    context = browser.new_context(service_workers="block")
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    context.close()
    _, answer, _ = api(server, "POST", "/api/v1/auth/token", {"email": email, "password": PASSWORD})
    token = answer["token"]
    _, contact, _ = api(server, "POST", "/api/v1/contacts", {"first_name": "Carla", "last_name": "Cached"}, token)
    return {"token": token, "contact_id": contact["id"], "email": email}


@pytest.fixture(scope="module")
def seller(lte_server: LteServer, browser: Browser) -> dict:
    return new_seller(lte_server, browser, EMAIL, "Olga Offline")


@pytest.fixture
def phone(browser: Browser, lte_server: LteServer) -> Iterator[tuple[BrowserContext, Page, list[str]]]:
    context = browser.new_context(viewport=PHONE_390, screen=PHONE_390, is_mobile=True, has_touch=True,
                                  locale="en-US", timezone_id="Europe/Madrid", service_workers="allow")
    context.set_default_timeout(15_000)
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    errors: list[str] = []
    context.on("console", lambda message: errors.append(message.text)
               if message.type == "error" and "CSP" in message.text else None)
    page = context.new_page()
    try:
        yield context, page, errors
    finally:
        context.close()


def log_in(page: Page, server: LteServer, email: str = EMAIL) -> None:
    page.goto(server.url("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Log in").click()
    assert page.url == server.url("/app/"), page.url


def wait_for_the_worker(page: Page) -> str:
    """The worker's scope, once it is active and controls this page."""
    scope = page.evaluate("navigator.serviceWorker.ready.then(registration => registration.scope)")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return scope


def test_the_manifest_and_its_icons_as_the_browser_gets_them(phone, lte_server: LteServer) -> None:
    _context, page, _errors = phone
    with lte_server.log_on_failure():
        page.goto(lte_server.url("/"))
        href = page.locator('link[rel="manifest"]').get_attribute("href")
        assert href == "/manifest.webmanifest"
        response = page.request.get(lte_server.url(href))
        assert response.status == 200
        assert response.headers["content-type"].startswith("application/manifest+json")
        manifest = response.json()
        assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/app/", "/", "standalone")
        pngs = [icon for icon in manifest["icons"] if icon["type"] == "image/png"]
        assert {icon["sizes"] for icon in pngs} >= {"192x192", "512x512"}
        assert any(icon["purpose"] == "maskable" for icon in pngs)
        for icon in pngs:
            image = page.request.get(lte_server.url(icon["src"]))
            assert image.headers["content-type"] == "image/png", icon
            assert "x".join(map(str, png_size(image.body()))) == icon["sizes"], icon
        touch = page.locator('link[rel="apple-touch-icon"]').get_attribute("href")
        assert png_size(page.request.get(lte_server.url(touch)).body()) == (180, 180)
        assert page.locator('meta[name="theme-color"]').get_attribute("content") == manifest["theme_color"]


def test_offline_the_app_opens_and_what_is_added_waits_then_reaches_the_server_once(
        phone, lte_server: LteServer, seller: dict) -> None:
    context, page, errors = phone
    token, contact_id = seller["token"], seller["contact_id"]
    with lte_server.log_on_failure():
        # One visit with a connection: the worker installs, with scope /, and keeps the pages seen.
        log_in(page, lte_server)
        assert wait_for_the_worker(page) == lte_server.url("/")
        worker = page.request.get(lte_server.url("/sw.js"))
        assert worker.headers["content-type"].startswith("text/javascript")
        page.goto(lte_server.url(f"/app/contacts/{contact_id}/"))
        page.goto(lte_server.url("/app/"))

        # No connection: the app still opens, on the pages last seen.
        context.set_offline(True)
        page.goto(lte_server.url("/app/"))
        assert page.get_by_role("heading", level=1).inner_text() == "Hi Olga"
        assert page.locator("#outbox").is_hidden()

        # A quick-add contact, made offline, waits on the phone.
        quick = page.locator("details.quick-add")
        if quick.get_attribute("open") is None:
            quick.locator("summary").click()
        quick.get_by_label("First name").fill("Omar")
        quick.get_by_label("Last name").fill("Offline")
        with page.expect_navigation():
            quick.get_by_role("button", name="Save contact").click()
        expect(page.locator("#outbox")).to_have_text("Waiting to send: 1")

        # So does a note on a contact seen before.
        page.goto(lte_server.url(f"/app/contacts/{contact_id}/"))
        page.get_by_text("+ Note").click()
        page.get_by_label("Note").fill("Met at the spring fair, wants the catalogue")
        with page.expect_navigation():
            page.get_by_role("button", name="Save note").click()
        expect(page.locator("#outbox")).to_have_text("Waiting to send: 2")

        # And a follow-up for tomorrow, with the page's one-tap button.
        page.get_by_text("+ Follow-up").click()
        page.get_by_label("What to follow up").fill("Bring the catalogue")
        with page.expect_navigation():
            page.get_by_role("button", name="Tomorrow").click()
        expect(page.locator("#outbox")).to_have_text("Waiting to send: 3")

        # And a contact through the full form (kept by the worker when it installed).
        page.goto(lte_server.url("/app/contacts/new"))
        form = page.get_by_role("main")
        form.get_by_label("First name").fill("Fiona")
        form.get_by_label("Last name").fill("Form")
        form.get_by_label("Phone number").first.fill("+1 415 555 0199")  # the first row, its label "Mobile"
        form.get_by_label("Tags").fill("fair, tea")
        with page.expect_navigation():
            form.get_by_role("button", name="Save").click()
        expect(page.locator("#outbox")).to_have_text("Waiting to send: 4")
        queued = page.evaluate(OUTBOX_ENTRIES)
        assert [entry["kind"] for entry in queued] == ["contact", "note", "followup", "contact"]
        assert all(entry["key"] for entry in queued)

        # Nothing reached the server yet.
        _, found, _ = api(lte_server, "GET", "/api/v1/contacts?q=Omar", token=token)
        assert found["count"] == 0
        assert note_bodies(lte_server, token, contact_id) == []

        # The connection is back: the page's `online` event has the worker send both, and the box empties.
        context.set_offline(False)
        page.wait_for_function("() => window.LTEOutbox.all().then(entries => entries.length === 0)")
        expect(page.locator("#outbox")).to_be_hidden()
        _, found, _ = api(lte_server, "GET", "/api/v1/contacts?q=Omar", token=token)
        assert found["count"] == 1
        assert (found["items"][0]["first_name"], found["items"][0]["last_name"]) == ("Omar", "Offline")
        assert note_bodies(lte_server, token, contact_id) == ["Met at the spring fair, wants the catalogue"]
        assert followup_titles(lte_server, token) == ["Bring the catalogue"]
        _, found, _ = api(lte_server, "GET", "/api/v1/contacts?q=Fiona", token=token)
        assert found["count"] == 1
        fiona = found["items"][0]
        assert (fiona["phones"], fiona["tags"]) == (["+14155550199"], ["fair", "tea"])

        # Sent twice (an answer lost on the way back): the same Idempotency-Key writes nothing again.
        for entry in queued:
            status, _, headers = resend_from_the_page(page, entry)
            assert 200 <= status < 300
            assert headers.get("idempotent-replayed") == "true"
        _, found, _ = api(lte_server, "GET", "/api/v1/contacts?q=Omar", token=token)
        assert found["count"] == 1
        assert len(note_bodies(lte_server, token, contact_id)) == 1
        assert len(followup_titles(lte_server, token)) == 1

        # Logging out wipes the kept pages and the outbox from the phone.
        page.goto(lte_server.url("/app/"))
        assert page.evaluate(PAGE_CACHES) == ["lte-pages"]
        with page.expect_navigation():
            page.get_by_role("banner").get_by_role("button", name="Log out").click()
        page.wait_for_load_state()
        assert page.evaluate(PAGE_CACHES) == []
        assert page.evaluate(OUTBOX_ENTRIES) == []
        offline_page = page.evaluate("() => caches.match('/offline').then(response => response.text())")
        assert "No connection" in offline_page and 'name="lte-account"' not in offline_page
        assert not errors, errors


def test_what_the_server_refuses_stays_visible_until_dismissed_and_deletion_wipes_the_phone(
        phone, lte_server: LteServer, browser: Browser) -> None:
    context, page, errors = phone
    seller = new_seller(lte_server, browser, "rita.refused@example.com", "Rita Refused")
    token, contact_id = seller["token"], seller["contact_id"]
    with lte_server.log_on_failure():
        log_in(page, lte_server, seller["email"])
        wait_for_the_worker(page)
        page.goto(lte_server.url(f"/app/contacts/{contact_id}/"))

        # A note written offline on a contact that is deleted elsewhere before the connection is back.
        context.set_offline(True)
        page.goto(lte_server.url(f"/app/contacts/{contact_id}/"))
        page.get_by_text("+ Note").click()
        page.get_by_label("Note").fill("Wants the autumn catalogue")
        with page.expect_navigation():
            page.get_by_role("button", name="Save note").click()
        expect(page.locator("#outbox")).to_have_text("Waiting to send: 1")
        status, _, _ = api(lte_server, "DELETE", f"/api/v1/contacts/{contact_id}", token=token)
        assert status == 204

        # The server answers 404: the note is not lost silently; it stays, with what was typed, until dismissed.
        context.set_offline(False)
        box = page.locator("#outbox")
        expect(box).to_contain_text("Not accepted, please add again: 1")
        expect(box).to_contain_text("Wants the autumn catalogue")
        box.get_by_role("button", name="Dismiss").click()
        expect(box).to_be_hidden()
        assert page.evaluate(OUTBOX_ENTRIES) == []

        # Deleting the account wipes the kept pages and the outbox (here an entry that was never sent).
        page.goto(lte_server.url("/app/"))
        page.evaluate("""() => window.LTEOutbox.add({kind: "note", url: "/api/v1/contacts/x/notes", label: "left",
                                                     body: {body: "left"}, account: "someone-else"})""")
        assert page.evaluate(PAGE_CACHES) == ["lte-pages"]
        page.goto(lte_server.url("/app/delete-account/"))
        page.get_by_label("Your password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Delete my account now").click()
        assert page.evaluate(PAGE_CACHES) == []
        assert page.evaluate(OUTBOX_ENTRIES) == []
        assert not errors, errors


def note_bodies(server: LteServer, token: str, contact_id: str) -> list[str]:
    _, notes, _ = api(server, "GET", f"/api/v1/contacts/{contact_id}/notes", token=token)
    items = notes["items"] if isinstance(notes, dict) else notes
    return [note["body"] for note in items]


def followup_titles(server: LteServer, token: str) -> list[str]:
    _, followups, _ = api(server, "GET", "/api/v1/followups?due=upcoming", token=token)
    items = followups["items"] if isinstance(followups, dict) else followups
    return [followup["title"] for followup in items]


def resend_from_the_page(page: Page, entry: dict) -> tuple[int, dict, dict]:
    """The same POST the outbox sent, again, from the signed-in page (its session and CSRF token)."""
    return tuple(page.evaluate(
        """async (entry) => {
          const token = document.querySelector('input[name="csrfmiddlewaretoken"]').value;
          const response = await fetch(entry.url, {method: "POST", credentials: "same-origin",
            headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Idempotency-Key": entry.key},
            body: JSON.stringify(entry.body)});
          return [response.status, await response.json(), Object.fromEntries(response.headers.entries())];
        }""", entry))
