"""Your data on a 390×844 phone in real Chromium (issue 15 part 5): the first screen shows the summary (records,
account, plan, devices), and with its folds closed the page is no taller than about three screens."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import ViewportSize

from lte.testing.browser import PASSWORD, outbox_files, single_link, wait_for_new_email

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE_390: ViewportSize = {"width": 390, "height": 844}
ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Mobile Safari/537.36")
EMAIL = "dana.data@example.com"


def _api(server, method: str, path: str, body: dict, token: str = "") -> dict:
    request = urllib.request.Request(
        server.url(path), method=method, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read() or b"{}")


def test_the_first_screen_is_the_summary_and_the_page_is_short(browser, lte_server):
    seen = outbox_files(lte_server)
    _api(lte_server, "POST", "/api/v1/auth/signup",
         {"name": "Dana Data", "email": EMAIL, "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = browser.new_context(viewport=PHONE_390, screen=PHONE_390, is_mobile=True, has_touch=True,
                                  locale="en-US", service_workers="block", user_agent=ANDROID_CHROME)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto(link)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        token = _api(lte_server, "POST", "/api/v1/auth/token", {"email": EMAIL, "password": PASSWORD})["token"]
        for name in ("Ana", "Bea", "Cy"):
            contact = _api(lte_server, "POST", "/api/v1/contacts", {"first_name": name}, token)
            _api(lte_server, "POST", f"/api/v1/contacts/{contact['id']}/notes", {"body": "Met at the fair"}, token)
        page.goto(lte_server.url("/login"))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("main").get_by_role("button", name="Log in").click()

        response = page.goto(lte_server.url("/app/your-data/"))
        assert response is not None and response.status == 200
        summary = page.locator("#summary")
        box = summary.bounding_box()
        assert box is not None and box["y"] >= 0
        assert box["y"] + box["height"] <= PHONE_390["height"], box  # the whole summary on the first screen
        text = summary.inner_text()
        assert "Contacts 3" in text and "Notes 3" in text and "Free" in text and "Chrome on Android" in text
        assert page.locator("details.card[open]").count() == 0
        tall = page.evaluate("document.documentElement.scrollHeight")
        assert tall <= 3 * PHONE_390["height"], tall
        # a fold opens on a tap and shows what it holds
        page.get_by_text("Logins and devices", exact=True).click()
        assert page.locator("#devices").get_by_text("In the browser's own words").first.is_visible()
    finally:
        context.close()
