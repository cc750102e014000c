"""Dates, times, numbers, money and phone numbers as each reader writes them (lte.lib.formats, the template
builtins), and a country's currency."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.template import engines
from django.utils import timezone, translation

from lte.accounts.preferences import currency_for_country
from lte.lib import formats

NNBSP = "\u202f"  # CLDR's narrow no-break space: before "PM" in English, inside French groups of digits
JAN_15 = date(2027, 1, 15)


def render(text: str, language: str = "en", zone: str = "UTC", **context) -> str:
    with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
        return engines["django"].from_string(text).render(context)


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "January 15, 2027"), ("es", "15 de enero de 2027"), ("pt-BR", "15 de janeiro de 2027"),
    ("pt", "15 de janeiro de 2027"), ("fr", "15 janvier 2027"), ("de", "15. Januar 2027"),
])
def test_it_writes_a_day_as_each_language_does(language, expected):
    assert render("{{ day|ldate }}", language, day=JAN_15) == expected


@pytest.mark.parametrize(("language", "expected"), [
    ("en", "1,234"), ("es", "1.234"), ("pt-BR", "1.234"), ("de", "1.234"), ("fr", f"1{NNBSP}234"),
])
def test_it_groups_digits_as_each_language_does(language, expected):
    assert render("{{ n|lnumber }}", language, n=1234) == expected


@pytest.mark.parametrize(("language", "amount", "currency", "expected"), [
    ("pt-BR", "49.90", "BRL", "R$ 49,90"),
    ("en", "49.90", "BRL", "R$49.90"),
    ("de", "9.00", "EUR", "9,00 €"),
    ("fr", "9.00", "EUR", "9,00 €"),
    ("es", "9.00", "EUR", "9,00 €"),
    ("en", "9.00", "EUR", "€9.00"),
    ("en", "1400", "JPY", "¥1,400"),  # no decimals: yen have none
    ("de", "1400", "JPY", "1.400 ¥"),
    ("en", "9.00", "USD", "$9.00"),
])
def test_it_writes_money_with_the_currency_and_the_readers_signs(language, amount, currency, expected):
    assert render("{{ amount|money:currency }}", language, amount=Decimal(amount), currency=currency) == expected


def test_a_moment_is_shown_in_the_readers_timezone_even_across_midnight_and_a_year():
    new_year_in_sao_paulo = datetime(2027, 1, 1, 2, 30, tzinfo=UTC)  # 23:30 on New Year's Eve in São Paulo
    assert render("{{ at|ldate }}", "pt-BR", "America/Sao_Paulo", at=new_year_in_sao_paulo) == "31 de dezembro de 2026"
    assert render("{{ at|ldate }}", "pt-BR", "UTC", at=new_year_in_sao_paulo) == "1 de janeiro de 2027"
    assert render("{{ at|ltime }}", "de", "Europe/Berlin", at=new_year_in_sao_paulo) == "03:30"
    assert render("{{ at|ltime }}", "en", "America/Chicago", at=new_year_in_sao_paulo) == f"8:30{NNBSP}PM"
    # a day past the date line: Kiritimati (UTC+14) is already on the next day
    assert render("{{ at|ldatetime:'MMMEdjm' }}", "es", "Pacific/Kiritimati",
                  at=datetime(2027, 1, 14, 12, 0, tzinfo=UTC)) == "vie, 15 ene, 2:00"


def test_a_summer_time_change_moves_the_clock_not_the_moment():
    before = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 in Berlin, then clocks jump to 03:00 at 01:00 UTC
    after = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert render("{{ a|ltime }} {{ b|ltime }}", "de", "Europe/Berlin", a=before, b=after) == "01:30 03:30"


def test_the_json_ready_values_of_your_data_read_the_same():
    assert render("{{ at|ldatetime:'short' }}", "es", "Europe/Madrid",
                  at="2027-01-15T13:30:00+00:00") == "15/1/27, 14:30"
    assert render("{{ d|ldate }}", "fr", d="2027-01-15") == "15 janvier 2027"
    assert render("{{ d|ldate }}|{{ none|ldate }}", d="not a date", none=None) == "not a date|"


def test_today_is_today_where_the_reader_is():
    with time_machine.travel(datetime(2027, 1, 15, 3, 0, tzinfo=UTC), tick=False):
        assert render("{% today %}", "es", "Europe/Madrid") == "15 de enero de 2027"
        assert render("{% today %}", "en", "America/Los_Angeles") == "January 14, 2027"


@pytest.mark.parametrize(("number", "country", "expected"), [
    ("+5511912345678", "BR", "(11) 91234-5678"),      # a Brazilian account's own numbers: as Brazilians write them
    ("+5511912345678", "US", "+55 11 91234-5678"),    # someone else's country: with its code
    ("+13125550100", "US", "(312) 555-0100"),
    ("+4930123456", "DE", "030 123456"),
    ("+33612345678", "FR", "06 12 34 56 78"),
    ("+13125550100", "", "+1 312-555-0100"),          # no country chosen: international
    ("not a number", "US", "not a number"),
])
def test_a_phone_number_is_national_in_the_accounts_country_international_elsewhere(number, country, expected):
    assert render("{{ n|phone:country }}", n=number, country=country) == expected


@pytest.mark.parametrize(("language", "country", "first_day"), [
    ("en", "", 6), ("en", "US", 6), ("en", "GB", 0), ("es", "", 0), ("es", "MX", 6), ("pt-BR", "", 6),
    ("fr", "", 0), ("de", "", 0), ("de", "CH", 0),
])
def test_the_week_starts_where_the_seller_is(language, country, first_day):
    assert formats.first_week_day(language, country) == first_day  # 0 Monday … 6 Sunday
    thursday = date(2026, 11, 26)
    start = formats.week_start(thursday, language, country)
    assert start.weekday() == first_day and 0 <= (thursday - start).days < 7


@pytest.mark.parametrize(("country", "currency"), [
    ("US", "USD"), ("DE", "EUR"), ("FR", "EUR"), ("ES", "EUR"), ("IE", "EUR"), ("HR", "EUR"), ("GB", "GBP"),
    ("CA", "CAD"), ("AU", "AUD"), ("BR", "BRL"), ("MX", "MXN"), ("PH", "PHP"), ("CO", "COP"), ("ZA", "ZAR"),
    ("NP", "NPR"), ("PA", "USD"), ("EC", "USD"), ("", "USD"), ("XX", "USD"),
])
def test_a_country_pays_in_its_current_legal_tender(country, currency):
    assert currency_for_country(country) == currency


def test_names_are_in_the_readers_language():
    with translation.override("es"):
        assert formats.currency_name("BRL") == "real brasileño"
        assert formats.territory_name("DE") == "Alemania"
    with translation.override("de"):
        assert formats.territory_name("ES") == "Spanien"
    assert formats.language_name("pt-BR") == "Português (Brasil)"
    assert formats.language_name("de") == "Deutsch"
    with translation.override("fr"):
        assert formats.language_name("es", own=False) == "Espagnol"


@pytest.mark.parametrize("language", ["en", "de", "es", "pt-BR", "fr", "ar", "ja"])
@pytest.mark.parametrize("skeleton", ["MMMEd", "yMMMd", "MMMd", "yMMMEd", "EEEE", "MMMMd", "yMd", "MMMEEEEd"])
def test_a_skeleton_formats_as_babels_format_skeleton_does(language, skeleton):
    """The pattern found once per locale and skeleton gives babel's own answer, exact and fuzzy skeletons alike."""
    from babel import dates as babel_dates

    locale = formats.babel_locale(language)
    for day in (JAN_15, date(2026, 12, 31), date(2028, 2, 29)):
        assert formats._skeleton(skeleton, day, locale) == babel_dates.format_skeleton(skeleton, day, locale=locale)


