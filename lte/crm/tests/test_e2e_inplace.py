"""In-place saves in a real browser (issue 15 part 2): on a phone-sized Chromium against a real `lte run`, a note
saved on a contact's page shows at the top of the history with the focus on it and no navigation; after "Load
more", a contact and Back, the list has all its rows again and its scroll position."""

from __future__ import annotations

import json
import urllib.request

import pytest

from lte.testing.browser import PASSWORD, PHONE, outbox_files, single_link, wait_for_new_email

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _api(server, method: str, path: str, body: dict | None = None, token: str = ""):
    request = urllib.request.Request(server.url(path), method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        text = response.read()
        return json.loads(text) if text else {}


def test_a_note_saves_in_place_and_back_after_load_more_keeps_the_list(browser, lte_server):
    seen = outbox_files(lte_server)
    _api(lte_server, "POST", "/api/v1/auth/signup",
         {"name": "Inplace Seller", "email": "inplace@example.com", "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, service_workers="block")
    context.set_default_timeout(15_000)
    errors: list[str] = []
    context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    token = _api(lte_server, "POST", "/api/v1/auth/token",
                 {"email": "inplace@example.com", "password": PASSWORD})["token"]
    ids = [_api(lte_server, "POST", "/api/v1/contacts", {"first_name": f"Lead{i:02d}", "last_name": "Person"},
                token)["id"] for i in range(70)]
    page.goto(lte_server.url("/login"))
    page.get_by_label("Email").fill("inplace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/app/**")

    # A note, saved in place: the same page (no load), the note first in the history, focused.
    page.goto(lte_server.url(f"/app/contacts/{ids[0]}/"))
    page.evaluate("window.__same_page = true")
    page.get_by_text("+ Note").click()
    field = page.get_by_label("Note")
    assert field.evaluate("el => el === document.activeElement")  # the opened form is focused
    field.fill("Loves the lavender one")
    page.get_by_role("button", name="Save note").click()
    first = page.locator("ol.timeline > li").first
    first.get_by_text("Loves the lavender one").wait_for()
    assert page.evaluate("window.__same_page === true")
    page.wait_for_function("() => document.activeElement && document.activeElement.matches('ol.timeline > li.tl-note')")
    assert page.evaluate("document.activeElement.textContent").count("Loves the lavender one") == 1
    assert page.get_by_label("Note").input_value() == ""  # the form is fresh for the next one

    # Load more, scroll, open a contact of the second page, Back: all the rows again, and where it was.
    page.goto(lte_server.url("/app/contacts/"))
    rows = page.locator("#contact-rows a.row")
    assert rows.count() == 50
    page.get_by_role("link", name="Load more").click()
    page.wait_for_function("() => document.querySelectorAll('#contact-rows a.row').length === 70")
    assert "rows=100" in page.url
    target = rows.nth(60)
    target.scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 1000
    target.click()
    page.wait_for_url("**/app/contacts/*-*/")
    page.go_back()
    page.wait_for_function("() => document.querySelectorAll('#contact-rows a.row').length === 70")
    page.wait_for_function(f"() => Math.abs(window.scrollY - {scrolled}) < 200")
    assert not errors, errors
    context.close()
