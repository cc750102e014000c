"""A seller upgrades, is charged in their currency, cancels and deletes their account — against localstripe."""

from __future__ import annotations

import pytest
import stripe

from lte.accounts import plans
from lte.billing.models import ProcessedEvent, StripeCustomerDeletion, Subscription
from lte.billing.tests.conftest import deliver, event, pay
from lte.testing import fakestripe
from lte.testing.helpers import PASSWORD, message_text, outbox_messages


@pytest.fixture
def brazilian(alice):
    alice.currency, alice.language = "BRL", "pt-BR"
    alice.save(update_fields=["currency", "language"])
    return alice


def upgrade(alice_client, plan="pro") -> Subscription:
    response = alice_client.post("/app/settings/billing/checkout", {"plan": plan})
    assert response.status_code == 303
    assert response["Location"].startswith("https://checkout.stripe.com/")
    return Subscription.objects.get()


def test_it_opens_checkout_in_the_sellers_currency_at_the_tables_price(fake_stripe, brazilian, alice_client):
    sub = upgrade(alice_client)
    (session,) = fakestripe.checkout_sessions.values()
    assert session["mode"] == "subscription"
    assert session["customer"] == sub.customer_id
    assert session["client_reference_id"] == str(brazilian.pk)
    price = session["line_items"][0]["price_data"]
    assert price["currency"] == "brl"
    assert int(price["unit_amount"]) == plans.minor_units(plans.price(plans.PRO, "BRL"), "BRL") == 4990
    assert price["recurring"]["interval"] == "month"
    assert int(session["subscription_data"]["trial_period_days"]) == 14
    assert session["locale"] == "pt-BR"
    assert "card" not in str(session).lower().replace("cardinal", "")


def test_it_prices_a_zero_decimal_currency_in_whole_units(fake_stripe, alice, alice_client):
    alice.currency = "JPY"
    alice.save(update_fields=["currency"])
    upgrade(alice_client, plan="leader")
    (session,) = fakestripe.checkout_sessions.values()
    assert session["line_items"][0]["price_data"]["currency"] == "jpy"
    assert int(session["line_items"][0]["price_data"]["unit_amount"]) == 2900


def test_it_upgrades_on_the_webhook_and_downgrades_on_cancel(fake_stripe, stripe_client, brazilian, alice_client,
                                                             api, django_capture_on_commit_callbacks):
    sub = upgrade(alice_client)
    assert api.get("/api/v1/me").json()["plan"] == "free"
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="BRL", amount=4990, plan="pro")
    completed = event("checkout.session.completed", {"object": "checkout.session", "id": "cs_test_1",
                                                      "customer": sub.customer_id, "subscription": subscription_id})
    assert deliver(completed).status_code == 200
    assert api.get("/api/v1/me").json()["plan"] == "pro"
    sub.refresh_from_db()
    assert (sub.status, sub.currency, sub.subscription_id) == ("active", "BRL", subscription_id)
    assert sub.current_period_end is not None

    stripe_client.v1.subscriptions.cancel(subscription_id)  # as the Customer Portal would
    deleted = event("customer.subscription.deleted", {"object": "subscription", "id": subscription_id,
                                                      "customer": sub.customer_id, "status": "canceled"})
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(deleted).status_code == 200
    assert api.get("/api/v1/me").json()["plan"] == "free"
    (mail,) = outbox_messages()
    assert "brazilian" not in message_text(mail).lower()
    assert "/app/settings/billing" in message_text(mail)


def test_a_replayed_event_has_no_second_effect(fake_stripe, stripe_client, alice, alice_client, api):
    sub = upgrade(alice_client)
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    stripe_client.v1.subscriptions.cancel(subscription_id)
    deleted = event("customer.subscription.deleted", {"object": "subscription", "id": subscription_id,
                                                      "customer": sub.customer_id}, event_id="evt_once")
    first = deliver(deleted)
    # Pretend we are back on Pro: a second handling of the same event would undo it.
    Subscription.objects.filter(pk=sub.pk).update(plan="pro", status="active")
    second = deliver(deleted)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["detail"] == "replay"
    assert api.get("/api/v1/me").json()["plan"] == "pro"
    assert ProcessedEvent.objects.filter(event_id="evt_once").count() == 1


def test_an_old_event_arriving_late_cannot_undo_the_current_state(fake_stripe, stripe_client, alice, alice_client,
                                                                   api):
    sub = upgrade(alice_client)
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    stripe_client.v1.subscriptions.cancel(subscription_id)
    deliver(event("customer.subscription.deleted", {"object": "subscription", "id": subscription_id,
                                                    "customer": sub.customer_id}))
    # The "active" news from before the cancellation comes last: Stripe's current state (canceled) wins.
    stale = event("customer.subscription.updated", {"object": "subscription", "id": subscription_id,
                                                    "customer": sub.customer_id, "status": "active"})
    assert deliver(stale).status_code == 200
    assert api.get("/api/v1/me").json()["plan"] == "free"


