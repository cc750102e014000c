"""The private calendar feed: a secret, revocable URL per account that a phone's calendar app subscribes to,
listing the open follow-ups at their times. Only the token's hash is stored (lte.accounts.models.hash_token);
a new URL revokes the old one. Titles are neutral unless the seller opts in: a calendar app syncs them to
its own servers, which our privacy promise doesn't reach."""

from __future__ import annotations

import secrets
from datetime import timedelta

import vobject
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from vobject.icalendar import utc

from lte.accounts.models import hash_token
from lte.crm.models import CalendarFeed, FollowUp
from lte.vault.context import acting_for

FEED_EVENTS = 1000
EVENT_MINUTES = 15
PAST_DAYS = 30  # overdue ones of the last month still show, so the phone's calendar matches the app


@transaction.atomic
def calendar_feed_create(*, owner, full_titles: bool | None = None) -> tuple[CalendarFeed, str]:
    """A new secret URL's token (returned once, stored hashed); any earlier one stops working."""
    current = CalendarFeed.objects.owned_by(owner).first()
    keep_titles = current.full_titles if current is not None else False
    CalendarFeed.objects.owned_by(owner).delete()
    raw = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(owner=owner, token_hash=hash_token(raw),
                                       full_titles=keep_titles if full_titles is None else full_titles)
    return feed, raw


@transaction.atomic
def calendar_feed_revoke(*, owner) -> None:
    CalendarFeed.objects.owned_by(owner).delete()


@transaction.atomic
def calendar_feed_set_titles(*, owner, full_titles: bool) -> CalendarFeed:
    feed = CalendarFeed.objects.owned_by(owner).get()
    feed.full_titles = bool(full_titles)
    feed.save(update_fields=["full_titles"])
    return feed


def feed_url(token: str) -> str:
    """The feed's public URL (LTE_BASE_URL: what the calendar app reaches, also behind a proxy)."""
    return settings.BASE_URL + reverse("calendar-feed", args=[token])


def feed_for_token(raw: str) -> CalendarFeed | None:
    if not raw or len(raw) > 100:
        return None
    return CalendarFeed.objects.select_related("owner").filter(token_hash=hash_token(raw),
                                                               owner__is_active=True).first()


def _summary(followup: FollowUp, full: bool) -> str:
    contact = followup.contact
    if full:
        name = f"{contact.first_name} {contact.last_name}".strip()
        return f"{followup.title} — {name}" if name else followup.title
    first = contact.first_name or contact.company or ""
    return f"{_('Follow-up')}: {first}" if first else _("Follow-up")


def calendar_ics(feed: CalendarFeed) -> str:
    """The feed as iCalendar text: one 15-minute event per open follow-up at its time, a neutral title (or the
    full one, when the seller opted in), nothing else of the contact."""
    owner = feed.owner
    since = timezone.now() - timedelta(days=PAST_DAYS)
    calendar = vobject.iCalendar()
    calendar.add("prodid").value = "-//LeadTrackEngine//Follow-ups//EN"
    calendar.add("x-wr-calname").value = "LeadTrackEngine"
    stamp = timezone.now().astimezone(utc).replace(microsecond=0)  # vobject writes its own UTC as ...Z
    query = (FollowUp.objects.owned_by(owner).filter(done_at__isnull=True, due_at__gte=since)
             .select_related("contact").order_by("due_at", "id")[:FEED_EVENTS])
    with acting_for(owner.pk), translation.override(owner.language):  # the owner's own token asked for it
        for followup in query:
            event = calendar.add("vevent")
            event.add("uid").value = f"{followup.pk}@leadtrackengine"
            event.add("dtstamp").value = stamp
            start = followup.due_at.astimezone(utc).replace(microsecond=0)
            event.add("dtstart").value = start
            event.add("dtend").value = start + timedelta(minutes=EVENT_MINUTES)
            event.add("summary").value = _summary(followup, feed.full_titles)
    return calendar.serialize()
