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


def limit_request_head(get_response: Handler) -> Handler:
    """An over-long request line (414) or header, or too many headers (431), answered by us — as JSON on the
    API — before gunicorn's own, higher, limits would answer with an HTML page."""

    def middleware(request: HttpRequest) -> HttpResponse:
        meta = request.META
        target = meta.get("RAW_URI") or (meta.get("PATH_INFO", "") + (f"?{meta['QUERY_STRING']}"
                                                                     if meta.get("QUERY_STRING") else ""))
        line = len(meta.get("REQUEST_METHOD", "")) + 1 + len(target) + 1 + len(meta.get("SERVER_PROTOCOL", ""))
        if line > settings.MAX_REQUEST_LINE:
            return _too_large(request, f"The request line is longer than {settings.MAX_REQUEST_LINE} bytes.",
                              status=414)
        headers = [(key, value) for key, value in meta.items()
                   if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH")]
        if len(headers) > settings.MAX_REQUEST_HEADERS:
            return _too_large(request, f"The request has more than {settings.MAX_REQUEST_HEADERS} headers.",
                              status=431)
        if any(len(key) + 2 + len(str(value)) > settings.MAX_REQUEST_HEADER_LINE for key, value in headers):
            return _too_large(request, f"A request header is longer than {settings.MAX_REQUEST_HEADER_LINE} "
                                       "bytes.", status=431)
        return get_response(request)

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
