"""The public pages and the health check."""

from __future__ import annotations

from django.db import connection
from django.db.utils import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lte.site import policies

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
        return redirect("accounts:dashboard")
    return render(request, "site/home.html")


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    return render(request, "site/pricing.html", {"plans": PLANS})


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "site/privacy.html", {"policy": policies.current("privacy")})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "site/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Something went wrong on our side."}, status=500)
    return render(request, "site/500.html", status=500)
