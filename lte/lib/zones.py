"""The user's timezone: "today" and the start of a day where the user is.

A user's `timezone` is an IANA name they chose (or the browser gave at signup); one we can't read (an old
name, a typo that slipped in) counts as UTC, the same everywhere it is used.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django.utils import timezone


def zone_for(user) -> zoneinfo.ZoneInfo:
    """The user's timezone; UTC when it has none we can read."""
    return zone_named(user.timezone)


def zone_named(name: str | None) -> zoneinfo.ZoneInfo:
    """An IANA timezone by name; UTC for a name we can't read."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def today_for(user) -> date:
    """Today where the user is."""
    return timezone.now().astimezone(zone_for(user)).date()


def day_start(user, day: date) -> datetime:
    """Midnight starting `day` where the user is."""
    return datetime(day.year, day.month, day.day, tzinfo=zone_for(user))
