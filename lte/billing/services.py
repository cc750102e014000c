"""Billing's writes: starting a checkout, opening the portal, handling Stripe's webhooks, and forgetting a deleted
account's Stripe customer. Every Stripe call goes through lte.billing.stripe; none happens while billing is off."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lte.accounts import plans
from lte.accounts.models import User
from lte.billing import stripe
from lte.billing.models import ProcessedEvent, StripeCustomerDeletion, Subscription
from lte.lib import emails

logger = logging.getLogger("lte.billing")

TRIAL_DAYS = 14
GRACE = dt.timedelta(days=7)  # past_due keeps the plan this long after the first failed payment
EVENTS_KEPT = dt.timedelta(days=30)  # Stripe retries an event for up to 3 days; a replay after 30 is not one
PAID_PLANS = (plans.PRO, plans.LEADER)
LIVE = ("trialing", "active", "past_due")
STRIPE_LOCALES = {"en": "en", "es": "es", "pt-BR": "pt-BR", "pt-br": "pt-BR", "fr": "fr", "de": "de"}


class BillingOff(Exception):
    """Billing is off on this server: nothing to pay, nothing is sent to Stripe."""


class WebhookRejected(Exception):
    """A webhook without a valid Stripe-Signature (or not a Stripe event at all)."""


class WebhookRetryLater(Exception):
    """Stripe could not be asked for the subscription's state: nothing was recorded, so Stripe's retry is handled."""


def _locale(user: User) -> str:
    return STRIPE_LOCALES.get(user.language, "auto")


def _when(timestamp) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(int(timestamp), tz=dt.UTC) if timestamp else None


def _require_billing() -> None:
    if not plans.billing_enabled():
        raise BillingOff


def customer_for(user: User) -> Subscription:
    """The account's billing row, with a Stripe customer made on first use."""
    sub = Subscription.objects.filter(user=user).first()
    if sub is not None:
        return sub
    customer_id = stripe.customer_create(email=user.email, name=user.name, user_id=str(user.pk),
                                         language=user.language)
    try:
        with transaction.atomic():
            return Subscription.objects.create(user=user, customer_id=customer_id)
    except IntegrityError:  # two tabs at once: keep the first, drop ours
        stripe.customer_delete(customer_id)
        return Subscription.objects.get(user=user)


def checkout_start(*, user: User, plan: str, return_url: str) -> str:
    """A hosted Stripe Checkout for `plan` in the seller's currency at the price table's amount, with a trial;
    returns the URL to send them to."""
    _require_billing()
    if plan not in PAID_PLANS:
        raise ValueError("Choose Pro or Leader.")
    sub = customer_for(user)
    currency = plans.priced_currency(user.currency)
    amount = plans.minor_units(plans.price(plan, currency), currency)
    had_trial = sub.trial_end is not None or bool(sub.subscription_id)
    return stripe.checkout_session_create(
        customer_id=sub.customer_id, user_id=str(user.pk), plan=plan, currency=currency, unit_amount=amount,
        product_name=f"LeadTrackEngine {plan.title()}", trial_days=0 if had_trial else TRIAL_DAYS,
        success_url=f"{return_url}?checkout=done", cancel_url=return_url, locale=_locale(user))


def portal_url(*, user: User, return_url: str) -> str:
    """Stripe's Customer Portal (change plan, card, cancel) for an account that has a customer."""
    _require_billing()
    sub = Subscription.objects.filter(user=user).first()
    if sub is None:
        raise ValueError("There is no subscription to manage yet.")
    return stripe.portal_session_create(customer_id=sub.customer_id, return_url=return_url, locale=_locale(user))


def customer_email_sync(*, user_id: str) -> None:
    """The account's current email onto its Stripe customer (for Stripe's receipts); nothing if none exists."""
    if not plans.billing_enabled():
        return
    sub = Subscription.objects.select_related("user").filter(user_id=user_id).first()
    if sub is not None:
        stripe.customer_email_update(customer_id=sub.customer_id, email=sub.user.email)


