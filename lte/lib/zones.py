"""The user's timezone: "today" and the start of a day where the user is.

A user's `timezone` is an IANA name they chose (or the browser gave at signup); one we can't read (an old
name, a typo that slipped in) counts as UTC, the same everywhere it is used.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime

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


def at_hour(user, day: date, hour: int) -> datetime:
    """`hour`:00 on `day` where the user is. On the day the clocks spring forward an hour that doesn't exist
    there (02:00 in New York or Madrid) is the next valid time (03:00); on the day they fall back, an hour that
    happens twice is its first time."""
    zone = zone_for(user)
    wall = datetime(day.year, day.month, day.day, hour, tzinfo=zone)
    # In a gap, fold=0 reads the wall time with the offset from before the change: that instant, seen again
    # in the zone, is the same distance past the change, i.e. the next valid time.
    return wall.astimezone(UTC).astimezone(zone)
