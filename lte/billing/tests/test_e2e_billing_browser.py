"""A real browser on a server with billing on (against localstripe): Settings → Billing loads nothing from any
other host (no Stripe script), and its upgrade button leaves for Stripe's hosted Checkout — allowed by the
CSP on that page only. Stripe's page itself is answered by the test: nothing leaves the machine."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from lte.billing.tests.conftest import SECRET_KEY, WEBHOOK_SECRET
from lte.site.tests.test_e2e_crawl import _seller
from lte.testing import fakestripe
from lte.testing.browser import ALLOWED_HOST, PASSWORD
from lte.testing.server import LteServer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e-billing")]


@pytest.fixture(scope="module")
def billing_server(tmp_path_factory) -> Iterator[LteServer]:
    base = fakestripe.start()
    server = LteServer(root=tmp_path_factory.mktemp("e2e-billing"), from_template=True,
                       extra_env={"STRIPE_SECRET_KEY": SECRET_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                                  "STRIPE_API_BASE": base})
    try:
        server.start()
        yield server
        assert server.stop() == 0, server.log()
        assert "Traceback" not in server.log_path.read_text(errors="replace"), server.log()
    finally:
        server.stop()
        server.cleanup()


def test_the_billing_page_loads_no_stripe_script_and_upgrades_through_hosted_checkout(browser, billing_server):
    signed_up, _token = _seller(billing_server, browser)
    page = signed_up.new_page()
    page.goto(billing_server.url("/login"))
    page.get_by_label("Email").fill("crawl@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/app/**")
    # The same session in a browser whose every request to another host goes to a proxy that isn't there, so
    # Stripe's hosted page is asked for (the CSP let the form's redirect go) but nothing leaves the machine.
    context = browser.new_context(storage_state=signed_up.storage_state(), service_workers="block",
                                  proxy={"server": "http://127.0.0.1:9", "bypass": "127.0.0.1"})
    signed_up.close()
    requested: list[str] = []
    refused: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text
            else None)
    page.goto(billing_server.url("/app/settings/billing"))
    assert page.locator("#current-plan").inner_text() == "Free"
    assert {urlsplit(url).hostname for url in requested} == {ALLOWED_HOST}, requested  # no Stripe script, nothing
    assert page.locator("script[src*='stripe']").count() == 0

    with page.expect_request("https://checkout.stripe.com/**") as to_stripe:
        page.get_by_role("button", name="Upgrade to Pro").click()
    assert to_stripe.value.url.startswith("https://checkout.stripe.com/c/pay/cs_test_")
    assert not refused, refused
    (session,) = [s for s in fakestripe.checkout_sessions.values() if s["url"] == to_stripe.value.url]
    assert session["mode"] == "subscription"
    context.close()
