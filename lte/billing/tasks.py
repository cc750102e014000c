"""Billing jobs, run by the huey worker: deleting a deleted account's Stripe customer until Stripe confirms."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from lte.billing.models import StripeCustomerDeletion
from lte.billing.services import customer_email_sync, processed_events_prune, stripe_customer_delete


class StripeNotYet(Exception):
    """Stripe did not confirm the deletion: huey retries the job."""


@db_task(retries=12, retry_delay=300)
def stripe_customer_deletion(pending_id: int) -> None:
    if not stripe_customer_delete(pending_id=pending_id):
        raise StripeNotYet(f"Stripe customer deletion {pending_id} still pending")


@db_periodic_task(crontab(minute="17"))
def stripe_customer_deletions_retry() -> int:
    """Every hour, any deletion still pending (its retries spent, or a crash before it was queued)."""
    done = 0
    for pending_id in StripeCustomerDeletion.objects.values_list("pk", flat=True)[:500]:
        done += stripe_customer_delete(pending_id=pending_id)
    return done


@db_periodic_task(crontab(minute="41", hour="3"))
def stripe_events_prune() -> int:
    """Forgets handled event ids once Stripe has long stopped retrying them."""
    return processed_events_prune()


@db_task(retries=6, retry_delay=600)
def stripe_customer_email_update(user_id: str) -> None:
    customer_email_sync(user_id=user_id)
