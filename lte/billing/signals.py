"""A changed email address reaches the Stripe customer too, so Stripe's receipts go where the seller reads them.
Off the request path (a job): Stripe being slow or down never fails the email change."""

from __future__ import annotations

from allauth.account.signals import email_changed
from django.db import transaction
from django.dispatch import receiver

from lte.accounts import plans
from lte.billing.models import Subscription
from lte.billing.tasks import stripe_customer_email_update


@receiver(email_changed, dispatch_uid="lte.billing.customer_email")
def customer_email_follows(sender, request, user, **kwargs) -> None:
    if plans.billing_enabled() and Subscription.objects.filter(user=user).exists():
        user_id = str(user.pk)
        transaction.on_commit(lambda: stripe_customer_email_update(user_id))
