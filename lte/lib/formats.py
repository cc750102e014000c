"""Dates, times, numbers, money and phone numbers as the reader writes them, through Babel (CLDR) and phonenumbers.

Everything follows the active language (`translation.get_language()`: the user's `language`, a visitor's
Accept-Language or chosen one, an email's recipient's) and the active timezone (the user's; UTC for visitors):
"15 de enero de 2027", "R$ 49,90", "1.234". Django's own `date` filter only knows English month order and the
formats of its locale files; CLDR has every locale's patterns, currency symbols and first day of the week.
A style is one of Babel's "short", "medium", "long", "full", or a CLDR skeleton ("MMMEd", "yMMMd", "Hm") that
Babel turns into the locale's own pattern ("Fri, Jan 15" / "vie, 15 ene").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.core import get_global
from django.conf import settings
from django.utils import timezone, translation

STYLES = frozenset({"short", "medium", "long", "full"})
NBSP, NNBSP = "\xa0", "\u202f"


def babel_locale(language: str | None = None) -> Locale:
    """The Babel locale of a language code ('pt-BR' and 'pt' → pt_BR, 'es' → es), the active language's without
    one; English when unknown."""
    return _locale_of(language or translation.get_language() or settings.LANGUAGE_CODE)


@cache
def _locale_of(language: str) -> Locale:
    code = language.replace("_", "-")
    if code.lower() == "pt":
        code = "pt-BR"  # the Portuguese we offer is Brazil's
    try:
        return Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def current_locale() -> Locale:
    return babel_locale(translation.get_language())


def _zone() -> dt.tzinfo:
    return timezone.get_current_timezone()


def _format(pattern_or_style: str, value, kind: str) -> str:
    locale = current_locale()
    if kind == "date":
        if pattern_or_style in STYLES:
            return babel_dates.format_date(value, format=pattern_or_style, locale=locale)
        return _skeleton(pattern_or_style, value, locale)
    if pattern_or_style in STYLES:
        formatter = babel_dates.format_time if kind == "time" else babel_dates.format_datetime
        return formatter(value, format=pattern_or_style, tzinfo=_zone(), locale=locale)
    return _datetime_skeleton(pattern_or_style, value, locale)


def _skeleton(skeleton: str, value: dt.date, locale: Locale) -> str:
    """babel's format_skeleton, with the locale's pattern for the skeleton found once (the match is most of it)."""
    return babel_dates.format_datetime(value, _skeleton_pattern(locale, skeleton), locale=locale)


@cache
def _skeleton_pattern(locale: Locale, skeleton: str):
    if skeleton not in locale.datetime_skeletons:
        skeleton = babel_dates.match_skeleton(skeleton, locale.datetime_skeletons) or skeleton
    return locale.datetime_skeletons[skeleton]


TIME_FIELDS = frozenset("hHkKjJCmsSaAbBvVzZOxX")


def _datetime_skeleton(skeleton: str, value: dt.datetime, locale: Locale) -> str:
    """A skeleton of both a date and a time ("MMMEdjm"): CLDR has patterns for each part and the locale's
    way of joining them ("{1}, {0}", "{1} 'à' {0}"), not one pattern for every combination. The time is the
    locale's short one whatever letters ask for it ("2:30 PM" in English, "14:30" in German)."""
    date_part = "".join(ch for ch in skeleton if ch not in TIME_FIELDS)
    time_part = "".join(ch for ch in skeleton if ch in TIME_FIELDS)
    local = timezone.localtime(value, _zone())
    if not time_part:
        return _skeleton(date_part, local.date(), locale)
    if not date_part:
        return babel_dates.format_time(local, format="short", tzinfo=_zone(), locale=locale)
    return babel_dates.format_datetime(local, _joined_pattern(locale, date_part), locale=locale)


@cache
def _joined_pattern(locale: Locale, date_skeleton: str) -> str:
    """The locale's pattern for a day of this skeleton and its short time, joined its way: one pattern, so a
    moment is formatted in one pass (a timeline has dozens). CLDR's joining formats are patterns themselves."""
    joiner = str(locale.datetime_formats.get("medium", "{1} {0}"))
    day, clock = _skeleton_pattern(locale, date_skeleton).pattern, locale.time_formats["short"].pattern
    return joiner.replace("{1}", day).replace("{0}", clock)


