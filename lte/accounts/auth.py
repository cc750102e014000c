"""API authentication: a bearer token, or the browser session (with CSRF, through ninja's SessionAuth)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from lte.accounts.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        api_token = api_token_authenticate(secret=token)
        if api_token is None:
            return None
        request.user = api_token.owner
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.owner


auth = [BearerToken(), django_auth]
