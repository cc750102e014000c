"""The request type of a signed-in page or API call: `request.user` is an account, never anonymous.

Views behind `login_required` (or an API operation behind its auth) take `request: AuthenticatedHttpRequest`, so
the type checker knows what the decorator guarantees (django-stubs' recommended pattern)."""

from __future__ import annotations

from django.http import HttpRequest

from lte.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User  # narrower than HttpRequest's `User | AnonymousUser`: the guard made it so