def _parsed(value):
    """A value as it comes from JSON-ready data ("2027-01-15", "2027-01-15T14:30:00+00:00") as a date or datetime;
    anything else unchanged."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def format_day(value: dt.date | dt.datetime | str | None, style: str = "long") -> str:
    """A calendar day: "January 15, 2027", "15 de enero de 2027". A datetime is first moved to the active
    timezone (the day it is where the reader is)."""
    value = _parsed(value)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, _zone()).date() if timezone.is_aware(value) else value.date()
    return _format(style or "long", value, "date")


def format_time(value: dt.datetime | dt.time | str | None, style: str = "short") -> str:
    """A time of day in the active timezone: "2:30 PM", "14:30"."""
    value = _parsed(value)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.time):
        return babel_dates.format_time(value, format=style if style in STYLES else "short",
                                       locale=current_locale())
    return _format(style or "short", _aware(value), "time")


def format_moment(value: dt.datetime | dt.date | str | None, style: str = "medium") -> str:
    """A date and time in the active timezone: "Jan 15, 2027, 2:30:00 PM", "15 ene 2027, 14:30:00"."""
    value = _parsed(value)
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if not isinstance(value, dt.datetime):
        return format_day(value, "medium" if style in STYLES else "yMMMd")
    return _format(style or "medium", _aware(value), "datetime")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


def format_number(value: int | float | Decimal | str | None) -> str:
    """A number with the locale's grouping and decimal signs: "1,234.5", "1.234,5", "1 234,5"."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return babel_numbers.format_decimal(number, locale=current_locale())


def format_money(amount: int | float | Decimal | str | None, currency: str) -> str:
    """An amount of a currency as the reader writes it: "R$ 49,90", "9,00 €", "$9.00", "¥1,400"."""
    if amount is None or amount == "":
        return ""
    try:
        number = Decimal(str(amount))
    except ArithmeticError:
        return str(amount)
    try:
        written = babel_numbers.format_currency(number, currency, locale=current_locale())
    except (babel_numbers.UnknownCurrencyError, ValueError):
        written = f"{format_number(number)} {currency}"
    # CLDR's no-break spaces ("R$\xa049,90") as plain ones, as sellers type and search them.
    return written.replace(NBSP, " ").replace(NNBSP, " ")


def account_country(user) -> str:
    """The account's country ('' for a visitor or none chosen): its numbers are shown nationally, its week
    starts where it is."""
    return getattr(user, "country", "") or ""


def format_phone(e164: str | None, country: str = "") -> str:
    """An E.164 number in the national format when it belongs to `country` (the account's), in the
    international format otherwise, as typed when it isn't a number phonenumbers can read."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    if country and region == country.upper():
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def first_week_day(language: str | None = None, country: str = "") -> int:
    """The day a week starts on (CLDR week data, 0 Monday … 6 Sunday): where the account is (its country), else
    where the language is mostly spoken (en → US: Sunday; es → ES, de, fr: Monday; pt-BR → BR: Sunday)."""
    locale = babel_locale(language or translation.get_language())
    territory = (country or locale.territory or home_territory(locale.language)).upper()
    return _territory_first_day(territory) if territory else locale.first_week_day


def home_territory(language: str) -> str:
    """Where a language is mostly spoken (CLDR's likely subtags): en → US, es → ES, pt → BR, de → DE; ''."""
    likely = str(get_global("likely_subtags").get(language.split("-")[0].lower(), "")).split("_")
    return likely[-1] if len(likely) > 1 and len(likely[-1]) == 2 else ""


@cache
def _territory_first_day(territory: str) -> int:
    try:
        return Locale.parse(f"und_{territory}").first_week_day
    except (UnknownLocaleError, ValueError):
        return 0


def week_start(day: dt.date, language: str | None = None, country: str = "") -> dt.date:
    """The first day of the week holding `day`, by the first week day there (`first_week_day`)."""
    return day - dt.timedelta(days=(day.weekday() - first_week_day(language, country)) % 7)


def currency_name(code: str) -> str:
    """A currency's name in the active language ("Brazilian Real", "real brasileño"); the code when unknown."""
    return current_locale().currencies.get(code, code)


def territory_name(code: str) -> str:
    """A country's name in the active language ("Germany", "Alemania", "Allemagne"); '' when CLDR lacks it."""
    return current_locale().territories.get(code, "")


def language_name(code: str, *, own: bool = True) -> str:
    """A language's name: in that language itself ("Español", "Português (Brasil)": what a switcher shows), or
    with `own=False` in the active language ("Spanish" to an English reader)."""
    locale = babel_locale(code)
    name = locale.get_display_name(locale if own else current_locale()) or code
    return name[:1].upper() + name[1:]
