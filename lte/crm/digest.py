"""The daily digest: a morning email with the day's counts ("4 follow-ups, 1 birthday, 2 reorders today") and a
link to the app — never a contact's name, note, message or follow-up title (the policy's "the personal stuff stays
personal").

A seller who asked for it (`daily_digest`) gets it once the hour they chose (`digest_hour`, 08:00 by default) has
passed today in their timezone. `digest_sent_on` holds the day (there) of the last one, claimed by one
conditional UPDATE in the transaction that sends it: two workers, a rerun or a restart never send a day twice,
and a send that fails rolls the claim back for the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from lte.crm import queries
from lte.lib.emails import send_daily_digest
from lte.lib.zones import day_start, today_for, zone_for


def digest_counts(user) -> dict[str, int]:
    """How many of each kind /today holds for the user now, uncapped: numbers only."""
    counts = {name: query.count() for name, query in queries.today_followups(user).items()}
    return {**counts, "birthdays": len(queries.birthday_ids(user, today_for(user)))}


def digest_is_due(user, now: datetime) -> bool:
    """Asked for, its hour passed today where the user is, and today's not sent yet."""
    day = now.astimezone(zone_for(user)).date()
    hour_passed = now >= day_start(user, day) + timedelta(hours=user.digest_hour)
    return user.daily_digest and user.is_active and hour_passed and user.digest_sent_on != day


def digest_send(user, now: datetime | None = None) -> bool:
    """Sends the user's digest for today if it is due and no one else has: True when this call sent it."""
    now = now or timezone.now()
    if not digest_is_due(user, now):
        return False
    day = now.astimezone(zone_for(user)).date()
    with transaction.atomic():
        claimed = (get_user_model().objects.filter(pk=user.pk, daily_digest=True)
                   .filter(Q(digest_sent_on__isnull=True) | ~Q(digest_sent_on=day))
                   .update(digest_sent_on=day))
        if not claimed:
            return False
        # Sent inside the claim's transaction: an email that can't be handed over undoes the claim, and the
        # next run tries again; only one transaction can claim the day.
        send_daily_digest(email=user.email, name=user.name, language=user.language, timezone_name=user.timezone,
                          **digest_counts(user))
    user.digest_sent_on = day
    return True


def digests_send_due(now: datetime | None = None) -> int:
    """`lte digest` and the worker's schedule: sends every digest that is due now; how many went out."""
    now = now or timezone.now()
    sent = 0
    for user in get_user_model().objects.filter(daily_digest=True, is_active=True).iterator(chunk_size=500):
        if digest_send(user, now):
            sent += 1
    return sent
