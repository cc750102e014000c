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
from django.utils.translation.trans_real import parse_accept_lang_header

from lte.lib.formats import babel_locale

# Every officially assigned ISO 3166-1 alpha-2 code (249), with its usual English short name: what an account can
# have. The names shown are CLDR's in the reader's language (Babel: "Alemania", "Allemagne"), these only when CLDR
# lacks one. Reserved and
# user-assigned codes (UK, EU, XK, XX, ZZ, AC, TA) and deleted ones (AN) are not countries an account can have.
_ISO_3166 = {
    "AD": "Andorra", "AE": "United Arab Emirates", "AF": "Afghanistan", "AG": "Antigua and Barbuda",
    "AI": "Anguilla", "AL": "Albania", "AM": "Armenia", "AO": "Angola", "AQ": "Antarctica",
    "AR": "Argentina", "AS": "American Samoa", "AT": "Austria", "AU": "Australia", "AW": "Aruba",
    "AX": "Åland Islands", "AZ": "Azerbaijan", "BA": "Bosnia and Herzegovina", "BB": "Barbados",
    "BD": "Bangladesh", "BE": "Belgium", "BF": "Burkina Faso", "BG": "Bulgaria", "BH": "Bahrain",
    "BI": "Burundi", "BJ": "Benin", "BL": "Saint Barthélemy", "BM": "Bermuda", "BN": "Brunei",
    "BO": "Bolivia", "BQ": "Caribbean Netherlands", "BR": "Brazil", "BS": "Bahamas", "BT": "Bhutan",
    "BV": "Bouvet Island", "BW": "Botswana", "BY": "Belarus", "BZ": "Belize", "CA": "Canada",
    "CC": "Cocos (Keeling) Islands", "CD": "Congo (Democratic Republic)", "CF": "Central African Republic",
    "CG": "Congo", "CH": "Switzerland", "CI": "Côte d'Ivoire", "CK": "Cook Islands", "CL": "Chile",
    "CM": "Cameroon", "CN": "China", "CO": "Colombia", "CR": "Costa Rica", "CU": "Cuba",
    "CV": "Cape Verde", "CW": "Curaçao", "CX": "Christmas Island", "CY": "Cyprus", "CZ": "Czechia",
    "DE": "Germany", "DJ": "Djibouti", "DK": "Denmark", "DM": "Dominica", "DO": "Dominican Republic",
    "DZ": "Algeria", "EC": "Ecuador", "EE": "Estonia", "EG": "Egypt", "EH": "Western Sahara",
    "ER": "Eritrea", "ES": "Spain", "ET": "Ethiopia", "FI": "Finland", "FJ": "Fiji",
    "FK": "Falkland Islands", "FM": "Micronesia", "FO": "Faroe Islands", "FR": "France",
    "GA": "Gabon", "GB": "United Kingdom", "GD": "Grenada", "GE": "Georgia", "GF": "French Guiana",
    "GG": "Guernsey", "GH": "Ghana", "GI": "Gibraltar", "GL": "Greenland", "GM": "Gambia",
    "GN": "Guinea", "GP": "Guadeloupe", "GQ": "Equatorial Guinea", "GR": "Greece",
    "GS": "South Georgia and the South Sandwich Islands", "GT": "Guatemala", "GU": "Guam",
    "GW": "Guinea-Bissau", "GY": "Guyana", "HK": "Hong Kong", "HM": "Heard and McDonald Islands",
    "HN": "Honduras", "HR": "Croatia", "HT": "Haiti", "HU": "Hungary", "ID": "Indonesia",
    "IE": "Ireland", "IL": "Israel", "IM": "Isle of Man", "IN": "India",
    "IO": "British Indian Ocean Territory", "IQ": "Iraq", "IR": "Iran", "IS": "Iceland",
    "IT": "Italy", "JE": "Jersey", "JM": "Jamaica", "JO": "Jordan", "JP": "Japan", "KE": "Kenya",
    "KG": "Kyrgyzstan", "KH": "Cambodia", "KI": "Kiribati", "KM": "Comoros",
    "KN": "Saint Kitts and Nevis", "KP": "North Korea", "KR": "South Korea", "KW": "Kuwait",
    "KY": "Cayman Islands", "KZ": "Kazakhstan", "LA": "Laos", "LB": "Lebanon", "LC": "Saint Lucia",
    "LI": "Liechtenstein", "LK": "Sri Lanka", "LR": "Liberia", "LS": "Lesotho", "LT": "Lithuania",
    "LU": "Luxembourg", "LV": "Latvia", "LY": "Libya", "MA": "Morocco", "MC": "Monaco",
    "MD": "Moldova", "ME": "Montenegro", "MF": "Saint Martin (French part)", "MG": "Madagascar",
    "MH": "Marshall Islands", "MK": "North Macedonia", "ML": "Mali", "MM": "Myanmar",
    "MN": "Mongolia", "MO": "Macao", "MP": "Northern Mariana Islands", "MQ": "Martinique",
    "MR": "Mauritania", "MS": "Montserrat", "MT": "Malta", "MU": "Mauritius", "MV": "Maldives",
    "MW": "Malawi", "MX": "Mexico", "MY": "Malaysia", "MZ": "Mozambique", "NA": "Namibia",
    "NC": "New Caledonia", "NE": "Niger", "NF": "Norfolk Island", "NG": "Nigeria", "NI": "Nicaragua",
    "NL": "Netherlands", "NO": "Norway", "NP": "Nepal", "NR": "Nauru", "NU": "Niue",
    "NZ": "New Zealand", "OM": "Oman", "PA": "Panama", "PE": "Peru", "PF": "French Polynesia",
    "PG": "Papua New Guinea", "PH": "Philippines", "PK": "Pakistan", "PL": "Poland",
    "PM": "Saint Pierre and Miquelon", "PN": "Pitcairn Islands", "PR": "Puerto Rico", "PS": "Palestine",
    "PT": "Portugal", "PW": "Palau", "PY": "Paraguay", "QA": "Qatar", "RE": "Réunion",
    "RO": "Romania", "RS": "Serbia", "RU": "Russia", "RW": "Rwanda", "SA": "Saudi Arabia",
    "SB": "Solomon Islands", "SC": "Seychelles", "SD": "Sudan", "SE": "Sweden", "SG": "Singapore",
    "SH": "Saint Helena", "SI": "Slovenia", "SJ": "Svalbard and Jan Mayen", "SK": "Slovakia",
    "SL": "Sierra Leone", "SM": "San Marino", "SN": "Senegal", "SO": "Somalia", "SR": "Suriname",
    "SS": "South Sudan", "ST": "São Tomé and Príncipe", "SV": "El Salvador", "SX": "Sint Maarten",
    "SY": "Syria", "SZ": "Eswatini", "TC": "Turks and Caicos Islands", "TD": "Chad",
    "TF": "French Southern Territories", "TG": "Togo", "TH": "Thailand", "TJ": "Tajikistan",
    "TK": "Tokelau", "TL": "Timor-Leste", "TM": "Turkmenistan", "TN": "Tunisia", "TO": "Tonga",
    "TR": "Türkiye", "TT": "Trinidad and Tobago", "TV": "Tuvalu", "TW": "Taiwan", "TZ": "Tanzania",
    "UA": "Ukraine", "UG": "Uganda", "UM": "U.S. Outlying Islands", "US": "United States",
    "UY": "Uruguay", "UZ": "Uzbekistan", "VA": "Vatican City", "VC": "Saint Vincent and the Grenadines",
    "VE": "Venezuela", "VG": "British Virgin Islands", "VI": "U.S. Virgin Islands", "VN": "Vietnam",
    "VU": "Vanuatu", "WF": "Wallis and Futuna", "WS": "Samoa", "YE": "Yemen", "YT": "Mayotte",
    "ZA": "South Africa", "ZM": "Zambia", "ZW": "Zimbabwe",
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
    territories = babel_locale(language).territories
    named = ((code, territories.get(code) or name) for code, name in COUNTRIES.items())
    return tuple(sorted(named, key=lambda item: _sort_key(item[1])))


def country_choices() -> list[tuple[str, str]]:
    """Every country by name in the active language (CLDR's names), sorted, after an empty "—" choice."""
    return [("", "—"), *_sorted_choices(get_language() or "en")]


def country_name(code: str) -> str:
    """A country's name in the active language; the code itself for one an account can't have."""
    if code not in COUNTRIES:
        return code
    return babel_locale(get_language()).territories.get(code) or COUNTRIES[code]


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
