"""The private calendar feed: its settings page (make a URL, revoke it, neutral or full titles) and the feed
itself, public at its secret URL (a calendar app signs in with nothing else)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from lte.crm.models import CalendarFeed
from lte.crm.services import calendar


@login_required
@require_GET
def calendar_settings(request: HttpRequest) -> HttpResponse:
    return _page(request, url="")


def _page(request: HttpRequest, *, url: str) -> HttpResponse:
    feed = CalendarFeed.objects.owned_by(request.user).first()
    return render(request, "crm/calendar_settings.html", {"feed": feed, "url": url, "section": "calendar"})


@login_required
@require_POST
def calendar_create(request: HttpRequest) -> HttpResponse:
    """A new URL, shown in this answer only: its secret is stored hashed (as API tokens are), never in a session,
    a log or a query string."""
    _feed, token = calendar.calendar_feed_create(owner=request.user)
    return _page(request, url=calendar.feed_url(token))


@login_required
@require_POST
def calendar_revoke(request: HttpRequest) -> HttpResponse:
    calendar.calendar_feed_revoke(owner=request.user)
    messages.success(request, _("The calendar URL is revoked: calendar apps get nothing from it any more."))
    return redirect("crm:calendar")


@login_required
@require_POST
def calendar_titles(request: HttpRequest) -> HttpResponse:
    if not CalendarFeed.objects.owned_by(request.user).exists():
        raise Http404
    calendar.calendar_feed_set_titles(owner=request.user, full_titles=request.POST.get("full_titles") == "1")
    messages.success(request, _("Saved. Calendar apps pick it up at their next refresh."))
    return redirect("crm:calendar")


@never_cache
@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The ICS feed at its secret URL: an unknown or revoked token is a plain 404."""
    feed = calendar.feed_for_token(token)
    if feed is None:
        raise Http404
    response = HttpResponse(calendar.calendar_ics(feed), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="leadtrackengine.ics"'
    response["X-Robots-Tag"] = "noindex"
    return response
