"""One-tap logging in a real browser (issue 14): on a phone-sized Chromium against a real `lte run`, a Call tap on
a contact and a script's SMS link on the compose page are logged by lte.js while the app would open — no reload,
the answer with its "how did it go?" and "Didn't send" shows in place, no console error or CSP violation."""

from __future__ import annotations

import json
import urllib.request

import pytest

from lte.testing.browser import PASSWORD, PHONE, outbox_files, single_link, wait_for_new_email

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

# The phone's own app can't open in a headless browser: a tap on tel:/sms: goes nowhere, as if the app opened and
# the seller came back. (Captured first, so the page's own click handler still runs.)
NO_EXTERNAL_APPS = """
document.addEventListener("click", (event) => {
  const link = event.target.closest && event.target.closest('a[href^="tel:"], a[href^="sms:"]');
  if (link) { event.preventDefault(); }
}, true);
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective}`);
});
"""


def _api(server, method: str, path: str, body: dict | None = None, token: str = ""):
    request = urllib.request.Request(server.url(path), method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        text = response.read()
        return json.loads(text) if text else {}


def test_taps_are_logged_without_a_reload_and_can_be_taken_back(browser, lte_server):
    seen = outbox_files(lte_server)
    _api(lte_server, "POST", "/api/v1/auth/signup",
         {"name": "Tap Seller", "email": "tap@example.com", "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, service_workers="block")
    context.set_default_timeout(15_000)
    context.add_init_script(NO_EXTERNAL_APPS)
    errors: list[str] = []
    context.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    token = _api(lte_server, "POST", "/api/v1/auth/token", {"email": "tap@example.com", "password": PASSWORD})["token"]
    contact = _api(lte_server, "POST", "/api/v1/contacts", {"first_name": "Zoë", "phones": ["+14155550100"]}, token)
    script = _api(lte_server, "POST", "/api/v1/templates", {"name": "Hello", "channel": "sms",
                                                           "body": "Hi {first_name}!"}, token)
    page.goto(lte_server.url("/login"))
    page.get_by_label("Email").fill("tap@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/app/**")

    def messages() -> list[dict]:
        return _api(lte_server, "GET", f"/api/v1/contacts/{contact['id']}/messages", token=token)

    page.goto(lte_server.url(f"/app/contacts/{contact['id']}/"))
    page.evaluate("window.stillTheSamePage = true")
    page.locator('a[data-attempt="call"]').first.click()
    status = page.locator("#attempt-status")
    status.get_by_text("Call logged").wait_for()
    assert [(m["channel"], m["direction"]) for m in messages()] == [("call", "out")]
    status.get_by_role("button", name="No answer").click()
    status.get_by_text("Noted: No answer").wait_for()
    assert [m["body"] for m in messages()] == ["No answer"]
    assert page.evaluate("window.stillTheSamePage === true")  # no reload

    page.goto(lte_server.url(f"/app/contacts/{contact['id']}/compose?template={script['id']}"))
    page.evaluate("window.stillTheSamePage = true")
    page.locator('a[data-log-sent][data-channel="sms"]').first.click()
    logged = page.locator("#logged-status")
    logged.get_by_text("Logged as sent (SMS)").wait_for()
    assert sorted(m["body"] for m in messages()) == ["Hi Zoë!", "No answer"]
    logged.get_by_role("button", name="Didn't send").click()
    logged.get_by_text("nothing was logged").wait_for()
    assert [m["body"] for m in messages()] == ["No answer"]
    assert page.evaluate("window.stillTheSamePage === true")
    context.close()
    assert not errors, errors


def test_a_placeholder_is_inserted_where_the_cursor_is(browser, lte_server):
    seen = outbox_files(lte_server)
    _api(lte_server, "POST", "/api/v1/auth/signup",
         {"name": "Script Writer", "email": "scripts@example.com", "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, service_workers="block")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(link)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(lte_server.url("/login"))
    page.get_by_label("Email").fill("scripts@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/app/**")
    page.goto(lte_server.url("/app/templates/new"))
    body = page.locator("#id_body")
    body.fill("Hi , see you soon!")
    body.evaluate("field => field.setSelectionRange(3, 3)")  # after "Hi "
    page.locator('[data-insert="{first_name}"]').tap()
    assert body.input_value() == "Hi {first_name}, see you soon!"
    page.locator('[data-insert="{my_name}"]').tap()  # the cursor stayed after what was inserted
    assert body.input_value() == "Hi {first_name}{my_name}, see you soon!"
    context.close()
