"""What a user may choose as language, currency, timezone and country, and how we guess them at signup."""

from __future__ import annotations

import zoneinfo
from functools import cache

from babel.numbers import get_territory_currencies
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from lte.accounts.countries import accept_language_country, is_country
from lte.accounts.plans import PRICED_CURRENCIES
from lte.lib.formats import currency_name, home_territory

# ISO 4217 currencies in circulation.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
    GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
    LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
    STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG
    XOF XPF YER ZAR ZMW ZWG""".split()  # noqa: SIM905 - a table, easier to read as text
)

@cache
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def language_codes() -> frozenset[str]:
    return frozenset(code for code, _name in settings.LANGUAGES)


def canonical_language(code: str | None) -> str | None:
    """One of settings.LANGUAGES as the contract spells it ('pt-br', 'PT-BR' → 'pt-BR'); None if LTE doesn't
    speak it. Django itself hands back codes lowercased (get_supported_language_variant)."""
    by_lower = {known.lower(): known for known in language_codes()}
    return by_lower.get((code or "").strip().lower())


def is_timezone(value: str) -> bool:
    return value in timezones()


def request_country(request: HttpRequest) -> str:
    """Country from the CDN's header, trusted only where the deployment says it sits behind that CDN."""
    if not settings.LTE_TRUST_COUNTRY_HEADER:
        return ""
    code = request.META.get("HTTP_CF_IPCOUNTRY", "").strip().upper()
    # Two letters, not XX (unknown) or T1 (Tor): recorded as is for the session list and login history (XK too)
    return code if len(code) == 2 and code.isalpha() and code != "XX" else ""


def guess_country(request: HttpRequest) -> str:
    """Where a new account probably is: the trusted CDN header, else the browser's language region, else ''
    (only a country an account can have: see lte.accounts.countries)."""
    header = request_country(request)
    return header if is_country(header) else accept_language_country(request)


def request_language(request: HttpRequest) -> str:
    for code, _q in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200]):
        if code == "*":
            continue
        try:
            variant = get_supported_language_variant(code)
        except LookupError:
            continue
        return canonical_language(variant) or settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


def currency_for_country(country: str) -> str:
    """The money a country pays in today: CLDR's current legal tender there (Babel's territory currencies, kept
    up to date with each release, e.g. Croatia's euro since 2023). Where two are tender (Panama: PAB and USD)
    the one we price in comes first; USD for no country or one without a currency of its own."""
    if not country:
        return "USD"
    try:
        tenders = get_territory_currencies(country.upper(), tender=True, non_tender=False)
    except (KeyError, ValueError):
        return "USD"
    current = [code for code in tenders if code in CURRENCIES]
    priced = [code for code in current if code in PRICED_CURRENCIES]
    return (priced or current or ["USD"])[0]


def visitor_currency(request: HttpRequest) -> str:
    """A visitor's currency before any choice: the one of the country they seem to be in (`guess_country`),
    else, when the browser names only a language ("de", not "de-AT" or "es-419"), of that language's main
    country (de → DE: euros). Only for showing prices: an account's country is never guessed this way."""
    country = guess_country(request)
    if not country:
        first = next(iter(parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")[:200])), None)
        if first and first[0] != "*" and "-" not in first[0]:
            country = home_territory(first[0])
    return currency_for_country(country)


def currency_choices() -> list[tuple[str, str]]:
    """Every currency by its name in the active language ("Brazilian Real (BRL)", "real brasileño (BRL)")."""
    named = [(code, f"{currency_name(code)} ({code})") for code in CURRENCIES]
    return sorted(named, key=lambda item: item[1].casefold())
