"""Settings → Billing: one line while billing is off; prices, Checkout and the portal while it is on."""

from __future__ import annotations

from lte.billing.models import Subscription


def test_with_billing_off_the_page_says_every_feature_is_free(alice_client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # a call to Stripe would fail the page
    response = alice_client.get("/app/settings/billing")
    assert response.status_code == 200
    assert b"Billing is off on this server: every feature is free." in response.content
    assert b"Upgrade" not in response.content
    assert b"checkout.stripe.com" not in response["Content-Security-Policy"].encode()


def test_with_billing_off_checkout_and_portal_do_not_exist(alice_client):
    assert alice_client.post("/app/settings/billing/checkout", {"plan": "pro"}).status_code == 404
    assert alice_client.post("/app/settings/billing/portal").status_code == 404
    assert not Subscription.objects.exists()


def test_with_billing_on_it_offers_the_plans_in_the_sellers_currency(fake_stripe, alice, alice_client):
    alice.currency = "EUR"
    alice.save(update_fields=["currency"])
    page = alice_client.get("/app/settings/billing").content.decode()
    assert '<span>Upgrade to Pro</span> <span class="offer-price">€9.00 / month</span>' in page
    assert '<span>Upgrade to Leader</span> <span class="offer-price">€19.00 / month</span>' in page
    assert "14 days" in page
    assert not Subscription.objects.exists()  # looking costs nothing at Stripe


def test_only_the_billing_page_may_send_a_form_to_stripe(fake_stripe, alice_client):
    billing = alice_client.get("/app/settings/billing")["Content-Security-Policy"]
    form_action = next(d for d in billing.split(";") if d.strip().startswith("form-action"))
    assert "https://checkout.stripe.com" in form_action
    assert "https://billing.stripe.com" in form_action
    assert "stripe" not in next(d for d in billing.split(";") if d.strip().startswith("script-src"))
    for other in ("/app/", "/app/settings/", "/app/settings/preferences"):
        assert "stripe" not in alice_client.get(other)["Content-Security-Policy"], other


def test_no_stripe_script_is_on_the_billing_page(fake_stripe, alice_client):
    page = alice_client.get("/app/settings/billing").content.decode()
    assert "js.stripe.com" not in page
    assert "<input" not in page.replace('<input type="hidden" name="csrfmiddlewaretoken"', "").replace(
        '<input type="hidden" name="plan"', "")  # no card field, nor any other field of ours


def test_an_unknown_plan_is_refused_with_a_message(fake_stripe, alice_client):
    response = alice_client.post("/app/settings/billing/checkout", {"plan": "platinum"}, follow=True)
    assert b"Choose Pro or Leader." in response.content
    assert not Subscription.objects.exists()


def test_your_data_shows_the_billing_ids_we_hold(fake_stripe, alice_client, api):
    alice_client.post("/app/settings/billing/checkout", {"plan": "pro"})
    sub = Subscription.objects.get()
    billing = api.get("/api/v1/me/data").json()["billing"]
    assert billing["stripe_customer"] == sub.customer_id
    assert billing["plan"] == "free"
    assert "never stored" in billing["card_data"]


def test_the_your_data_page_names_the_stripe_customer(fake_stripe, alice_client):
    alice_client.post("/app/settings/billing/checkout", {"plan": "pro"})
    sub = Subscription.objects.get()
    assert sub.customer_id in alice_client.get("/app/your-data/").content.decode()
