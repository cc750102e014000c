"""Cadences: "stay in touch every N days" per contact, and a stage's follow-up rule ("Presented → follow up in
2 days").

A contact with a stay-in-touch interval has exactly one open follow-up of kind TOUCH (a database constraint keeps
it to one), due N days after the last message logged with them, either way (or after they were added, when
none is). Logging, correcting or deleting a message moves it; marking it done counts as a touch today. /today
lists it under "haven't talked in a while", the digest counts it, the calendar feed shows it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lte.crm.models import Contact, FollowUp, Message, Stage
from lte.lib.zones import day_start, today_for

STAGE_RULE_HOUR = 9  # a stage's follow-up falls due at 09:00 where the seller is


def touch_title(owner) -> str:
    """A stay-in-touch follow-up's title, in the seller's language (it is theirs to edit like any title)."""
    with translation.override(owner.language):
        return _("Stay in touch")


def last_touch(contact: Contact) -> datetime:
    """The last message logged with the contact (in or out), else when they were added."""
    latest = (Message.objects.filter(owner_id=contact.owner_id, contact_id=contact.pk)
              .aggregate(at=Max("sent_at"))["at"])
    return latest or contact.created_at


def touch_schedule(contact: Contact, *, touched_at: datetime | None = None) -> FollowUp | None:
    """Keeps the contact's one open stay-in-touch follow-up where it belongs: due `stay_in_touch_days` after the
    last touch (or `touched_at`, when later), or gone when the contact has no interval."""
    open_touch = FollowUp.objects.filter(owner_id=contact.owner_id, contact_id=contact.pk, kind=FollowUp.Kind.TOUCH,
                                         done_at__isnull=True)
    if not contact.stay_in_touch_days:
        open_touch.delete()
        return None
    basis = last_touch(contact)
    if touched_at is not None and touched_at > basis:
        basis = touched_at
    due = basis + timedelta(days=contact.stay_in_touch_days)
    current = open_touch.first()
    if current is None:
        return FollowUp.objects.create(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.TOUCH,
                                       title=touch_title(contact.owner), due_at=due)
    if current.due_at != due:
        current.due_at = due
        current.save(update_fields=["due_at"])
    return current


def touch_schedule_for(owner, contact_id) -> FollowUp | None:
    contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    return touch_schedule(contact)


def stage_rule_followup(contact: Contact, stage: Stage) -> FollowUp | None:
    """The follow-up a stage's rule sets when a contact moves into it: `followup_days` from today, in the morning
    where the seller is. Nothing when the stage has no rule."""
    if not stage.followup_days:
        return None
    owner = contact.owner
    due = day_start(owner, today_for(owner) + timedelta(days=stage.followup_days)) + timedelta(hours=STAGE_RULE_HOUR)
    if due <= timezone.now():  # (not possible with whole days, but a follow-up is never set in the past)
        due = timezone.now() + timedelta(hours=1)
    with translation.override(owner.language):
        title = _("Follow up (%(stage)s)") % {"stage": stage.name}
    return FollowUp.objects.create(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.FOLLOW_UP,
                                   title=title, due_at=due)
