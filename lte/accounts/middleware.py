"""Session time-outs and the preferences cookie (the only cookie besides the session)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers

from lte.accounts.preferences import CURRENCIES, canonical_language, language_codes, request_language, visitor_currency
from lte.lib.diskfull import tolerate_disk_full
from lte.lib.zones import zone_for
from lte.vault.keys import is_tombstoned

Handler = Callable[[HttpRequest], HttpResponse]
VARY = ("Accept-Language", "Cookie")
VARY_TRUSTED = (*VARY, "CF-IPCountry")
THEMES = ("auto", "light", "dark")
AUTH_AT, SEEN_AT = "lte_auth_at", "lte_seen_at"
SEEN_RESOLUTION = 60  # write "last seen" (the session's and the session list's) at most once a minute


def session_timeouts(get_response: Handler) -> Handler:
    """Ends a signed-in session after SESSION_IDLE_TIMEOUT without use or SESSION_ABSOLUTE_TIMEOUT in all, and
    the moment its account has a tombstone (a deletion begun, even one a crash cut short before the sessions)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(AUTH_AT, now)
            seen = request.session.get(SEEN_AT, now)
            if (now - seen > settings.SESSION_IDLE_TIMEOUT or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                    or is_tombstoned(request.user.pk)):
                logout(request)
            elif now - seen >= SEEN_RESOLUTION or SEEN_AT not in request.session:
                request.session[SEEN_AT] = now
                if request.session.session_key:  # the session list: last use, IP and browser, once a minute
                    with tolerate_disk_full("the session list's last use"):
                        UserSession.objects.create_from_request(request)
        return get_response(request)

    return middleware


@dataclass(frozen=True)
class Prefs:
    language: str
    currency: str
    theme: str

    def cookie_value(self) -> str:
        return f"{self.language}:{self.currency}:{self.theme}"


def parse_prefs_cookie(raw: str | None) -> Prefs | None:
    parts = (raw or "").split(":")
    if len(parts) != 3:
        return None
    language, currency, theme = parts
    language = canonical_language(language) or ""
    if language not in language_codes() or currency not in CURRENCIES or theme not in THEMES:
        return None
    return Prefs(language, currency, theme)


def current_prefs(request: HttpRequest) -> Prefs:
    cookie = parse_prefs_cookie(request.COOKIES.get(settings.PREFS_COOKIE_NAME))
    theme = cookie.theme if cookie else "auto"
    user = request.user
    if user.is_authenticated:
        return Prefs(user.language, user.currency, theme)
    if cookie:
        return cookie
    return Prefs(request_language(request), visitor_currency(request), theme)


def set_prefs_cookie(response: HttpResponse, prefs: Prefs) -> None:
    response.set_cookie(
        settings.PREFS_COOKIE_NAME,
        prefs.cookie_value(),
        max_age=60 * 60 * 24 * 365,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def preferences(get_response: Handler) -> Handler:
    """Activates the user's language and timezone for the request (a visitor's: the preferences cookie they
    chose, else the browser's Accept-Language; UTC)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        prefs = current_prefs(request)
        request.prefs = prefs  # type: ignore[attr-defined]
        translation.activate(prefs.language)
        request.LANGUAGE_CODE = prefs.language
        if request.user.is_authenticated:
            timezone.activate(zone_for(request.user))
        else:
            timezone.deactivate()  # UTC
        response = get_response(request)
        response.headers.setdefault("Content-Language", prefs.language)
        # What the page was written for: the browser's languages, the preferences cookie or the session, and
        # (the visitor's currency) the CDN's country, so that no cache hands one visitor's page to another.
        patch_vary_headers(response, VARY_TRUSTED if settings.LTE_TRUST_COUNTRY_HEADER else VARY)
        translation.deactivate()
        timezone.deactivate()
        return response

    return middleware
