"""Possible duplicates: the pairs sharing an email or a phone, Merge, Not the same person, and taking that back."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lte.crm.models import Contact, DuplicateDismissal
from lte.crm.services import duplicates
from lte.crm.views.contacts import contact_for
from lte.crm.views.links import phone_links
from lte.lib.formats import account_country
from lte.lib.http import flash_errors, is_htmx, next_url, page_number

DUPLICATE_PAIRS = 50


def _side(contact: Contact, other: Contact, *, older: bool, country: str) -> dict[str, Any]:
    """One contact of a pair, with the values it shares with the other marked."""
    their_emails = {e.casefold() for e in other.emails}
    return {"contact": contact, "other": other, "older": older,
            "phones": [{"display": phone_links(p, country=country).display, "shared": p in other.phones}
                       for p in contact.phones],
            "emails": [{"address": e, "shared": e.casefold() in their_emails} for e in contact.emails]}


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Every pair of the seller's contacts sharing an email or a phone, with Merge and Not the same person;
    `?show=dismissed` lists the pairs marked as two people (to take that back)."""
    user = request.user
    if is_htmx(request) and request.GET.get("badge") == "1":
        # The contact list's count, fetched after that page has shown: at 100,000 contacts finding the
        # pairs takes a scan of the blind index, which the list itself shouldn't wait for.
        response = render(request, "crm/_duplicate_count.html", {"count": duplicates.pair_count(user)})
        patch_vary_headers(response, ["HX-Request"])
        return response
    number = page_number(request)
    offset = (number - 1) * DUPLICATE_PAIRS
    dismissed = DuplicateDismissal.objects.owned_by(user)
    context: dict[str, Any] = {"here": request.get_full_path(), "section": "contacts",
                               "dismissed_count": dismissed.count(), "page_number": number}
    if request.GET.get("show") == "dismissed":
        rows = list(dismissed.select_related("contact_a", "contact_b").order_by("-created_at", "id")
                    [offset:offset + DUPLICATE_PAIRS + 1])
        context |= {"show": "dismissed", "dismissals": rows[:DUPLICATE_PAIRS],
                    "has_next": len(rows) > DUPLICATE_PAIRS, "count": duplicates.pair_count(user)}
    else:
        page = duplicates.pair_page(user, offset=offset, limit=DUPLICATE_PAIRS)
        pairs = [{"pair": p, "sides": [_side(p.first, p.second, older=True, country=account_country(user)),
                                          _side(p.second, p.first, older=False, country=account_country(user))]}
                 for p in page.items if p.first is not None and p.second is not None]
        context |= {"show": "pairs", "pairs": pairs, "count": page.count, "capped": page.capped,
                    "has_next": offset + DUPLICATE_PAIRS < page.count}
    response = render(request, "crm/duplicates.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_duplicates(request: HttpRequest) -> HttpResponse:
    return redirect(next_url(request, reverse("crm:duplicates")))


@login_required
@require_POST
def duplicate_merge(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    """Merges `other_id` into `contact_id` (the one the seller keeps): every value of both stays."""
    keep, other = contact_for(request, contact_id), contact_for(request, other_id)
    return _duplicate_action(request, lambda: duplicates.contact_merge(owner=request.user, keep_id=keep.pk,
                                                                     merge_id=other.pk),
                             _("Merged. Everything from both is on one contact now."))


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    return _duplicate_action(request, lambda: duplicates.duplicate_dismiss(
        owner=request.user, contact_id=contact_id, other_id=other_id),
        _("Got it: two people. They won't be suggested as duplicates again."))


@login_required
@require_POST
def duplicate_dismissal_delete(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    return _duplicate_action(request, lambda: duplicates.duplicate_dismissal_delete(
        owner=request.user, contact_id=contact_id, other_id=other_id),
        _("They'll be suggested as possible duplicates again."))


def _duplicate_action(request: HttpRequest, action, done: str) -> HttpResponse:
    """Runs one of the duplicates page's actions (a missing contact is a 404) and goes back to the page."""
    with flash_errors(request):
        action()
        messages.success(request, done)
    return _back_to_duplicates(request)
