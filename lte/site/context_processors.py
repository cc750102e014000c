from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from lte.lib.formats import language_name
from lte.site.pwa import account_marker


def site(request: HttpRequest) -> dict:
    """The theme, and for visitors the language switcher's links (each back to the page it is on)."""
    prefs = getattr(request, "prefs", None)
    user = getattr(request, "user", None)
    context: dict = {
        "theme": prefs.theme if prefs else "auto",
        # base.html: whose offline outbox this page shows and sends (lte.site.pwa.account_marker)
        "lte_account": account_marker(user) if user is not None and user.is_authenticated else "",
    }
    if user is not None and not user.is_authenticated:
        here = urlencode({"next": request.get_full_path()})
        current = prefs.language if prefs else settings.LANGUAGE_CODE
        context["language_links"] = [
            {"code": code, "name": language_name(code), "current": code == current,
             "url": f"{reverse('site:language', args=[code])}?{here}"}
            for code, _name in settings.LANGUAGES
        ]
    return context
