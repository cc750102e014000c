"""Project-wide HTTP hardening that Django and django-csp don't already cover."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

Handler = Callable[[HttpRequest], HttpResponse]
UPLOAD_PATHS = ("/api/v1/contacts/import", "/app/import/upload")


def security_headers(get_response: Handler) -> Handler:
    """Permissions-Policy and cross-origin isolation on every response."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response

    return middleware


def limit_request_body(get_response: Handler) -> Handler:
    """Refuse oversized bodies before anything reads them (413), so a 10 MB JSON never reaches a parser."""

    def middleware(request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _too_large(request, "Content-Length is not a number.", status=400)
        limit = (
            settings.MAX_UPLOAD_BODY_BYTES
            if request.path.startswith(UPLOAD_PATHS)
            else settings.MAX_REQUEST_BODY_BYTES
        )
        if length > limit:
            return _too_large(request, f"The request body is larger than {limit} bytes.")
        return get_response(request)

    return middleware


def _too_large(request: HttpRequest, detail: str, status: int = 413) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": detail}, status=status)
    return HttpResponse(detail, status=status, content_type="text/plain; charset=utf-8")


def no_store_when_logged_in(get_response: Handler) -> Handler:
    """Pages for a signed-in user are never kept in shared or browser caches."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response.headers["Cache-Control"] = "no-store, private"
        return response

    return middleware
