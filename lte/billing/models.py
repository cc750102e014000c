"""What we hold about a seller's billing: Stripe's ids, the subscription's status, plan, currency and dates.
Never card data: cards are typed on Stripe's own pages (Checkout, Customer Portal) and never reach us."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lte.accounts import plans

PLAN_CHOICES = [(code, code) for code in plans.PLAN_CODES]


class Subscription(models.Model):
    """One per account that ever started a checkout. `plan` is the plan the account has now (written from
    Stripe's current state, lte.billing.services.subscription_sync); `plan_until`, when set, is the end of a
    grace period (a failed payment) after which lte.accounts.plans.plan_of answers free."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="subscription")
    customer_id = models.CharField(max_length=255, unique=True)
    subscription_id = models.CharField(max_length=255, blank=True, default="")
    status = models.CharField(max_length=32, blank=True, default="")  # Stripe's: trialing, active, past_due…
    STATUS_LABELS = {  # Stripe's words, as the seller reads them
        "trialing": _("Free trial"), "active": _("Active"), "past_due": _("Payment overdue"),
        "canceled": _("Cancelled"), "unpaid": _("Unpaid"), "incomplete": _("Waiting for the first payment"),
        "incomplete_expired": _("First payment not made"), "paused": _("Paused"),
    }
    plan = models.CharField(max_length=16, choices=PLAN_CHOICES, default=plans.FREE)
    plan_until = models.DateTimeField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    current_period_end = models.DateTimeField(null=True, blank=True)
    trial_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer_id} {self.status or 'no subscription'}"

    @property
    def status_label(self) -> str:
        return str(self.STATUS_LABELS.get(self.status, self.status))


class ProcessedEvent(models.Model):
    """A Stripe event already handled: a replay answers 200 and does nothing again. Holds only Stripe's event
    id and type, nothing that names an account."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=128)
    processed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.event_id} {self.type}"


class StripeCustomerDeletion(models.Model):
    """A deleted account's Stripe customer, kept only until Stripe confirms it is deleted (its subscription
    cancelled first). The account itself is already gone: this row holds the customer id and nothing else."""

    customer_id = models.CharField(max_length=255, unique=True)
    subscription_id = models.CharField(max_length=255, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.customer_id} ({self.attempts} attempts)"
