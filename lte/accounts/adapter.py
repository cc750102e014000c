"""How allauth creates LTE accounts and builds the links in its emails."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from lte.accounts.preferences import currency_for_country, is_timezone, request_country, request_language


def public_url(url: str) -> str:
    """Rewrites an absolute URL built from the request onto LTE_BASE_URL, the address users reach."""
    base = urlsplit(settings.BASE_URL)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        data = form.cleaned_data
        user.name = data["name"]
        user.adult_confirmed_at = timezone.now()
        country = request_country(request)
        user.country = country
        user.currency = currency_for_country(country)
        user.language = request_language(request)
        tz_name = data.get("timezone") or ""
        user.timezone = tz_name if is_timezone(tz_name) else "UTC"
        return super().save_user(request, user, form, commit=commit)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every link in allauth's emails points at LTE_BASE_URL, whatever host the request came in on."""
        context = {
            key: public_url(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else value
            for key, value in context.items()
        }
        super().send_mail(template_prefix, email, context)
