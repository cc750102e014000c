"""The public pages and the health check."""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.db import connection
from django.db.utils import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from lte.accounts import plans
from lte.accounts.middleware import Prefs, current_prefs, set_prefs_cookie
from lte.accounts.preferences import language_codes
from lte.lib.diskfull import disk_full_recently, disk_space_low
from lte.lib.formats import currency_name, format_money, format_number
from lte.privacy import documents


@never_cache
@require_GET
def language_choose(request: HttpRequest, code: str) -> HttpResponse:
    """The public pages' language switcher: the visitor's explicit choice, kept in the preferences cookie.

    A link, not a form: a form needs a CSRF token, which lives in the session, and a session cookie on the
    marketing pages is what the policy rules out. It changes nothing on the server, only the visitor's own
    cookie, so the worst a link from elsewhere can do is switch the language the page then offers to switch
    back. Until a visitor follows one, no cookie is set (GPC/DNT or not): the language comes from the browser.
    A signed-in user's language is their account's: the preferences page changes it.
    """
    if code not in language_codes():
        raise Http404
    target = request.GET.get("next", "")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/"
    if request.user.is_authenticated:
        return redirect("accounts:preferences")
    current = current_prefs(request)
    response = HttpResponseRedirect(target)
    set_prefs_cookie(response, Prefs(code, current.currency, current.theme))
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("crm:dashboard")
    return render(request, "site/home.html")


def plan_cards(currency: str) -> list[dict]:
    """The three plans of lte/accounts/plans.py as /pricing shows them, each price in `currency` (one we price
    in), listing only features the app has: teams appear once the teams app is there."""
    teams = apps.is_installed("lte.teams")
    limit = format_number(plans.FREE_CONTACT_LIMIT)
    free = [_("Notes and a log of your messages, encrypted with your account's own key"),
            _("Follow-ups, birthdays and reorder reminders on one Today screen"),
            _("Message scripts that open your phone's SMS, WhatsApp or email app"),
            _("Import from CSV, Google Contacts and your phone (vCard)"),
            _("One-tap export of everything, and one-tap deletion")]
    pro = [_("Everything in Free"), _("No limit on contacts")]
    leader = [_("Everything in Pro")]
    leader += ([_("Lead a team: share your scripts with it"),
                _("See your team's activity, only where each member chooses to share it")] if teams
               else [_("Leading a team, once team features arrive (they are not in the app yet)")])
    return [
        {"code": plans.FREE, "name": _("Free"), "price": _("Free — up to %(limit)s contacts") % {"limit": limit},
         "features": free},
        {"code": plans.PRO, "name": _("Pro"), "features": pro,
         "price": _("%(price)s / month") % {"price": format_money(plans.price(plans.PRO, currency), currency)}},
        {"code": plans.LEADER, "name": _("Leader"), "features": leader,
         "price": _("%(price)s / month") % {"price": format_money(plans.price(plans.LEADER, currency), currency)}},
    ]


@require_GET
def pricing(request: HttpRequest) -> HttpResponse:
    """Prices in the visitor's currency: `?currency=` (the page's own picker, no cookie), else the preference
    (the account's, the preferences cookie's), else the one of the country they seem to be in; USD where we
    have no price of that currency."""
    asked = request.GET.get("currency", "").upper()
    wanted = asked if asked in plans.PRICED_CURRENCIES else current_prefs(request).currency
    currency = plans.priced_currency(wanted)
    choices = sorted(((code, f"{currency_name(code)} ({code})") for code in plans.PRICED_CURRENCIES),
                     key=lambda item: item[1].casefold())
    return render(request, "site/pricing.html", {
        "plans": plan_cards(currency), "currency": currency, "currency_choices": choices,
        "billing_enabled": plans.billing_enabled(),
    })


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
