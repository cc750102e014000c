"""A full disk: reads keep working, writes are refused with a clear 503, and /healthz says "degraded".

SQLite says SQLITE_FULL ("database or disk is full"), PostgreSQL SQLSTATE 53100 (disk_full), the OS ENOSPC.
The writes a read makes on the side (the session's last use, the session list, a token's last use) are not
worth a failed request: they go through `tolerate_disk_full()`, which logs and carries on. Any other write that
meets a full disk ends in `DiskFullMiddleware` (or the API's handler): 503, "nothing was changed" (the write's
transaction rolled back).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import shutil
import sqlite3
import time
from collections.abc import Iterator

import psycopg
from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

logger = logging.getLogger("lte.diskfull")
MESSAGE = gettext_lazy("The server's disk is full; nothing was changed. Please try again later.")
SQLITE_FULL = 13
PG_DISK_FULL = "53100"
RECENT_SECONDS = 300.0  # /healthz says "degraded" this long after the last write a full disk refused
_last_seen: list[float] = []


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether an exception (or what caused it: Django wraps the driver's) is a full disk."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, sqlite3.Error) and (getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL
                                              or "database or disk is full" in str(exc)):
            return True
        if isinstance(exc, psycopg.errors.DiskFull) or getattr(exc, "sqlstate", None) == PG_DISK_FULL:
            return True
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def note_disk_full() -> None:
    _last_seen[:] = [time.monotonic()]


def disk_full_recently() -> bool:
    return bool(_last_seen) and time.monotonic() - _last_seen[0] < RECENT_SECONDS


def disk_space_low() -> bool:
    """Less free space in the data dir than LTE_MIN_FREE_DISK_BYTES."""
    try:
        return shutil.disk_usage(settings.DATA_DIR).free < settings.MIN_FREE_DISK_BYTES
    except OSError:
        return True


@contextlib.contextmanager
def tolerate_disk_full(what: str) -> Iterator[None]:
    """For a write a request makes on the side: on a full disk it is skipped (and logged), never a failed
    request. Inside a transaction it runs in a savepoint, so a refused write doesn't break the transaction."""
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with savepoint:
            yield
    except Exception as exc:  # Django's session middleware turns the failed save into SessionInterrupted
        if not is_disk_full(exc):
            raise
        note_disk_full()
        logger.warning("disk full: %s skipped", what)


def disk_full_response(request: HttpRequest) -> HttpResponse:
    note_disk_full()
    logger.error("disk full: %s %s refused", request.method,
                 request.resolver_match.route if request.resolver_match else "?")
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": str(MESSAGE)}, status=503)
    else:
        response = HttpResponse(render_to_string("site/503-disk-full.html", {"message": MESSAGE}), status=503)
    response["Retry-After"] = "300"
    return response


class DiskFullMiddleware:
    """A view whose write meets a full disk answers 503 and a clear message instead of a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return disk_full_response(request) if is_disk_full(exception) else None


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a session that can't be saved on a full disk doesn't fail a read: the answer goes
    out, and the session keeps its last saved state."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        answered = response
        with tolerate_disk_full("saving the session"):
            answered = super().process_response(request, response)
        return answered
