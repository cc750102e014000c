"""Cookies proven: a real browser crawls every page of the app (from the dashboard, following links) and
of the marketing site. The app sets only the session and preferences cookies, the marketing pages only
the anonymous counting cookie (and none under Global Privacy Control or Do Not Track), and no page loads
anything from another host."""

from __future__ import annotations

import json
import urllib.request
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest

from lte.testing.browser import ALLOWED_HOST, PASSWORD, PHONE, outbox_files, single_link, wait_for_new_email

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]  # one server and browser per module: one worker
APP_COOKIES = {"lte_session", "lte_prefs"}
# /report-child is a form (its CSRF token lives in the session, like /signup): not a marketing page.
MARKETING = ["/", "/pricing", "/privacy", "/terms", "/cookies"]
SKIP = ("/accounts/logout", "/static/", "/api/", "/staff/", "/app/your-data/export", "/app/delete-account",
        "/app/your-data/clear", "/accounts/email", "/accounts/password/change", "/accounts/2fa",
        "/accounts/reauthenticate")
MAX_PAGES = 80


class Watcher:
    def __init__(self, context) -> None:
        self.context = context
        self.cookies: set[str] = set()
        self.hosts: set[str] = set()
        context.on("request", lambda request: self.hosts.add(urlsplit(request.url).hostname or ""))
        context.on("response", self._response)

    def _response(self, response) -> None:
        for header in response.headers_array():
            if header["name"].lower() == "set-cookie":
                self.cookies.add(header["value"].split("=", 1)[0].strip())


def _api(server, method: str, path: str, body: dict | None = None, token: str = "") -> dict:
    request = urllib.request.Request(server.url(path), method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        text = response.read()
        return json.loads(text) if text else {}


def _seller(server, chromium) -> tuple[object, str]:
    """A verified seller with a contact, a note and a follow-up, logged in in a phone-sized browser."""
    seen = outbox_files(server)
    _api(server, "POST", "/api/v1/auth/signup",
         {"name": "Crawl Seller", "email": "crawl@example.com", "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(server, seen))
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, service_workers="block")
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    token = _api(server, "POST", "/api/v1/auth/token", {"email": "crawl@example.com", "password": PASSWORD})["token"]
    contact = _api(server, "POST", "/api/v1/contacts", {"first_name": "Zoë", "last_name": "García",
                                                       "emails": ["zoe@example.com"], "phones": ["+14155550100"],
                                                       "tags": ["vip"]}, token)
    _api(server, "POST", f"/api/v1/contacts/{contact['id']}/notes", {"body": "Loves the tea"}, token)
    _api(server, "POST", "/api/v1/followups", {"contact_id": contact["id"], "title": "Call back",
                                               "due_at": "2030-01-01T10:00:00Z"}, token)
    page.close()
    return context, token


def test_every_app_page_sets_only_the_two_cookies_and_stays_on_our_host(browser, lte_server):
    context, _token = _seller(lte_server, browser)
    watcher = Watcher(context)
    page = context.new_page()
    page.goto(lte_server.url("/login"))
    page.get_by_label("Email").fill("crawl@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/app/**")
    # Set a preference, so the preferences cookie is part of what is checked.
    page.goto(lte_server.url("/app/settings/preferences"))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()

    queue, visited = deque(["/app/"]), set()
    while queue and len(visited) < MAX_PAGES:
        path = queue.popleft()
        if path in visited:
            continue
        visited.add(path)
        response = page.goto(lte_server.url(path))
        assert response is not None and response.status < 500, (path, response and response.status)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            url = urlsplit(urljoin(lte_server.url(path), href))
            if url.hostname != ALLOWED_HOST or url.scheme not in ("http", "https"):
                continue
            target = url.path + (f"?{url.query}" if url.query else "")
            if target not in visited and not target.startswith(SKIP):
                queue.append(target)
    context.close()
    assert len(visited) >= 12, visited
    assert {"/app/", "/app/contacts/", "/app/your-data/"} <= visited
    assert watcher.hosts == {ALLOWED_HOST}, watcher.hosts
    assert "lte_session" in watcher.cookies
    assert watcher.cookies <= APP_COOKIES, watcher.cookies


@pytest.mark.parametrize("privacy_header", [None, {"Sec-GPC": "1"}, {"DNT": "1"}])
def test_marketing_pages_set_one_counting_cookie_at_most_and_none_under_gpc_or_dnt(browser, lte_server,
                                                                                  privacy_header):
    context = browser.new_context(viewport=PHONE, extra_http_headers=privacy_header or {})
    watcher = Watcher(context)
    page = context.new_page()
    for path in MARKETING:
        response = page.goto(lte_server.url(path))
        assert response is not None and response.status == 200, path
    context.close()
    assert watcher.hosts == {ALLOWED_HOST}
    if privacy_header:
        assert watcher.cookies == set(), watcher.cookies
    else:
        assert len(watcher.cookies) <= 1, watcher.cookies
