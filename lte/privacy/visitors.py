"""Counting visitors of the public pages, and nothing else.

Only for an anonymous GET of a public page answered 200 with HTML, and never when the browser sends
Global Privacy Control (`Sec-GPC: 1`) or Do Not Track (`DNT: 1`). Each such view adds one to today's
`views`; a browser without the `lte_seen` cookie also adds one to `visitors` and gets `lte_seen=1`,
which expires at the next midnight UTC. The cookie's value is the same for everyone, so it identifies
nobody: it only says "already counted today". No IP, user agent, referrer or path is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers

from lte.privacy.models import VisitorDay

log = logging.getLogger(__name__)

COOKIE = "lte_seen"
# Marketing pages only. /report-child is a form: its CSRF token lives in the session (like /signup), so
# counting there would make two cookies on one page.
PUBLIC_PATHS = frozenset({"/", "/pricing", "/privacy", "/terms", "/cookies"})
Handler = Callable[[HttpRequest], HttpResponse]


def opted_out(request: HttpRequest) -> bool:
    return request.META.get("HTTP_SEC_GPC", "").strip() == "1" or request.META.get("HTTP_DNT", "").strip() == "1"


def countable(request: HttpRequest, response: HttpResponse) -> bool:
    user = getattr(request, "user", None)
    return (
        request.method == "GET"
        and request.path in PUBLIC_PATHS
        and response.status_code == 200
        and response.get("Content-Type", "").startswith("text/html")
        and user is not None
        and not user.is_authenticated
        and not opted_out(request)
    )


def next_utc_midnight(now: datetime) -> datetime:
    day = now.astimezone(UTC).date() + timedelta(days=1)
    return datetime.combine(day, time.min, tzinfo=UTC)


def record_view(day: date, *, new_visitor: bool) -> None:
    VisitorDay.objects.get_or_create(day=day)
    VisitorDay.objects.filter(day=day).update(views=F("views") + 1, visitors=F("visitors") + int(new_visitor))


def count_visitors(get_response: Handler) -> Handler:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not countable(request, response):
            return response
        now = timezone.now()
        new_visitor = COOKIE not in request.COOKIES
        try:
            record_view(now.astimezone(UTC).date(), new_visitor=new_visitor)
        except DatabaseError:  # a count is never worth a failed page
            log.warning("visitor count not recorded", exc_info=True)
            return response
        if new_visitor:
            # Whole seconds, rounded down: it never outlives the day it counted.
            max_age = max(1, int((next_utc_midnight(now) - now).total_seconds()))
            response.set_cookie(COOKIE, "1", max_age=max_age, path="/", secure=settings.SESSION_COOKIE_SECURE,
                                httponly=True, samesite="Lax")
            patch_cache_control(response, private=True)  # a shared cache must not hand this Set-Cookie on
        patch_vary_headers(response, ("Cookie",))
        return response

    return middleware


def last_days(days: int = 30, today: date | None = None) -> list[dict]:
    """The last `days` days, newest first, with zeros for days nobody came."""
    today = today or timezone.now().astimezone(UTC).date()
    first = today - timedelta(days=days - 1)
    counts = {row.day: row for row in VisitorDay.objects.filter(day__gte=first, day__lte=today)}
    out = []
    for offset in range(days):
        day = today - timedelta(days=offset)
        row = counts.get(day)
        out.append({"day": day, "visitors": row.visitors if row else 0, "views": row.views if row else 0})
    return out
