"""Billing on, against localstripe on loopback (lte.testing.fakestripe), and Stripe-signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

import pytest
import stripe
from django.test import Client

from lte.testing import fakestripe

SECRET_KEY = "sk_test_lte_billing"
WEBHOOK_SECRET = "whsec_lte_billing_tests"


@pytest.fixture
def fake_stripe(settings, db) -> str:
    """Billing switched on, the official SDK pointed at a fresh localstripe; returns its base URL."""
    base = fakestripe.start()
    fakestripe.flush()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = base
    return base


@pytest.fixture
def stripe_client(fake_stripe) -> stripe.StripeClient:
    """The test's own hands at the fake Stripe (what Stripe's hosted pages would do there)."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": fake_stripe})


def signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header as Stripe computes it: HMAC-SHA256 of "{t}.{payload}" under the secret."""
    at = at or int(time.time())
    mac = hmac.new(secret.encode(), f"{at}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def event(kind: str, obj: dict, *, event_id: str | None = None) -> bytes:
    return json.dumps({"id": event_id or "evt_" + secrets.token_hex(8), "object": "event", "type": kind,
                       "api_version": stripe.api_version, "created": int(time.time()),
                       "data": {"object": obj}}).encode()


def deliver(payload: bytes, *, sign: bool = True, secret: str = WEBHOOK_SECRET):
    headers = {"Stripe-Signature": signature(payload, secret=secret)} if sign else {}
    return Client().post("/api/v1/billing/webhook", payload, content_type="application/json", headers=headers)


def pay(client: stripe.StripeClient, *, customer_id: str, currency: str, amount: int, plan: str) -> str:
    """What the seller finishing Stripe Checkout does at Stripe: a card, and a monthly subscription at the
    session's price. Returns the subscription id."""
    card = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"}})
    client.v1.payment_methods.attach(card.id, params={"customer": customer_id})
    client.v1.customers.update(customer_id, params={"invoice_settings": {"default_payment_method": card.id}})
    price = client.v1.plans.create(params={"amount": amount, "currency": currency.lower(), "interval": "month",
                                           "product": {"name": f"LeadTrackEngine {plan.title()}"}})
    sub = client.v1.subscriptions.create(params={"customer": customer_id, "items": [{"plan": price.id}],
                                                 "metadata": {"lte_plan": plan}})
    return sub.id
