"""Usage data, minimal and aggregate: route names and named features per user for 90 days, then only
anonymous daily counts. Never a URL, an id, a search term or anything about contacts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from lte.privacy.models import UsageDailyCount, UsageEvent

RAW_DAYS = 90
SKIP_PREFIXES = ("/static/", "/healthz", "/api/v1/openapi.json")


def record(user, name: str) -> None:
    """Notes that `user` used the feature or page `name` (a fixed identifier, never user input)."""
    if user is not None and user.is_authenticated and not user.deleted:
        UsageEvent.objects.create(user=user, name=name[:80])


def record_page_views(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """One event per successful page or API call of a signed-in user, named by its route."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        match = getattr(request, "resolver_match", None)
        user = getattr(request, "user", None)
        if (match is not None and user is not None and user.is_authenticated and response.status_code < 400
                and not request.path.startswith(SKIP_PREFIXES)):
            name = match.view_name or match.url_name or "unnamed"
            if name.startswith("api-1.0.0:") or name.startswith("api:"):
                name = "api:" + name.split(":", 1)[1]
            record(user, f"{(request.method or 'get').lower()} {name}")
        return response

    return middleware


@transaction.atomic
def roll_up(today: date | None = None) -> int:
    """Turns every finished day's raw events into anonymous counts (recomputed, so safe to re-run),
    then deletes raw events older than 90 days. Returns the number of count rows written."""
    today = today or timezone.now().date()
    first = UsageEvent.objects.order_by("at").values_list("at", flat=True).first()
    if first is None:
        return 0
    written = 0
    day = first.date()
    while day < today:
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        rows = (UsageEvent.objects.filter(at__gte=start, at__lt=start + timedelta(days=1))
                .values("name").annotate(uses=Count("id"), accounts=Count("user", distinct=True)))
        for row in rows:
            UsageDailyCount.objects.update_or_create(day=day, name=row["name"],
                                                     defaults={"uses": row["uses"], "accounts": row["accounts"]})
            written += 1
        day += timedelta(days=1)
    cutoff = timezone.now() - timedelta(days=RAW_DAYS)
    UsageEvent.objects.filter(at__lt=cutoff).delete()
    return written