def test_an_unknown_customers_event_is_acknowledged_and_ignored(fake_stripe, alice):
    response = deliver(event("customer.subscription.updated", {"object": "subscription", "id": "sub_x",
                                                               "customer": "cus_not_ours"}))
    assert response.status_code == 200
    assert not Subscription.objects.exists()


def test_the_portal_opens_for_a_customer(fake_stripe, alice, alice_client):
    upgrade(alice_client)
    response = alice_client.post("/app/settings/billing/portal")
    assert response.status_code == 303
    assert response["Location"].startswith("https://billing.stripe.com/")
    (session,) = fakestripe.portal_sessions.values()
    assert session["return_url"].endswith("/app/settings/billing")


def test_the_portal_without_a_customer_says_so(fake_stripe, alice, alice_client):
    response = alice_client.post("/app/settings/billing/portal", follow=True)
    assert b"no subscription to manage yet" in response.content


def test_deleting_the_account_cancels_and_deletes_the_stripe_customer(
        fake_stripe, stripe_client, alice, alice_client, api, django_capture_on_commit_callbacks):
    sub = upgrade(alice_client)
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json").status_code == 204
    assert stripe_client.v1.subscriptions.retrieve(subscription_id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve(sub.customer_id)
    assert not Subscription.objects.exists()
    assert not StripeCustomerDeletion.objects.exists()  # confirmed, so forgotten


def test_deletion_never_waits_for_stripe_and_retries_until_it_confirms(
        fake_stripe, stripe_client, settings, alice, alice_client, api, django_capture_on_commit_callbacks):
    from lte.billing.tasks import stripe_customer_deletions_retry

    sub = upgrade(alice_client)
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete("/api/v1/me", {"password": PASSWORD}, content_type="application/json").status_code == 204
    assert not Subscription.objects.exists()  # our deletion is done
    (pending,) = StripeCustomerDeletion.objects.all()
    assert pending.customer_id == sub.customer_id
    assert stripe_client.v1.customers.retrieve(sub.customer_id).id == sub.customer_id  # still at Stripe

    settings.STRIPE_API_BASE = fake_stripe  # Stripe is back
    assert stripe_customer_deletions_retry.call_local() == 1
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.customers.retrieve(sub.customer_id)
    assert not StripeCustomerDeletion.objects.exists()


def test_the_trial_is_offered_once(fake_stripe, stripe_client, alice, alice_client):
    sub = upgrade(alice_client)
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    deliver(event("checkout.session.completed", {"object": "checkout.session", "customer": sub.customer_id,
                                                 "subscription": subscription_id}))
    stripe_client.v1.subscriptions.cancel(subscription_id)
    deliver(event("customer.subscription.deleted", {"object": "subscription", "id": subscription_id,
                                                    "customer": sub.customer_id}))
    upgrade(alice_client)  # subscribing again: no second free trial
    first, again = fakestripe.checkout_sessions.values()
    assert int(first["subscription_data"]["trial_period_days"]) == 14
    assert "trial_period_days" not in again["subscription_data"]


def test_the_webhook_needs_no_csrf_token_but_its_signature(fake_stripe):
    from django.test import Client

    from lte.billing.tests.conftest import signature

    payload = event("invoice.paid", {"object": "invoice"})
    client = Client(enforce_csrf_checks=True)
    signed = client.post("/api/v1/billing/webhook", payload, content_type="application/json",
                         headers={"Stripe-Signature": signature(payload)})
    assert signed.status_code == 200


def test_a_changed_email_reaches_the_stripe_customer(fake_stripe, stripe_client, alice, alice_client,
                                                     django_capture_on_commit_callbacks):
    from django.test import Client

    from lte.testing.helpers import links_in

    sub = upgrade(alice_client)
    client = Client()
    client.post("/login", {"login": "alice@example.com", "password": PASSWORD})
    client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.com"})
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.com"})
    [verification] = [m for m in outbox_messages() if m["To"] == "alice.new@example.com"]
    [link] = links_in(verification)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link.split("8000", 1)[1])
    assert stripe_client.v1.customers.retrieve(sub.customer_id).email == "alice.new@example.com"


def test_an_event_that_cannot_be_checked_with_stripe_is_handled_on_stripes_retry(fake_stripe, stripe_client, settings,
                                                                                  alice, alice_client, api):
    sub = upgrade(alice_client)
    subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    completed = event("checkout.session.completed", {"object": "checkout.session", "customer": sub.customer_id,
                                                     "subscription": subscription_id})
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # Stripe unreachable
    assert deliver(completed).status_code == 503
    assert not ProcessedEvent.objects.exists()
    settings.STRIPE_API_BASE = fake_stripe
    assert deliver(completed).status_code == 200  # Stripe's retry
    assert api.get("/api/v1/me").json()["plan"] == "pro"
