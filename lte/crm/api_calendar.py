"""/me/calendar: the private calendar feed over HTTP (lte.crm.services.calendar, the same as Settings → Calendar),
so a mobile client can offer "add to my calendar" too. The URL is in the answer that makes it, and never again."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from lte.crm.models import CalendarFeed
from lte.crm.services import calendar
from lte.lib.schemas import Detail, Strict

router = Router(tags=["calendar"])


class CalendarIn(Strict):
    full_titles: bool = Field(default=False, description="false: events read 'Follow-up: <first name>' only")


class CalendarPatch(Strict):
    full_titles: bool


class CalendarOut(Schema):
    active: bool
    full_titles: bool
    created_at: datetime | None


class CalendarMade(CalendarOut):
    url: str = Field(description="the secret feed URL: shown only in this answer (stored as a hash)")


def _state(feed: CalendarFeed | None) -> dict:
    return {"active": feed is not None, "full_titles": bool(feed and feed.full_titles),
            "created_at": feed.created_at if feed else None}


@router.get("/me/calendar", response=CalendarOut)
def calendar_get(request: HttpRequest):
    return _state(CalendarFeed.objects.owned_by(request.user).first())


@router.post("/me/calendar", response={201: CalendarMade, 400: Detail})
def calendar_create(request: HttpRequest, payload: CalendarIn):
    """A new secret URL; any earlier one stops working."""
    feed, token = calendar.calendar_feed_create(owner=request.user, full_titles=payload.full_titles)
    return Status(201, {**_state(feed), "url": calendar.feed_url(token)})


@router.patch("/me/calendar", response={200: CalendarOut, 400: Detail})
def calendar_update(request: HttpRequest, payload: CalendarPatch):
    return _state(calendar.calendar_feed_set_titles(owner=request.user, full_titles=payload.full_titles))


@router.delete("/me/calendar", response={204: None})
def calendar_delete(request: HttpRequest):
    calendar.calendar_feed_revoke(owner=request.user)
    return HttpResponse(status=204)
