from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from lte.vault.context import request_scope


def request_principal(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Lets the decryption guard see this request's user (read when a value is opened, so API auth counts)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        with request_scope(request):
            return get_response(request)

    return middleware