# --- Webhooks -------------------------------------------------------------------------------------------


def plan_for(state: dict) -> str:
    """The plan a subscription pays for: its price's `lte_plan` metadata first (a plan switched in the Customer
    Portal moves to a price the operator tagged so), else the subscription's own (set at Checkout)."""
    items = (state.get("items") or {}).get("data") or [{}]
    candidates = [((items[0].get(key) or {}).get("metadata") or {}).get("lte_plan") for key in ("price", "plan")]
    candidates.append((state.get("metadata") or {}).get("lte_plan"))
    return next((plan for plan in candidates if plan in PAID_PLANS), plans.PRO)


def _period_end(state: dict):
    end = state.get("current_period_end")
    if not end:  # newer API versions keep the period on each item
        items = (state.get("items") or {}).get("data") or [{}]
        end = items[0].get("current_period_end")
    return _when(end)


def _currency(state: dict) -> str:
    currency = state.get("currency")
    if not currency:
        items = (state.get("items") or {}).get("data") or [{}]
        currency = (items[0].get("price") or items[0].get("plan") or {}).get("currency", "")
    return (currency or "").upper()


def subscription_apply(sub: Subscription, state: dict, *, now: dt.datetime | None = None) -> None:
    """Stripe's current state of a subscription onto our row: trialing and active give the plan; past_due keeps
    it through a grace period from the first failure; canceled, unpaid, incomplete and the rest give free."""
    now = now or timezone.now()
    status = state.get("status", "")
    same = state.get("id") == sub.subscription_id
    if not same and sub.subscription_id and sub.status in LIVE and status not in LIVE:
        return  # an old subscription's news: the live one we hold wins
    sub.subscription_id = state.get("id", "")
    sub.status = status
    sub.currency = _currency(state) or sub.currency
    sub.current_period_end = _period_end(state)
    sub.trial_end = _when(state.get("trial_end")) or sub.trial_end
    if status in ("trialing", "active"):
        sub.plan, sub.plan_until, sub.past_due_since = plan_for(state), None, None
    elif status == "past_due":
        sub.past_due_since = sub.past_due_since if same and sub.past_due_since else now
        sub.plan, sub.plan_until = plan_for(state), sub.past_due_since + GRACE
    else:
        sub.plan, sub.plan_until, sub.past_due_since = plans.FREE, None, None
    sub.updated_at = now
    sub.save()


def webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verifies, then handles one Stripe event once: a replayed event id does nothing again. Out-of-order events
    are harmless: the subscription's current state is fetched from Stripe rather than read from the event.
    Returns what was done (for the log and the tests)."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        raise WebhookRejected("Stripe webhooks are not set up on this server (no STRIPE_WEBHOOK_SECRET).")
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature.")
    try:
        event = stripe.construct_event(payload, signature)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookRejected("Bad Stripe-Signature.") from error
    event_id, kind = str(event.get("id", "")), str(event.get("type", ""))
    if not event_id:
        raise WebhookRejected("Not a Stripe event.")
    if ProcessedEvent.objects.filter(event_id=event_id).exists():
        return "replay"
    obj = (event.get("data") or {}).get("object") or {}
    sub = _billing_row(obj) if plans.billing_enabled() else None  # billing off: acknowledged, no Stripe call
    state = None
    subscription_id = _subscription_id(obj)
    if sub is not None and subscription_id:
        try:
            state = stripe.subscription_retrieve(subscription_id)  # fetched outside the transaction
        except stripe.StripeError as error:
            logger.warning("webhook %s: Stripe did not answer for its subscription; Stripe will retry", event_id)
            raise WebhookRetryLater("Stripe could not be reached; please retry.") from error
    try:
        with transaction.atomic():
            ProcessedEvent.objects.create(event_id=event_id, type=kind[:128])
            if sub is None:
                return "ignored"
            sub = Subscription.objects.select_for_update().get(pk=sub.pk)
            was_live = sub.status in LIVE
            if state is not None:
                subscription_apply(sub, state)
            _notify(kind, sub, obj, was_live=was_live)
    except IntegrityError:
        return "replay"  # the same event, handled meanwhile by a concurrent delivery
    return "handled"


