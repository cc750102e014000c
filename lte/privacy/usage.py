"""Usage data, minimal and aggregate: route names and named features per user for 90 days, then only
anonymous daily counts. Never a URL, an id, a search term or anything about contacts.

Recording is off the request path: `record` only appends to this process's buffer, and a background thread
writes the buffer in one batch every LTE_USAGE_FLUSH_SECONDS (5 s; at exit too). A read never writes for it,
and a failed write (a full disk, a locked database) is logged and dropped — it can't fail or slow a request.
Events of an account deleted in between are dropped at the write.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from lte.accounts.models import User
from lte.privacy.models import UsageDailyCount, UsageEvent

log = logging.getLogger(__name__)

RAW_DAYS = 90
SKIP_PREFIXES = ("/static/", "/healthz", "/api/v1/openapi.json")
MAX_BUFFERED = 20_000  # a process that can't write for long drops new events rather than grow


class _Buffer:
    """This process's unwritten events, and the thread that writes them (started at the first event, again
    after a fork: gunicorn's workers each have their own)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[uuid.UUID, str, datetime]] = []
        self.dropped = 0
        self.thread: threading.Thread | None = None
        self.pid = 0

    def add(self, user_id: uuid.UUID, name: str) -> None:
        with self.lock:
            if len(self.events) >= MAX_BUFFERED:
                self.dropped += 1
                return
            self.events.append((user_id, name, timezone.now()))
            if settings.USAGE_FLUSH_SECONDS > 0 and (self.pid != os.getpid() or self.thread is None):
                self.pid = os.getpid()
                self.thread = threading.Thread(target=_write_every, args=(settings.USAGE_FLUSH_SECONDS,),
                                               name="lte-usage", daemon=True)
                self.thread.start()

    def take(self) -> list[tuple[uuid.UUID, str, datetime]]:
        with self.lock:
            events, self.events = self.events, []
            return events

    def discard(self, user_id: uuid.UUID) -> None:
        with self.lock:
            self.events = [e for e in self.events if e[0] != user_id]


_buffer = _Buffer()


def record(user, name: str) -> None:
    """Notes that `user` used the feature or page `name` (a fixed identifier, never user input)."""
    if user is not None and user.is_authenticated and not user.deleted:
        _buffer.add(user.pk, name[:80])


def flush() -> int:
    """Writes this process's buffered events now, in one transaction; returns how many were written. Never
    raises: what can't be written is logged (a count, never a name or an account) and dropped."""
    events = _buffer.take()
    if not events:
        return 0
    try:
        with transaction.atomic():
            live = set(User.objects.filter(pk__in={e[0] for e in events}).values_list("pk", flat=True))
            kept = [UsageEvent(user_id=user_id, name=name, at=at) for user_id, name, at in events if user_id in live]
            UsageEvent.objects.bulk_create(kept, batch_size=500)
        return len(kept)
    except Exception as exc:  # usage data must never break anything; the count is the news
        log.warning("usage: %d events not written (%s)", len(events), type(exc).__name__)
        return 0


def discard_all() -> None:
    """Forgets every unwritten event of this process (tests start from nothing)."""
    _buffer.take()


def discard_buffered(user: User) -> None:
    """Forgets this process's unwritten events of `user` (they cleared their usage history)."""
    _buffer.discard(user.pk)


def _write_every(seconds: float) -> None:
    while True:
        time.sleep(seconds)
        if _buffer.thread is not threading.current_thread():
            return  # replaced (a test stops it so)
        flush()
        connection.close()  # this thread's own connection: not held open between writes


atexit.register(flush)


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
