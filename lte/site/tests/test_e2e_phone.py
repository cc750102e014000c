"""The main pages on a 390×844 phone in real Chromium (issue 15 part 6): every control a thumb presses on its own
is at least 44 × 44 px, and axe-core (vendored in static/vendor/, loaded from our own origin so the CSP stays
'self') finds no serious or critical accessibility violation. Folded sections (<details>) are opened first, so
what they hide is measured too."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from lte.testing.browser import PASSWORD, outbox_files, single_link, wait_for_new_email
from lte.testing.server import LteServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]  # one server and browser per module: one worker

PHONE_390: ViewportSize = {"width": 390, "height": 844}
EMAIL = "tess.taps@example.com"
MIN_TAP = 44
PUBLIC_PAGES = ["/", "/pricing", "/privacy", "/login", "/signup", "/accounts/password/reset/"]
APP_PAGES = ["/app/", "/app/contacts/", "/app/contacts/{contact}/", "/app/contacts/new", "/app/board/",
             "/app/stages/", "/app/stages/presented/delete",
             "/app/followups/", "/app/templates/", "/app/settings/", "/app/your-data/",
             "/app/welcome", "/app/welcome?step=2", "/app/welcome?step=3", "/accounts/email/", "/accounts/2fa/",
             "/accounts/password/change/", "/accounts/logout/"]

# Every visible control smaller than MIN_TAP in either direction. A radio or a checkbox counts with its label
# (the label is what a thumb presses); a link inside a sentence is exempt, as WCAG 2.5.8 allows.
SMALL_TAP_TARGETS = """(min) => {
  document.querySelectorAll("details").forEach((details) => { details.open = true; });
  const shown = (el) => { const style = getComputedStyle(el); const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none" && box.width > 0 && box.height > 0; };
  const inSentence = (el) => {
    const parent = el.parentElement;
    return el.tagName === "A" && getComputedStyle(el).display === "inline" && parent !== null &&
      parent.textContent.replace(el.textContent, "").trim().length > 1;
  };
  const area = (el) => {
    let box = el.getBoundingClientRect();
    if (el.matches("input[type=radio], input[type=checkbox]")) {
      const label = el.closest("label") || (el.id && document.querySelector(`label[for="${el.id}"]`));
      if (label) {
        const around = label.getBoundingClientRect();
        box = {width: Math.max(box.right, around.right) - Math.min(box.left, around.left),
               height: Math.max(box.bottom, around.bottom) - Math.min(box.top, around.top)};
      }
    }
    return box;
  };
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, summary, select, input:not([type=hidden]), textarea")) {
    if (!shown(el) || inSentence(el) || el.closest(".skip")) continue;
    const box = area(el);
    if (box.width < min - 0.5 || box.height < min - 0.5) {
      const name = (el.textContent || el.getAttribute("name") || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      small.push(`<${el.tagName.toLowerCase()}> "${name}" ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}"""
SERIOUS_AXE_VIOLATIONS = """async () => {
  const result = await window.axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
}"""


def api(server: LteServer, method: str, path: str, body: dict, token: str = "") -> dict:
    request = urllib.request.Request(
        server.url(path), method=method, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read() or b"{}")


def new_phone(browser: Browser) -> BrowserContext:
    context = browser.new_context(viewport=PHONE_390, screen=PHONE_390, is_mobile=True, has_touch=True,
                                  locale="en-US", service_workers="block")
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def visitor(browser: Browser) -> Iterator[Page]:
    context = new_phone(browser)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def seller(browser: Browser, lte_server: LteServer) -> Iterator[tuple[Page, str]]:
    """Signed in as a seller with a contact that has a phone, an email, a note and a follow-up (so the contact
    page shows every kind of control); yields the page and the contact's id."""
    seen = outbox_files(lte_server)
    api(lte_server, "POST", "/api/v1/auth/signup",
        {"name": "Tess Taps", "email": EMAIL, "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = new_phone(browser)
    page = context.new_page()
    try:
        page.goto(link)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        token = api(lte_server, "POST", "/api/v1/auth/token", {"email": EMAIL, "password": PASSWORD})["token"]
        contact = api(lte_server, "POST", "/api/v1/contacts",
                      {"first_name": "Ana", "last_name": "Tap", "phones": ["+14155550100"],
                       "emails": ["ana@example.com"]}, token)
        api(lte_server, "POST", f"/api/v1/contacts/{contact['id']}/notes", {"body": "Likes the green tea"}, token)
        api(lte_server, "POST", "/api/v1/followups", {"contact_id": contact["id"], "title": "Call back",
                                                      "due_at": "2030-01-01T10:00:00Z"}, token)
        page.goto(lte_server.url("/login"))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("main").get_by_role("button", name="Log in").click()
        yield page, contact["id"]
    finally:
        context.close()


def check(page: Page, server: LteServer, path: str) -> None:
    response = page.goto(server.url(path))
    assert response is not None and response.status == 200, (path, response and response.status)
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate(SERIOUS_AXE_VIOLATIONS)
    assert not violations, f"{path}: axe finds\n" + "\n".join(violations)
    small = page.evaluate(SMALL_TAP_TARGETS, MIN_TAP)
    assert not small, f"{path}: tap targets under {MIN_TAP} px:\n" + "\n".join(small)
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= PHONE_390["width"], f"{path}: the page is {wide} px wide, so it scrolls sideways on the phone"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_big_tap_targets_and_no_serious_axe_violation(visitor: Page, lte_server: LteServer,
                                                                        path: str) -> None:
    with lte_server.log_on_failure():
        check(visitor, lte_server, path)


@pytest.mark.parametrize("path", APP_PAGES)
def test_app_pages_have_big_tap_targets_and_no_serious_axe_violation(seller, lte_server: LteServer,
                                                                     path: str) -> None:
    page, contact_id = seller
    with lte_server.log_on_failure():
        check(page, lte_server, path.format(contact=contact_id))


@pytest.mark.parametrize("path", ["/app/", "/app/contacts/", "/app/settings/"])
def test_the_header_is_one_line_and_names_today_once(seller, lte_server: LteServer, path: str) -> None:
    """The review's "2-line header repeats Today": the bar is one row of tap targets, and Today is the tab bar's."""
    page, _contact_id = seller
    page.goto(lte_server.url(path))
    header = page.locator("header.bar")
    box = header.bounding_box()
    assert box is not None and box["height"] < 2 * MIN_TAP, f"{path}: the header is {box} high"
    assert header.get_by_role("link", name="Today", exact=True).count() == 0
    assert page.locator("nav.crm-nav").get_by_role("link", name="Today").count() == 1


@pytest.mark.parametrize("path", ["/app/settings/", "/app/your-data/", "/app/settings/tokens"])
def test_the_settings_tabs_are_one_row_with_the_current_tab_in_view(seller, lte_server: LteServer,
                                                                    path: str) -> None:
    page, _contact_id = seller
    page.goto(lte_server.url(path))
    tabs = page.locator(".settings > .tabs")
    row = tabs.bounding_box()
    assert row is not None and row["height"] < 2 * MIN_TAP, f"{path}: the tabs wrap ({row})"
    current = tabs.locator("[aria-current=page]")
    box = current.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_390["width"], (
        f"{path}: the current tab is off the screen at {box}")
