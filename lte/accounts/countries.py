"""ISO 3166-1 alpha-2 countries: which codes are real, their names, and how a browser's language hints at one."""

from __future__ import annotations

import contextlib
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

import phonenumbers
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header

# Every officially assigned ISO 3166-1 alpha-2 code (249), with its usual English short name. Reserved and
# user-assigned codes (UK, EU, XK, XX, ZZ, AC, TA) and deleted ones (AN) are not countries an account can have.
_ISO_3166 = {
    "AD": _("Andorra"), "AE": _("United Arab Emirates"), "AF": _("Afghanistan"), "AG": _("Antigua and Barbuda"),
    "AI": _("Anguilla"), "AL": _("Albania"), "AM": _("Armenia"), "AO": _("Angola"), "AQ": _("Antarctica"),
    "AR": _("Argentina"), "AS": _("American Samoa"), "AT": _("Austria"), "AU": _("Australia"), "AW": _("Aruba"),
    "AX": _("Åland Islands"), "AZ": _("Azerbaijan"), "BA": _("Bosnia and Herzegovina"), "BB": _("Barbados"),
    "BD": _("Bangladesh"), "BE": _("Belgium"), "BF": _("Burkina Faso"), "BG": _("Bulgaria"), "BH": _("Bahrain"),
    "BI": _("Burundi"), "BJ": _("Benin"), "BL": _("Saint Barthélemy"), "BM": _("Bermuda"), "BN": _("Brunei"),
    "BO": _("Bolivia"), "BQ": _("Caribbean Netherlands"), "BR": _("Brazil"), "BS": _("Bahamas"), "BT": _("Bhutan"),
    "BV": _("Bouvet Island"), "BW": _("Botswana"), "BY": _("Belarus"), "BZ": _("Belize"), "CA": _("Canada"),
    "CC": _("Cocos (Keeling) Islands"), "CD": _("Congo (Democratic Republic)"), "CF": _("Central African Republic"),
    "CG": _("Congo"), "CH": _("Switzerland"), "CI": _("Côte d'Ivoire"), "CK": _("Cook Islands"), "CL": _("Chile"),
    "CM": _("Cameroon"), "CN": _("China"), "CO": _("Colombia"), "CR": _("Costa Rica"), "CU": _("Cuba"),
    "CV": _("Cape Verde"), "CW": _("Curaçao"), "CX": _("Christmas Island"), "CY": _("Cyprus"), "CZ": _("Czechia"),
    "DE": _("Germany"), "DJ": _("Djibouti"), "DK": _("Denmark"), "DM": _("Dominica"), "DO": _("Dominican Republic"),
    "DZ": _("Algeria"), "EC": _("Ecuador"), "EE": _("Estonia"), "EG": _("Egypt"), "EH": _("Western Sahara"),
    "ER": _("Eritrea"), "ES": _("Spain"), "ET": _("Ethiopia"), "FI": _("Finland"), "FJ": _("Fiji"),
    "FK": _("Falkland Islands"), "FM": _("Micronesia"), "FO": _("Faroe Islands"), "FR": _("France"),
    "GA": _("Gabon"), "GB": _("United Kingdom"), "GD": _("Grenada"), "GE": _("Georgia"), "GF": _("French Guiana"),
    "GG": _("Guernsey"), "GH": _("Ghana"), "GI": _("Gibraltar"), "GL": _("Greenland"), "GM": _("Gambia"),
    "GN": _("Guinea"), "GP": _("Guadeloupe"), "GQ": _("Equatorial Guinea"), "GR": _("Greece"),
    "GS": _("South Georgia and the South Sandwich Islands"), "GT": _("Guatemala"), "GU": _("Guam"),
    "GW": _("Guinea-Bissau"), "GY": _("Guyana"), "HK": _("Hong Kong"), "HM": _("Heard and McDonald Islands"),
    "HN": _("Honduras"), "HR": _("Croatia"), "HT": _("Haiti"), "HU": _("Hungary"), "ID": _("Indonesia"),
    "IE": _("Ireland"), "IL": _("Israel"), "IM": _("Isle of Man"), "IN": _("India"),
    "IO": _("British Indian Ocean Territory"), "IQ": _("Iraq"), "IR": _("Iran"), "IS": _("Iceland"),
    "IT": _("Italy"), "JE": _("Jersey"), "JM": _("Jamaica"), "JO": _("Jordan"), "JP": _("Japan"), "KE": _("Kenya"),
    "KG": _("Kyrgyzstan"), "KH": _("Cambodia"), "KI": _("Kiribati"), "KM": _("Comoros"),
    "KN": _("Saint Kitts and Nevis"), "KP": _("North Korea"), "KR": _("South Korea"), "KW": _("Kuwait"),
    "KY": _("Cayman Islands"), "KZ": _("Kazakhstan"), "LA": _("Laos"), "LB": _("Lebanon"), "LC": _("Saint Lucia"),
    "LI": _("Liechtenstein"), "LK": _("Sri Lanka"), "LR": _("Liberia"), "LS": _("Lesotho"), "LT": _("Lithuania"),
    "LU": _("Luxembourg"), "LV": _("Latvia"), "LY": _("Libya"), "MA": _("Morocco"), "MC": _("Monaco"),
    "MD": _("Moldova"), "ME": _("Montenegro"), "MF": _("Saint Martin (French part)"), "MG": _("Madagascar"),
    "MH": _("Marshall Islands"), "MK": _("North Macedonia"), "ML": _("Mali"), "MM": _("Myanmar"),
    "MN": _("Mongolia"), "MO": _("Macao"), "MP": _("Northern Mariana Islands"), "MQ": _("Martinique"),
    "MR": _("Mauritania"), "MS": _("Montserrat"), "MT": _("Malta"), "MU": _("Mauritius"), "MV": _("Maldives"),
    "MW": _("Malawi"), "MX": _("Mexico"), "MY": _("Malaysia"), "MZ": _("Mozambique"), "NA": _("Namibia"),
    "NC": _("New Caledonia"), "NE": _("Niger"), "NF": _("Norfolk Island"), "NG": _("Nigeria"), "NI": _("Nicaragua"),
    "NL": _("Netherlands"), "NO": _("Norway"), "NP": _("Nepal"), "NR": _("Nauru"), "NU": _("Niue"),
    "NZ": _("New Zealand"), "OM": _("Oman"), "PA": _("Panama"), "PE": _("Peru"), "PF": _("French Polynesia"),
    "PG": _("Papua New Guinea"), "PH": _("Philippines"), "PK": _("Pakistan"), "PL": _("Poland"),
    "PM": _("Saint Pierre and Miquelon"), "PN": _("Pitcairn Islands"), "PR": _("Puerto Rico"), "PS": _("Palestine"),
    "PT": _("Portugal"), "PW": _("Palau"), "PY": _("Paraguay"), "QA": _("Qatar"), "RE": _("Réunion"),
    "RO": _("Romania"), "RS": _("Serbia"), "RU": _("Russia"), "RW": _("Rwanda"), "SA": _("Saudi Arabia"),
    "SB": _("Solomon Islands"), "SC": _("Seychelles"), "SD": _("Sudan"), "SE": _("Sweden"), "SG": _("Singapore"),
    "SH": _("Saint Helena"), "SI": _("Slovenia"), "SJ": _("Svalbard and Jan Mayen"), "SK": _("Slovakia"),
    "SL": _("Sierra Leone"), "SM": _("San Marino"), "SN": _("Senegal"), "SO": _("Somalia"), "SR": _("Suriname"),
    "SS": _("South Sudan"), "ST": _("São Tomé and Príncipe"), "SV": _("El Salvador"), "SX": _("Sint Maarten"),
    "SY": _("Syria"), "SZ": _("Eswatini"), "TC": _("Turks and Caicos Islands"), "TD": _("Chad"),
    "TF": _("French Southern Territories"), "TG": _("Togo"), "TH": _("Thailand"), "TJ": _("Tajikistan"),
    "TK": _("Tokelau"), "TL": _("Timor-Leste"), "TM": _("Turkmenistan"), "TN": _("Tunisia"), "TO": _("Tonga"),
    "TR": _("Türkiye"), "TT": _("Trinidad and Tobago"), "TV": _("Tuvalu"), "TW": _("Taiwan"), "TZ": _("Tanzania"),
    "UA": _("Ukraine"), "UG": _("Uganda"), "UM": _("U.S. Outlying Islands"), "US": _("United States"),
    "UY": _("Uruguay"), "UZ": _("Uzbekistan"), "VA": _("Vatican City"), "VC": _("Saint Vincent and the Grenadines"),
    "VE": _("Venezuela"), "VG": _("British Virgin Islands"), "VI": _("U.S. Virgin Islands"), "VN": _("Vietnam"),
    "VU": _("Vanuatu"), "WF": _("Wallis and Futuna"), "WS": _("Samoa"), "YE": _("Yemen"), "YT": _("Mayotte"),
    "ZA": _("South Africa"), "ZM": _("Zambia"), "ZW": _("Zimbabwe"),
}
# The account's country is what its national phone numbers are read with: only the countries whose numbers
# phonenumbers can read (242: not Antarctica, Bouvet, the uninhabited territories).
COUNTRIES = {code: name for code, name in _ISO_3166.items() if code in phonenumbers.SUPPORTED_REGIONS}


