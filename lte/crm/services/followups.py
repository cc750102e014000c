"""Follow-ups: the seller's reminders, and the reorder reminder a customer with an interval always has."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from lte.crm.models import Contact, FollowUp, Order
from lte.crm.services.activity import activity_add
from lte.crm.services.cadences import touch_schedule
from lte.crm.services.normalise import UNSET, aware, clean_text
from lte.lib.zones import at_hour, day_start, today_for, zone_for

MAX_TITLE = 200


def _reorder_title(owner) -> str:
    """The reminder's title, written in the seller's language (it is their follow-up, kept as text)."""
    with translation.override(getattr(owner, "language", "") or "en"):
        return gettext("Time to reorder?")


def reorder_reminder(contact: Contact, *, owner, since: date | None = None) -> FollowUp:
    """The reminder a customer with a reorder interval gets (not saved): the interval counted in days from
    `since` (the last reorder done), else from their last order, else from the day they became a customer, else
    from today — due at the seller's `reminder_hour` (09:00 unless chosen) on that day in their timezone, never at
    the minute the contact happened to be saved; an hour the clocks skip that day is the next valid time."""
    if contact.reorder_every_days is None:
        raise ValueError("a reorder reminder needs the contact's reorder interval")
    if since is None and contact.pk is not None and not contact._state.adding:
        since = (Order.objects.filter(owner_id=contact.owner_id, contact_id=contact.pk).order_by("-ordered_on")
                 .values_list("ordered_on", flat=True).first())
    start = since or contact.customer_since or today_for(owner)
    due = start + timedelta(days=contact.reorder_every_days)
    return FollowUp(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.REORDER, title=_reorder_title(owner),
                    due_at=at_hour(owner, due, owner.reminder_hour))


def reorders_to_hour(owner) -> int:
    """Moves the seller's open reorder reminders to their `reminder_hour`, each on the day it is due (where the
    seller is); the done ones stay as they were. Returns how many moved."""
    zone = zone_for(owner)
    moved = []
    for reminder in (FollowUp.objects.owned_by(owner).filter(kind=FollowUp.Kind.REORDER, done_at__isnull=True)
                     .select_for_update()):
        due = at_hour(owner, reminder.due_at.astimezone(zone).date(), owner.reminder_hour)
        if due != reminder.due_at:
            reminder.due_at = due
            moved.append(reminder)
    FollowUp.objects.bulk_update(moved, ["due_at"])
    return len(moved)


def schedule_reorder(contact: Contact, *, since: date | None = None) -> FollowUp | None:
    """A customer with a reorder interval always has one open reorder reminder."""
    if not contact.reorder_every_days:
        return None
    if FollowUp.objects.filter(contact=contact, kind=FollowUp.Kind.REORDER, done_at__isnull=True).exists():
        return None
    reminder = reorder_reminder(contact, owner=contact.owner, since=since)
    reminder.save()
    return reminder


@transaction.atomic
def followup_create(*, owner, contact_id, title: str, due_at: datetime) -> FollowUp:
    contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    return FollowUp.objects.create(owner=owner, contact=contact, due_at=aware(due_at, "due_at"),
                                   title=clean_text(title, field="title", max_length=MAX_TITLE, required=True))


@transaction.atomic
def followup_update(*, owner, followup_id, title: Any = UNSET, due_at: Any = UNSET, done: Any = UNSET,
                    contact_id: Any = UNSET) -> FollowUp:
    followup = FollowUp.objects.owned_by(owner).select_for_update().get(pk=followup_id)
    if title is not UNSET:
        followup.title = clean_text(title, field="title", max_length=MAX_TITLE, required=True)
    if due_at is not UNSET:
        followup.due_at = aware(due_at, "due_at")
    if contact_id is not UNSET:
        contact = Contact.objects.owned_by(owner).get(pk=contact_id)
        if followup.kind == FollowUp.Kind.TOUCH and contact.pk != followup.contact_id:
            raise ValidationError({"contact_id": "A stay-in-touch follow-up belongs to its contact; set the "
                                                 "interval on the other contact instead."})
        followup.contact = contact
    if done is not UNSET:
        was_done = followup.done_at is not None
        if done and not was_done:
            followup.done_at = timezone.now()
            activity_add(owner=owner, follow_ups=1)
            if followup.kind == FollowUp.Kind.REORDER:
                followup.save()
                schedule_reorder(followup.contact, since=today_for(owner))
                return followup
            if followup.kind == FollowUp.Kind.TOUCH:  # done: they were in touch today; the next one counts on
                followup.save()
                touch_schedule(followup.contact, touched_at=followup.done_at)
                return followup
        elif not done:
            if was_done and followup.kind == FollowUp.Kind.TOUCH:  # back to this one: the next one goes
                FollowUp.objects.filter(contact_id=followup.contact_id, kind=FollowUp.Kind.TOUCH,
                                        done_at__isnull=True).exclude(pk=followup.pk).delete()
            followup.done_at = None
    followup.save()
    return followup


MORNING_HOUR = 9  # "tomorrow morning", "next week", a picked day: 09:00 where the seller is
SNOOZE_LATER = timedelta(hours=3)
SNOOZE_CHOICES = ("later", "tomorrow", "next_week", "date")
SNOOZE_FURTHEST_DAYS = 5 * 366


def snooze_until(owner, choice: str, on: date | None = None) -> datetime:
    """When a snooze choice ends, in the seller's timezone: `later` today (3 hours from now), `tomorrow` morning,
    `next_week` (Monday morning), or the morning of the `date` picked (`on`, from tomorrow on)."""
    today = today_for(owner)
    if choice == "later":
        return timezone.now() + SNOOZE_LATER
    if choice == "tomorrow":
        day = today + timedelta(days=1)
    elif choice == "next_week":
        day = today + timedelta(days=7 - today.weekday())
    elif choice == "date":
        if not isinstance(on, date):
            raise ValidationError({"on": "is the day to snooze to (YYYY-MM-DD)."})
        if not today < on <= today + timedelta(days=SNOOZE_FURTHEST_DAYS):
            raise ValidationError({"on": "is a day after today, within 5 years."})
        day = on
    else:
        raise ValidationError({"choice": f"is one of {', '.join(SNOOZE_CHOICES)}."})
    # Wall-clock arithmetic on an aware datetime: 09:00 there, also on the days the clocks change.
    return day_start(owner, day) + timedelta(hours=MORNING_HOUR)


def followup_snooze(*, owner, followup_id, days: int = 1, choice: str | None = None,
                    on: date | None = None) -> FollowUp:
    """Moves a follow-up on: to a snooze choice (snooze_until), or by `days` from its due time (or now, if later)."""
    followup = FollowUp.objects.owned_by(owner).get(pk=followup_id)
    later = max(followup.due_at, timezone.now()) + timedelta(days=days)
    until = snooze_until(owner, choice, on) if choice else later
    return followup_update(owner=owner, followup_id=followup_id, due_at=until)


@transaction.atomic
def followup_delete(*, owner, followup_id) -> None:
    deleted, _ = FollowUp.objects.owned_by(owner).filter(pk=followup_id).delete()
    if not deleted:
        raise FollowUp.DoesNotExist
