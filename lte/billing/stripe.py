"""Stripe, behind one module: the only importer of the SDK. Every call goes through `client()`, which points
the official SDK at STRIPE_API_BASE when set (a local fake in tests) and pins the API version we read."""

from __future__ import annotations

from typing import Any

import stripe
from django.conf import settings

# The API version our reading of Stripe's objects is written against (the SDK's own pinned version).
API_VERSION = stripe.api_version

# Re-exported so callers never import the SDK themselves.
StripeError = stripe.StripeError
InvalidRequestError = stripe.InvalidRequestError
SignatureVerificationError = stripe.SignatureVerificationError


def client() -> stripe.StripeClient:
    base = settings.STRIPE_API_BASE
    addresses: Any = {"api": base, "files": base, "connect": base} if base else {}
    return stripe.StripeClient(settings.STRIPE_SECRET_KEY, base_addresses=addresses, max_network_retries=2,
                               stripe_version=API_VERSION)


def construct_event(payload: bytes, signature: str) -> dict:
    """The event, verified against STRIPE_WEBHOOK_SECRET (raises SignatureVerificationError or ValueError)."""
    event = stripe.Webhook.construct_event(payload, signature, settings.STRIPE_WEBHOOK_SECRET)
    return event.to_dict()


def customer_create(*, email: str, name: str, user_id: str, language: str) -> str:
    """A Stripe customer for the account: the email for Stripe's receipts, and our account id to find it back."""
    customer = client().v1.customers.create(params={
        "email": email, "name": name, "metadata": {"lte_user": user_id}, "preferred_locales": [language]})
    return customer.id


def customer_email_update(*, customer_id: str, email: str) -> None:
    client().v1.customers.update(customer_id, params={"email": email})


def checkout_session_create(*, customer_id: str, user_id: str, plan: str, currency: str, unit_amount: int,
                            product_name: str, trial_days: int, success_url: str, cancel_url: str,
                            locale: str) -> str:
    """A hosted Checkout Session for a monthly subscription; returns the URL to send the seller to."""
    session = client().v1.checkout.sessions.create(params={
        "mode": "subscription",
        "customer": customer_id,
        "client_reference_id": user_id,
        "line_items": [{"quantity": 1, "price_data": {
            "currency": currency.lower(), "unit_amount": unit_amount, "recurring": {"interval": "month"},
            "product_data": {"name": product_name, "metadata": {"lte_plan": plan}}}}],
        "subscription_data": {"metadata": {"lte_plan": plan, "lte_user": user_id},
                              **({"trial_period_days": trial_days} if trial_days > 0 else {})},  # Stripe: ≥ 1
        "metadata": {"lte_plan": plan, "lte_user": user_id},
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": locale,
    })
    return session.url or ""


def portal_session_create(*, customer_id: str, return_url: str, locale: str) -> str:
    session = client().v1.billing_portal.sessions.create(params={
        "customer": customer_id, "return_url": return_url, "locale": locale})
    return session.url


def subscription_retrieve(subscription_id: str) -> dict:
    return client().v1.subscriptions.retrieve(subscription_id).to_dict()


def subscription_cancel(subscription_id: str) -> None:
    """Cancels now; a subscription Stripe no longer has (already cancelled or gone) counts as cancelled."""
    try:
        client().v1.subscriptions.cancel(subscription_id)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise


def customer_subscriptions_cancel(customer_id: str) -> None:
    """Cancels every subscription of the customer that is not cancelled yet (even one whose webhook we missed)."""
    try:
        listed = client().v1.subscriptions.list(params={"customer": customer_id, "limit": 100})
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
        return
    for subscription in listed.auto_paging_iter():
        subscription_cancel(subscription.id)


def customer_delete(customer_id: str) -> None:
    """Deletes the customer at Stripe; one Stripe no longer has counts as deleted."""
    try:
        client().v1.customers.delete(customer_id)
    except stripe.InvalidRequestError as error:
        if error.http_status != 404:
            raise
