from django.http import HttpRequest

from lte.site.pwa import account_marker


def site(request: HttpRequest) -> dict:
    prefs = getattr(request, "prefs", None)
    user = getattr(request, "user", None)
    return {
        "theme": prefs.theme if prefs else "auto",
        # base.html: whose offline outbox this page shows and sends (lte.site.pwa.account_marker)
        "lte_account": account_marker(user) if user is not None and user.is_authenticated else "",
    }
