from __future__ import annotations

from datetime import time

from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.mfa.base.forms import AuthenticateForm, ReauthenticateForm
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from django import forms
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils.translation import gettext_lazy as _

from lte.accounts.countries import country_choices
from lte.accounts.models import User
from lte.accounts.preferences import canonical_language, currency_choices, is_timezone
from lte.lib.formats import format_time, language_name

ADULT_REQUIRED = _(
    "LTE is made for adults, so you need to be 18 or older to create an account. "
    "Nothing you typed has been stored."
)

COUNTRY_HELP = _("Phone numbers typed without a +country code are read as numbers of this country.")


class CountryField(forms.ChoiceField):
    """An ISO 3166-1 alpha-2 code in any case ("us" is US), or "" for none; the list is sorted by name."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Country"))
        kwargs.setdefault("help_text", COUNTRY_HELP)
        super().__init__(choices=country_choices, required=False, **kwargs)

    def to_python(self, value) -> str:
        return super().to_python(value).strip().upper()


class SignupForm(AllauthSignupForm):
    """allauth's signup plus a name, the 18+ confirmation, the country and the browser's timezone."""

    name = forms.CharField(label=_("Your name"), max_length=150, strip=True,
                           widget=forms.TextInput(attrs={"autocomplete": "name"}))
    adult = forms.BooleanField(
        label=_("I am 18 or older"), required=True, error_messages={"required": ADULT_REQUIRED}
    )
    timezone = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput())
    country = CountryField()

    field_order = ["name", "email", "password1", "country", "adult"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if not name:
            raise forms.ValidationError(_("Please tell us your name."))
        return name

    def clean_timezone(self) -> str:
        value = self.cleaned_data.get("timezone") or ""
        return value if is_timezone(value) else ""

    def hash_as_for_a_new_account(self) -> None:
        """A registered address creates nothing, yet does the new account's slow work (hashing the password),
        so the answer's timing doesn't tell who has an account. The page and the API both call this."""
        make_password(self.cleaned_data.get("password1") or "")

    def try_save(self, request):
        if self.account_already_exists:
            self.hash_as_for_a_new_account()
        return super().try_save(request)


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name"]
        labels = {"name": _("Name")}


class LanguageField(forms.ChoiceField):
    """One of the five languages, in any case ('pt-br'), cleaned to the contract's spelling ('pt-BR')."""

    def to_python(self, value) -> str:
        text = super().to_python(value)
        return canonical_language(text) or text


def language_choices() -> list[tuple[str, str]]:
    """The languages we offer, each by its own name ("Español", "Deutsch"): found by whoever reads it."""
    return [(code, language_name(code)) for code, _name in settings.LANGUAGES]


def digest_hours() -> list[tuple[int, str]]:
    """Each hour of the day as the reader's clock writes it ("8:00 AM", "08:00")."""
    return [(hour, format_time(time(hour))) for hour in range(24)]


class PreferencesForm(forms.ModelForm):
    language = LanguageField(label=_("Language"), choices=language_choices)
    currency = forms.ChoiceField(label=_("Currency"), choices=currency_choices,
                                 help_text=_("Prices are shown in it. It starts as your country's."))
    timezone = forms.CharField(label=_("Timezone"), max_length=64,
                               help_text=_("An IANA name such as Europe/Madrid or America/Chicago."))
    country = CountryField()
    theme = forms.ChoiceField(label=_("Theme"), choices=[("auto", _("Like my device")),
                                                        ("light", _("Light")), ("dark", _("Dark"))])
    daily_digest = forms.BooleanField(
        label=_("Email me each morning how many follow-ups, birthdays and reorders I have today"), required=False,
        help_text=_("Counts only: no contact's name, note or message is ever in the email."))
    digest_hour = forms.TypedChoiceField(label=_("Send it at"), coerce=int, required=False, empty_value=None,
                                         choices=digest_hours)
    reminder_hour = forms.TypedChoiceField(
        label=_("Reorder reminders at"), coerce=int, required=False, empty_value=None, choices=digest_hours,
        help_text=_("A customer's reorder reminder falls due at this hour on its day. Changing it moves the open "
                    "ones."))

    class Meta:
        model = User
        fields = ["language", "currency", "timezone", "country", "daily_digest", "digest_hour", "reminder_hour"]

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        if not is_timezone(value):
            raise forms.ValidationError(_("Unknown timezone: use a name such as Europe/Madrid."))
        return value


class CountryForm(forms.Form):
    """The signed-in home's one-question prompt, shown while the account has no country."""

    country = CountryField(label=_("Which country are your contacts in?"),
                           help_text=_("Phone numbers without +country code are read with it."))

    def clean_country(self) -> str:
        if not self.cleaned_data["country"]:
            raise forms.ValidationError(_("Choose a country."))
        return self.cleaned_data["country"]


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Token name"), max_length=100, strip=True,
                           help_text=_("Say where you will use it, e.g. “phone shortcut”."))


# Authenticator and recovery codes are digits: the phone's number pad, and the code the phone offers from a text
# or the authenticator app (autocomplete=one-time-code).
CODE_ATTRS = {"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]*"}


class _NumericCode:
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(CODE_ATTRS)  # type: ignore[attr-defined]


class MFAAuthenticateForm(_NumericCode, AuthenticateForm):
    pass


class MFAReauthenticateForm(_NumericCode, ReauthenticateForm):
    pass


class ActivateTOTPForm(_NumericCode, AllauthActivateTOTPForm):
    pass
