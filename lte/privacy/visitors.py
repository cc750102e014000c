"""Counting visitors of the public pages (stub until implemented)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def count_visitors(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    return middleware