def _billing_row(obj: dict) -> Subscription | None:
    customer = obj.get("customer")
    if isinstance(customer, dict):
        customer = customer.get("id")
    if obj.get("object") == "customer":
        customer = obj.get("id")
    return Subscription.objects.select_related("user").filter(customer_id=customer).first() if customer else None


def _subscription_id(obj: dict) -> str:
    if obj.get("object") == "subscription":
        return obj.get("id", "")
    found = obj.get("subscription")
    if isinstance(found, dict):
        found = found.get("id")
    if not found:  # invoices of newer API versions name it under parent
        found = ((obj.get("parent") or {}).get("subscription_details") or {}).get("subscription")
    return found or ""


def _notify(kind: str, sub: Subscription, obj: dict, *, was_live: bool) -> None:
    """The essential billing emails, after the commit, in the seller's language: dates and amounts only."""
    user = sub.user
    base = {"email": user.email, "name": user.name, "language": user.language}
    if kind == "customer.subscription.trial_will_end" and sub.trial_end:
        trial_end = sub.trial_end
        transaction.on_commit(lambda: emails.send_trial_ending(**base, plan=sub.plan, trial_end=trial_end,
                                                               timezone_name=user.timezone))
    elif kind == "invoice.payment_failed":
        until = sub.plan_until
        transaction.on_commit(lambda: emails.send_payment_failed(**base, grace_until=until,
                                                                 timezone_name=user.timezone))
    elif kind == "customer.subscription.deleted" and was_live:
        transaction.on_commit(lambda: emails.send_subscription_canceled(**base))
    elif kind in ("invoice.paid", "invoice.payment_succeeded") and obj.get("hosted_invoice_url") \
            and obj.get("amount_paid"):
        url = str(obj["hosted_invoice_url"])
        transaction.on_commit(lambda: emails.send_receipt_link(**base, receipt_url=url))


def processed_events_prune(*, now: dt.datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - EVENTS_KEPT
    return ProcessedEvent.objects.filter(processed_at__lt=cutoff).delete()[0]


# --- Deletion -------------------------------------------------------------------------------------------


def billing_forget_account(user: User) -> int | None:
    """Called before an account's rows go: keeps only its Stripe customer id (and subscription id) in a
    StripeCustomerDeletion row, so the job can cancel and delete it at Stripe, retrying until Stripe confirms,
    without delaying our own deletion. Returns that row's id (None: nothing at Stripe)."""
    sub = Subscription.objects.filter(user=user).first()
    if sub is None:
        return None
    pending, _ = StripeCustomerDeletion.objects.get_or_create(
        customer_id=sub.customer_id, defaults={"subscription_id": sub.subscription_id})
    return pending.pk


def stripe_customer_delete(*, pending_id: int) -> bool:
    """Cancels the subscription and deletes the customer at Stripe, then forgets the id. False: still pending
    (Stripe unreachable, or billing switched off here); the job tries again."""
    pending = StripeCustomerDeletion.objects.filter(pk=pending_id).first()
    if pending is None:
        return True
    if not plans.billing_enabled():
        return False
    try:
        if pending.subscription_id:
            stripe.subscription_cancel(pending.subscription_id)
        stripe.customer_subscriptions_cancel(pending.customer_id)
        stripe.customer_delete(pending.customer_id)
    except stripe.StripeError:
        StripeCustomerDeletion.objects.filter(pk=pending.pk).update(attempts=pending.attempts + 1)
        logger.warning("Stripe customer deletion %s failed (attempt %s): will retry", pending.pk,
                       pending.attempts + 1)
        return False
    pending.delete()
    return True
