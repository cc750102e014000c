"""The essential billing emails, from Stripe's events: trial ending, payment failed, cancelled, receipt link —
in the seller's language, with dates and links only (never a contact)."""

from __future__ import annotations

import time

import pytest

from lte.billing.models import Subscription
from lte.billing.tests.conftest import deliver, event, pay
from lte.crm.services.contacts import contact_create
from lte.testing.helpers import message_text, outbox_messages


@pytest.fixture
def paying(fake_stripe, stripe_client, alice, alice_client, django_capture_on_commit_callbacks):
    """Alice on Pro, with a contact whose name must never reach an email."""
    contact_create(owner=alice, first_name="Zoë", last_name="Secretname")
    alice_client.post("/app/settings/billing/checkout", {"plan": "pro"})
    sub = Subscription.objects.get()
    sub.subscription_id = pay(stripe_client, customer_id=sub.customer_id, currency="USD", amount=900, plan="pro")
    deliver(event("customer.subscription.created", {"object": "subscription", "id": sub.subscription_id,
                                                    "customer": sub.customer_id}))
    sub.refresh_from_db()
    return sub


def one_email(payload: bytes, capture) -> str:
    with capture(execute=True):
        assert deliver(payload).status_code == 200
    (mail,) = outbox_messages()
    text = message_text(mail)
    assert "Secretname" not in text and "Zoë" not in text
    return f"{mail['Subject']}\n{text}"


def test_trial_ending(paying, django_capture_on_commit_callbacks):
    Subscription.objects.filter(pk=paying.pk).update(trial_end="2031-01-15T12:00:00Z")
    text = one_email(event("customer.subscription.trial_will_end", {
        "object": "subscription", "id": paying.subscription_id, "customer": paying.customer_id}),
        django_capture_on_commit_callbacks)
    assert "trial ends soon" in text
    assert "/app/settings/billing" in text


def test_payment_failed(paying, django_capture_on_commit_callbacks):
    text = one_email(event("invoice.payment_failed", {
        "object": "invoice", "id": "in_1", "customer": paying.customer_id, "subscription": paying.subscription_id}),
        django_capture_on_commit_callbacks)
    assert "did not go through" in text
    assert "Nothing is lost" in text


def test_receipt_link(paying, django_capture_on_commit_callbacks):
    text = one_email(event("invoice.paid", {
        "object": "invoice", "id": "in_2", "customer": paying.customer_id, "subscription": paying.subscription_id,
        "amount_paid": 900, "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_receipt"}),
        django_capture_on_commit_callbacks)
    assert "https://invoice.stripe.com/i/acct_1/test_receipt" in text


def test_a_free_invoice_sends_no_receipt(paying, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deliver(event("invoice.paid", {"object": "invoice", "id": "in_3", "customer": paying.customer_id,
                                       "amount_paid": 0, "hosted_invoice_url": "https://invoice.stripe.com/x"}))
    assert outbox_messages() == []


def test_emails_are_written_in_the_sellers_language(paying, alice, django_capture_on_commit_callbacks):
    alice.language = "de"
    alice.save(update_fields=["language"])
    Subscription.objects.filter(pk=paying.pk).update(trial_end="2031-01-15T12:00:00Z")
    text = one_email(event("customer.subscription.trial_will_end", {
        "object": "subscription", "id": paying.subscription_id, "customer": paying.customer_id,
        "created": int(time.time())}), django_capture_on_commit_callbacks)
    assert "15. Januar 2031" in text  # the date as German writes it: the email was rendered in German
