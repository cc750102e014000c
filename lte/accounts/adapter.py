"""How allauth creates LTE accounts and builds the links in its emails."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from allauth.account.internal.stagekit import clear_login
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation

from lte.accounts.countries import timezone_country
from lte.accounts.limits import LoginLimitsAdapter
from lte.accounts.middleware import current_prefs
from lte.accounts.models import User
from lte.accounts.preferences import (
    canonical_language,
    currency_for_country,
    guess_country,
    is_timezone,
)
from lte.vault.crypto import Cipher, DecryptionFailed, b64d, b64e, derive, master_keys
from lte.vault.keys import is_tombstoned


def public_url(url: str) -> str:
    """Rewrites an absolute URL built from the request onto LTE_BASE_URL, the address users reach."""
    base = urlsplit(settings.BASE_URL)
    parts = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))


class AccountAdapter(LoginLimitsAdapter):
    def save_user(self, request: HttpRequest, user, form, commit: bool = True):
        """The new account's name, 18+ attestation, language, timezone, country and currency.

        The country is the one the person chose in the signup form or the API's `country`, when they chose one:
        an explicit choice beats a guess, and the page's select is pre-filled with the guess anyway. Without
        one, the CDN's `CF-IPCountry` (when trusted), else the region of the browser's first language that
        names a country (`pt-BR` → BR), else the country of the browser's timezone, else none (then the app's
        first screen asks). The default currency follows the country.
        """
        data = form.cleaned_data
        user.name = data["name"]
        user.adult_confirmed_at = timezone.now()
        tz_name = data.get("timezone") or ""
        country = data.get("country") or guess_country(request) or timezone_country(tz_name)
        user.country = country
        user.currency = currency_for_country(country)
        user.language = current_prefs(request).language  # the one chosen on the public pages, else the browser's
        user.timezone = tz_name if is_timezone(tz_name) else "UTC"
        return super().save_user(request, user, form, commit=commit)

    def authenticate(self, request: HttpRequest, **credentials):
        """A password never opens an account whose deletion has begun (the page, the API's token, a
        re-authentication): from its tombstone on, it is a failed login like any other."""
        user = super().authenticate(request, **credentials)
        if user is not None and is_tombstoned(user.pk):
            return None
        return user

    def pre_login(self, request: HttpRequest, user, **kwargs) -> HttpResponse | None:
        """Every way allauth signs someone in (password, code, a confirmation link…) passes here: none signs
        in to an account with a tombstone."""
        if is_tombstoned(user.pk):
            clear_login(request)
            return self.respond_user_inactive(request, user)
        return super().pre_login(request, user, **kwargs)

    def get_signup_redirect_url(self, request: HttpRequest) -> str:
        """The confirmation link signs the new seller in (ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION, in the browser that
        signed up) and opens the first-run steps; they set `onboarded_at`, after which this is Today as usual.
        A seller who confirmed elsewhere and logs in with the password finds the steps offered on Today."""
        user = request.user
        if user.is_authenticated and getattr(user, "onboarded_at", True) is None:
            return reverse("crm:welcome")
        return super().get_signup_redirect_url(request)

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Every link in allauth's emails points at LTE_BASE_URL, whatever host the request came in on; the
        email speaks its recipient's language (a password reset asked for from a browser in another language
        still reaches a Spanish-speaking seller in Spanish). An address without an account gets the page's."""
        context = {
            key: public_url(value) if isinstance(value, str) and value.startswith(("http://", "https://")) else value
            for key, value in context.items()
        }
        recipient = context.get("user")
        if not isinstance(recipient, User):
            recipient = User.objects.filter(email__iexact=email).only("language").first()
        language = canonical_language(recipient.language if recipient else None) or translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted (AES-256-GCM under a key derived from the master key).

    allauth's hooks don't say whose secret it is, so these use a service key rather than the account's
    data key; a database or backup copy still holds no readable secret without the master key.
    """

    PURPOSE = "lte:v1:mfa-secrets"

    def encrypt(self, text: str) -> str:
        key = derive(master_keys().current, self.PURPOSE)
        return f"v1:{master_keys().current_id}:{b64e(Cipher(key).seal(text.encode(), self.PURPOSE.encode()))}"

    def decrypt(self, encrypted_text: str) -> str:
        version, kek_id, blob = encrypted_text.split(":", 2)
        if version != "v1":
            raise DecryptionFailed("unknown MFA secret version")
        key = derive(master_keys().by_id(kek_id), self.PURPOSE)
        return Cipher(key).open(b64d(blob), self.PURPOSE.encode()).decode()
