"""POST /api/v1/billing/webhook: Stripe's signature or 400, and the statuses mapped to plans with a grace period."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from lte.accounts import plans
from lte.billing.models import ProcessedEvent, Subscription
from lte.billing.services import GRACE, subscription_apply
from lte.billing.tests.conftest import deliver, event, signature


def test_it_refuses_a_missing_signature(fake_stripe):
    response = deliver(event("invoice.paid", {"object": "invoice"}), sign=False)
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not ProcessedEvent.objects.exists()


def test_it_refuses_a_signature_made_with_another_secret(fake_stripe):
    response = deliver(event("invoice.paid", {"object": "invoice"}), secret="whsec_someone_else")
    assert response.status_code == 400
    assert not ProcessedEvent.objects.exists()


def test_it_refuses_a_body_changed_after_signing(fake_stripe):
    payload = event("invoice.paid", {"object": "invoice"})
    header = signature(payload)
    response = Client().post("/api/v1/billing/webhook", payload.replace(b"invoice.paid", b"invoice.void"),
                             content_type="application/json", HTTP_STRIPE_SIGNATURE=header)
    assert response.status_code == 400


def test_it_refuses_an_old_signature(fake_stripe):
    payload = event("invoice.paid", {"object": "invoice"})
    response = Client().post("/api/v1/billing/webhook", payload, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=signature(payload, at=int(time.time()) - 3600))
    assert response.status_code == 400


def test_it_refuses_garbage_with_400_not_500(fake_stripe):
    payload = b"not json at all"
    response = Client().post("/api/v1/billing/webhook", payload, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=signature(payload))
    assert response.status_code == 400


def test_a_correctly_signed_event_is_accepted_once(fake_stripe):
    payload = event("invoice.paid", {"object": "invoice"}, event_id="evt_signed")
    assert deliver(payload).status_code == 200
    assert deliver(payload).json()["detail"] == "replay"
    assert ProcessedEvent.objects.filter(event_id="evt_signed").count() == 1


def test_without_a_webhook_secret_every_event_is_refused(db):
    response = deliver(event("invoice.paid", {"object": "invoice"}))
    assert response.status_code == 400
    assert not ProcessedEvent.objects.exists()


def test_with_billing_off_a_signed_event_is_acknowledged_once_without_calling_stripe(alice, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # any call would fail loudly
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    Subscription.objects.create(user=alice, customer_id="cus_from_before")  # e.g. billing since switched off
    payload = event("customer.subscription.deleted", {"object": "subscription", "id": "sub_1",
                                                      "customer": "cus_from_before"})
    assert deliver(payload, secret="whsec_x").json()["detail"] == "ignored"
    assert deliver(payload, secret="whsec_x").json()["detail"] == "replay"
    assert deliver(payload, secret="whsec_wrong").status_code == 400


@pytest.fixture
def row(alice) -> Subscription:
    return Subscription.objects.create(user=alice, customer_id="cus_alice")


def state(status: str, plan: str = "pro", sub_id: str = "sub_1") -> dict:
    return {"id": sub_id, "object": "subscription", "status": status, "metadata": {"lte_plan": plan},
            "currency": "eur", "current_period_end": int(time.time()) + 86400 * 30}


@pytest.mark.parametrize(("status", "plan"), [("trialing", "pro"), ("active", "leader"), ("canceled", "free"),
                                              ("unpaid", "free"), ("incomplete", "free"),
                                              ("incomplete_expired", "free")])
def test_it_maps_stripes_status_to_the_plan(row, alice, status, plan):
    subscription_apply(row, state(status, plan="leader" if plan == "leader" else "pro"))
    assert plans.plan_of(alice) == plan


def test_past_due_keeps_the_plan_through_the_grace_period_then_free(row, alice):
    first_failure = timezone.now() - dt.timedelta(days=2)
    subscription_apply(row, state("past_due", plan="leader"), now=first_failure)
    assert plans.plan_of(alice) == "leader"
    assert row.plan_until == first_failure + GRACE
    subscription_apply(row, state("past_due", plan="leader"), now=timezone.now())  # a later retry fails too
    assert row.plan_until == first_failure + GRACE  # the grace runs from the first failure
    Subscription.objects.filter(pk=row.pk).update(plan_until=timezone.now() - dt.timedelta(seconds=1))
    assert plans.plan_of(alice) == "free"


def test_payment_recovering_ends_the_grace_period(row, alice):
    subscription_apply(row, state("past_due"), now=timezone.now() - dt.timedelta(days=8))
    assert plans.plan_of(alice) == "free"
    subscription_apply(row, state("active"))
    assert plans.plan_of(alice) == "pro"
    assert row.plan_until is None


def test_an_old_subscriptions_cancellation_does_not_end_the_live_one(row, alice):
    subscription_apply(row, state("active", sub_id="sub_new"))
    subscription_apply(row, state("canceled", sub_id="sub_old"))
    assert plans.plan_of(alice) == "pro"
    assert row.subscription_id == "sub_new"


def test_stripe_amounts_and_ids_only_never_card_data(row):
    names = {f.name for f in Subscription._meta.get_fields()}
    assert not {n for n in names if any(w in n for w in ("card", "number", "cvc", "exp", "iban", "last4"))}


def test_handled_event_ids_are_forgotten_after_30_days(fake_stripe):
    from lte.billing.tasks import stripe_events_prune

    deliver(event("invoice.paid", {"object": "invoice"}, event_id="evt_old"))
    deliver(event("invoice.paid", {"object": "invoice"}, event_id="evt_new"))
    ProcessedEvent.objects.filter(event_id="evt_old").update(processed_at=timezone.now() - dt.timedelta(days=31))
    assert stripe_events_prune.call_local() == 1
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == ["evt_new"]


def test_a_plan_switched_in_the_portal_follows_the_new_prices_tag(row, alice):
    switched = state("active", plan="pro") | {"items": {"data": [{"price": {"metadata": {"lte_plan": "leader"}}}]}}
    subscription_apply(row, switched)
    assert plans.plan_of(alice) == "leader"
