"""The session engine (SESSION_ENGINE): Django's database sessions (cached_db with Redis), except that a session
holding nothing but the CSRF token is never stored.

The CSRF token lives in the session (CSRF_USE_SESSIONS), so every cookieless visit to a public form (login,
signup, the reset page, the child report) used to store a row, kept 30 days. Now such a session travels in the
session cookie itself, as the token signed with SECRET_KEY: the same cookie (no new one), the same CSRF check
on the POST (the posted token must match the cookie's, which nobody can forge), and no row until there is more
to keep — a login, a message, allauth's flow state — when it becomes an ordinary stored session with a new
random key. Explicit creation (`create()`, which login's `cycle_key()` calls) always stores a row, so the session
list (allauth usersessions) only ever sees stored keys.
"""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import cached_db, db
from django.core import signing
from django.middleware.csrf import CSRF_SESSION_KEY
from django.utils import timezone

from lte.lib.prepared import Prepared

PREFIX = "c."  # stored keys are [a-z0-9]{32}: a cookie-only session never looks like one
SALT = "lte.accounts.sessions:csrf-only"


def _cookie_key(key: str | None) -> bool:
    return key is not None and key.startswith(PREFIX)


def _csrf_only(data: dict[str, Any]) -> bool:
    return bool(data) and set(data) <= {CSRF_SESSION_KEY}


@functools.cache
def _live(model) -> Prepared:
    """The query for a live session by its key, compiled once: every signed-in page and form reads it. (The model
    comes from the store, as Django's own store has it: it isn't imported before the apps are ready.)"""
    return Prepared(lambda key, now: model.objects.filter(session_key=key, expire_date__gt=now),
                    [model._meta.get_field("session_key"), model._meta.get_field("expire_date")])


class DatabaseSessionStore(db.SessionStore):
    """Database sessions, but a CSRF-only session in its cookie."""

    def _get_session_from_db(self):
        """Django's (the session while it hasn't expired, else none and no key), through `_live`."""
        found = _live(self.model).instances(self.session_key, timezone.now())
        if not found:
            self._session_key = None
            return None
        return found[0]

    def _validate_session_key(self, key: str | None) -> bool:
        if _cookie_key(key):
            return True  # its signature is checked when it is read
        return bool(super()._validate_session_key(key))  # type: ignore[misc]  # not in the stubs

    def load(self) -> dict[str, Any]:
        key = self.session_key
        if key is None or not _cookie_key(key):
            return super().load()
        try:
            data = signing.loads(key[len(PREFIX):], salt=SALT, max_age=settings.SESSION_COOKIE_AGE)
        except signing.BadSignature:
            data = None
        if isinstance(data, dict) and _csrf_only(data):
            return data
        self._session_key = None  # forged, expired or odd: a fresh, empty session
        return {}

    def exists(self, session_key: str) -> bool:
        return not _cookie_key(session_key) and super().exists(session_key)

    def save(self, must_create: bool = False) -> None:
        if not must_create:
            data = self._get_session()  # type: ignore[attr-defined]  # not in the stubs
            if _csrf_only(data):
                stored = self.session_key
                self._session_key = PREFIX + signing.dumps(data, salt=SALT)
                if stored and not _cookie_key(stored):
                    super().delete(stored)  # nothing left worth a row
                return
            if _cookie_key(self.session_key):
                self._session_key = None  # more to keep now: a stored session under a new random key
        super().save(must_create=must_create)

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if not _cookie_key(key):
            super().delete(session_key)
        elif session_key is None:
            self._session_key = None  # a cookie-only session has no row to delete


class CachedDatabaseSessionStore(DatabaseSessionStore, cached_db.SessionStore):
    """The same over cached_db (with Redis): the mixin's calls go on to cached_db, then db."""


SessionStore = CachedDatabaseSessionStore if settings.REDIS_URL else DatabaseSessionStore
