"""The contact form and the list on a 390×844 phone in real Chromium (issue 15 part 3): "+ add phone" adds a
focused row, the customer-only fields appear when the stage is Customer, a network picker and a handle, what was
typed saves with its labels; the list's row calls or texts the main number; a search that found nothing adds
what was searched as a contact."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from lte.site.tests.test_e2e_phone import MIN_TAP, SERIOUS_AXE_VIOLATIONS, SMALL_TAP_TARGETS, api, new_phone
from lte.testing.browser import PASSWORD, outbox_files, single_link, wait_for_new_email
from lte.testing.server import LteServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

EMAIL = "fern.form@example.com"


@pytest.fixture(scope="module")
def seller(browser: Browser, lte_server: LteServer) -> Iterator[tuple[Page, str]]:
    seen = outbox_files(lte_server)
    api(lte_server, "POST", "/api/v1/auth/signup",
        {"name": "Fern Form", "email": EMAIL, "password": PASSWORD, "adult": True})
    link = single_link(wait_for_new_email(lte_server, seen))
    context = new_phone(browser)
    page = context.new_page()
    try:
        page.goto(link)
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        token = api(lte_server, "POST", "/api/v1/auth/token", {"email": EMAIL, "password": PASSWORD})["token"]
        page.goto(lte_server.url("/login"))
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("main").get_by_role("button", name="Log in").click()
        yield page, token
    finally:
        context.close()


def test_the_form_adds_rows_shows_customer_fields_and_saves(seller, lte_server: LteServer) -> None:
    page, token = seller
    with lte_server.log_on_failure():
        page.goto(lte_server.url("/app/contacts/new"))
        form = page.locator("form[data-contact-form]")
        expect(form.get_by_label("Customer since")).to_be_hidden()  # a new lead isn't a customer yet
        form.get_by_label("Stage").select_option("customer")
        expect(form.get_by_label("Customer since")).to_be_visible()
        expect(form.get_by_label("Reorder every (days)")).to_be_visible()

        phones = form.get_by_label("Phone number")
        expect(phones).to_have_count(2)
        form.get_by_role("button", name="+ add phone").click()
        expect(phones).to_have_count(3)
        expect(phones.nth(2)).to_be_focused()
        assert phones.nth(0).get_attribute("type") == "tel"

        form.get_by_label("First name").fill("Gina")
        form.get_by_label("Last name").fill("Rows")
        phones.nth(0).fill("+1 415 555 0142")
        phones.nth(2).fill("+1 415 555 0143")
        form.get_by_label("Label").nth(2).select_option("work")
        form.get_by_label("Email address").first.fill("gina@example.com")
        form.get_by_label("Network").first.select_option("tiktok")
        form.get_by_label("Handle or link").first.fill("@gina")

        page.add_script_tag(url="/static/vendor/axe.min.js")
        assert not page.evaluate(SERIOUS_AXE_VIOLATIONS)
        assert not page.evaluate(SMALL_TAP_TARGETS, MIN_TAP)
        with page.expect_navigation():
            form.get_by_role("button", name="Save").click()
        assert re.search(r"/app/contacts/[0-9a-f-]+/$", page.url)

    found = api_get(lte_server, "/api/v1/contacts?q=Gina", token)["items"][0]
    assert (found["phones"], found["phone_labels"]) == (["+14155550142", "+14155550143"], ["mobile", "work"])
    assert found["emails"] == ["gina@example.com"] and found["social"] == {"tiktok": "@gina"}
    assert found["stage"] == "customer"


def test_the_list_calls_from_a_row_and_adds_what_was_not_found(seller, lte_server: LteServer) -> None:
    page, token = seller
    # its own contact: this test must not depend on the form test having run first
    api(lte_server, "POST", "/api/v1/contacts", {"first_name": "Lena", "last_name": "Rows",
                                                  "phones": ["+1 415 555 0144"]}, token)
    with lte_server.log_on_failure():
        page.goto(lte_server.url("/app/contacts/?q=Lena"))
        row = page.locator("#contact-rows > li", has_text="Lena Rows")
        expect(row.locator(".row-phone")).to_have_text(re.compile(r"415.*555.*0144"))
        call = row.get_by_role("link", name="Call Lena")
        assert call.get_attribute("href") == "tel:+14155550144"
        assert row.get_by_role("link", name="Text Lena").get_attribute("href") == "sms:+14155550144"
        box = call.bounding_box()
        assert box and box["width"] >= MIN_TAP and box["height"] >= MIN_TAP

        page.goto(lte_server.url("/app/contacts/?q=Hana+Nobody"))
        expect(page.get_by_text("No contacts match.")).to_be_visible()
        with page.expect_navigation():
            page.get_by_role("link", name="Add ‘Hana Nobody’ as a contact").click()
        form = page.locator("form[data-contact-form]")
        expect(form.get_by_label("First name")).to_have_value("Hana")
        expect(form.get_by_label("Last name")).to_have_value("Nobody")
        with page.expect_navigation():
            form.get_by_role("link", name="Cancel").click()
        assert page.url.endswith("/app/contacts/")


def api_get(server: LteServer, path: str, token: str) -> dict:
    request = urllib.request.Request(server.url(path), headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        return json.loads(response.read())