@pytest.mark.parametrize("language", ["en", "de", "es", "pt-BR", "fr", "ar", "ja", "vi", "ko"])
@pytest.mark.parametrize("skeleton", ["MMMEdjm", "yMMMEdjm", "yMdHm", "MMMdhm"])
def test_a_moment_in_one_pattern_reads_as_its_day_and_short_time_joined_the_locales_way(language, skeleton):
    """The day's skeleton and the short time joined into one pattern give what formatting each apart and joining
    the two texts by the locale's medium joining format gives (Vietnamese puts the time first), in the reader's
    timezone."""
    from babel import dates as babel_dates

    locale = formats.babel_locale(language)
    day_skeleton = "".join(ch for ch in skeleton if ch not in formats.TIME_FIELDS)
    zone = zoneinfo.ZoneInfo("America/Sao_Paulo")
    for moment in (datetime(2027, 1, 1, 2, 30, tzinfo=UTC), datetime(2026, 7, 4, 15, 5, tzinfo=UTC)):
        local = moment.astimezone(zone)
        apart = str(locale.datetime_formats["medium"]).replace(
            "{1}", babel_dates.format_skeleton(day_skeleton, local.date(), locale=locale)).replace(
            "{0}", babel_dates.format_time(local, "short", locale=locale))
        with translation.override(language), timezone.override(zone):
            assert formats.format_moment(moment, skeleton) == apart
