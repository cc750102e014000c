"""`policy_changes` in every template: the meaningful policy versions the signed-in user hasn't
acknowledged yet, for the banner (`templates/privacy/_banner.html`, included by base.html).

Lazy: the query runs only when a template reads `policy_changes`, at most once per request.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from lte.privacy.documents import pending_for


def policy_banner(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"policy_changes": ()}
    return {"policy_changes": SimpleLazyObject(lambda: _changes(request))}


def _changes(request: HttpRequest) -> list:
    cached = getattr(request, "_lte_policy_changes", None)
    if cached is None:
        cached = pending_for(request.user)
        request._lte_policy_changes = cached  # type: ignore[attr-defined]
    return cached