def is_country(code: str) -> bool:
    return code in COUNTRIES


def _sort_key(name: str) -> str:
    """Accents don't move a name to the end of the list ("Åland" sorts with the A's)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)).casefold()


@cache
def _sorted_choices(language: str) -> tuple[tuple[str, str], ...]:
    # `language` is only the cache key: str() translates each name into the active language.
    named = ((code, str(name)) for code, name in COUNTRIES.items())
    return tuple(sorted(named, key=lambda item: _sort_key(item[1])))


def country_choices() -> list[tuple[str, str]]:
    """Every country by name in the active language, sorted, after an empty "—" choice."""
    return [("", "—"), *_sorted_choices(get_language() or "en")]


def country_name(code: str) -> str:
    return str(COUNTRIES.get(code, code))


def language_region(tag: str) -> str:
    """The country a language tag names: 'pt-BR' → 'BR', 'zh-Hant-TW' → 'TW'; '' for 'es-419', 'fr' or 'en-UK'."""
    for subtag in tag.split("-")[1:]:
        if subtag.isalpha() and len(subtag) in (3, 4):  # an extended language (yue) or script (Hant) comes first
            continue
        code = subtag.upper()
        return code if len(code) == 2 and code.isalpha() and is_country(code) else ""
    return ""


def accept_language_country(request: HttpRequest) -> str:
    """The first region, by q-weight, among the browser's languages that is a real country; '' if none is."""
    for tag, weight in parse_accept_lang_header(request.META.get("HTTP_ACCEPT_LANGUAGE", "")):
        if weight > 0 and (code := language_region(tag)):
            return code
    return ""


@cache
def _timezone_countries() -> dict[str, str]:
    """IANA timezone -> the one country it is in, from the tz database's zone.tab (shipped by tzdata, which
    Python's zoneinfo already depends on here; the system's copy otherwise). A zone of several countries
    (zone1970.tab's "DE,DK,NO,SE,…") is no hint, so only zone.tab's one-country lines are used."""
    text = ""
    with contextlib.suppress(ModuleNotFoundError, FileNotFoundError, OSError):
        text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    if not text:
        with contextlib.suppress(OSError):
            text = Path("/usr/share/zoneinfo/zone.tab").read_text(encoding="utf-8")
    found = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and not line.startswith("#") and is_country(parts[0]):
            found[parts[2]] = parts[0]
    return found


def timezone_country(tz_name: str) -> str:
    """The country of a browser's timezone ("America/Chicago" -> "US"): the last hint, after the header and
    the browser's language; '' for a zone that isn't one country's ("UTC", "Etc/GMT+3")."""
    return _timezone_countries().get(tz_name or "", "")
