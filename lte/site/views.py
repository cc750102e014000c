"""The public pages and the health check."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.utils import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lte.lib.diskfull import disk_full_recently, disk_space_low
from lte.privacy import documents

PLANS = [
    {"name": "Starter", "price": "Free", "blurb": "Up to 250 contacts, every privacy promise included.",
     "features": ["Contacts, notes and follow-ups", "Message scripts", "One-tap export and deletion"]},
    {"name": "Seller", "price": "$9 / month", "blurb": "For a growing business.",
     "features": ["Unlimited contacts", "Import from CSV and phone contacts", "Reorder reminders"]},
    {"name": "Leader", "price": "$19 / month", "blurb": "For team leaders.",
     "features": ["Everything in Seller", "Share scripts with your team", "Team activity, only if shared"]},
]


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("crm:dashboard")
    return render(request, "site/home.html")


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "site/pricing.html", {"plans": PLANS})


def _document_page(request: HttpRequest, kind: str) -> HttpResponse:
    """The version in effect today, or `?version=YYYY-MM-DD`: any published one (earlier or upcoming)."""
    current = documents.current(kind)
    shown = current
    if "version" in request.GET:
        try:
            day = date.fromisoformat(request.GET["version"])
        except ValueError:
            raise Http404 from None
        requested = documents.version(kind, day)
        if requested is None:
            raise Http404
        shown = requested
    if shown.published == current.published:
        state = "current"
    elif shown.effective_on > documents.today():
        state = "upcoming"
    else:
        state = "earlier"
    upcoming = documents.upcoming(kind)
    history = documents.history(kind)
    for entry in history:
        entry["url"] = documents.version_url(kind, entry["published"])
    context = {
        "policy": shown,
        "current": current,
        "state": state,
        "current_url": documents.page_url(kind),
        "upcoming": upcoming,
        "upcoming_url": documents.version_url(kind, upcoming.published) if upcoming else "",
        "history": history,
    }
    return render(request, "site/privacy.html", context)


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return _document_page(request, "privacy")


@require_GET
def terms(request: HttpRequest) -> HttpResponse:
    return _document_page(request, "terms")


@require_GET
def cookies(request: HttpRequest) -> HttpResponse:
    return _document_page(request, "cookies")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The contract's `{"status": "ok"}`; "degraded" (still 200: reads and exports work) with the failing check
    when the disk is full or nearly so; "unavailable" (503) when the database doesn't answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    if disk_full_recently():
        return JsonResponse({"status": "degraded", "checks": {"disk": "full: writes are refused"}})
    if disk_space_low():
        return JsonResponse({"status": "degraded",
                             "checks": {"disk": "low: less free space than LTE_MIN_FREE_DISK_BYTES"}})
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "site/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Something went wrong on our side.")}, status=500)
    return render(request, "site/500.html", status=500)
