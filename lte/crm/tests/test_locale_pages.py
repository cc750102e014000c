"""The app's pages and emails in the seller's locale: phone numbers in their country's national format, the week
from their locale's first day, dates, times and numbers as their language writes them, in their timezone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.template.loader import render_to_string
from django.utils import translation

from lte.crm.digest import digests_send_due
from lte.crm.services.activity import activity_add
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.testing.helpers import make_user, message_text, outbox_messages

pytestmark = pytest.mark.django_db

THURSDAY_NOON = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
NNBSP = "\u202f"


@pytest.fixture
def thursday():
    with time_machine.travel(THURSDAY_NOON, tick=False):
        yield THURSDAY_NOON


def speaking(user, language: str, *, country: str = "", zone: str = "UTC"):
    user.language, user.country, user.timezone = language, country, zone
    user.save(update_fields=["language", "country", "timezone"])
    return user


def test_a_contacts_numbers_are_national_in_the_sellers_country_and_international_from_elsewhere(alice,
                                                                                                 alice_client):
    speaking(alice, "en", country="BR")
    contact = contact_create(owner=alice, first_name="Bia", phones=["+5511912345678", "+13125550100"])
    html = alice_client.get(f"/app/contacts/{contact.pk}/").content.decode()
    assert "(11) 91234-5678" in html      # her own country's number, as Brazilians write it
    assert "+1 312-555-0100" in html      # a number from abroad keeps its country code
    assert 'href="tel:+5511912345678"' in html  # the link still dials the full number


@pytest.mark.parametrize(("language", "first_day"), [("en", "2026-11-22"), ("es", "2026-11-23"),
                                                     ("de", "2026-11-23")])
def test_the_week_starts_on_the_locales_first_day(alice, alice_client, thursday, language, first_day):
    speaking(alice, language)
    activity_add(owner=alice, reach_outs=3, day=thursday.date() - timedelta(days=3))  # Monday the 23rd
    html = alice_client.get("/app/activity/").content.decode()
    days = html.split('<ol class="days">', 1)[1]
    assert html.count('class="card day') == 7
    assert days.index(f'datetime="{first_day}"') < days.index('datetime="2026-11-26"')
    assert html.count('datetime="2026-11-2') >= 7  # the whole week, and nothing of another
    # Sunday the 22nd counts in a week that starts on Sunday and not in one that starts on Monday
    assert ('datetime="2026-11-22"' in days) == (first_day == "2026-11-22")


def test_a_spanish_sellers_week_and_follow_ups_read_in_spanish_in_her_time(alice, alice_client, thursday):
    speaking(alice, "es", zone="Europe/Madrid")
    contact = contact_create(owner=alice, first_name="Lu")
    followup_create(owner=alice, contact_id=contact.pk, title="Llamar", due_at=thursday + timedelta(hours=3))
    activity = alice_client.get("/app/activity/").content.decode()
    assert "lun, 23 de noviembre" in activity
    today = alice_client.get("/app/").content.decode()
    assert "jue, 26 nov, 16:00" in today  # 15:00 UTC is 16:00 in Madrid
    assert "jueves, 26 de noviembre de 2026" in today


def test_an_english_sellers_clock_has_am_and_pm(alice, alice_client, thursday):
    speaking(alice, "en", zone="America/Chicago")
    contact = contact_create(owner=alice, first_name="Lu")
    followup_create(owner=alice, contact_id=contact.pk, title="Call", due_at=thursday + timedelta(hours=3))
    assert f"Thu, Nov 26, 9:00{NNBSP}AM" in alice_client.get("/app/").content.decode()


def test_your_data_writes_dates_in_the_sellers_language(alice, alice_client):
    speaking(alice, "fr", zone="Europe/Paris")
    alice.created_at = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)
    alice.save(update_fields=["created_at"])
    html = alice_client.get("/app/your-data/").content.decode()
    assert "15 janv. 2027, 10:00:00" in html  # in her time, as French writes it
    assert "2027-01-15T09:00" not in html


def test_the_preferences_name_currencies_countries_and_hours_in_the_sellers_language(alice, alice_client):
    speaking(alice, "es")
    html = alice_client.get("/app/settings/preferences").content.decode()
    assert ">real brasileño (BRL)</option>" in html
    assert ">Alemania</option>" in html
    assert ">8:00</option>" in html
    assert ">Deutsch</option>" in html and ">English</option>" in html  # each language by its own name
    speaking(alice, "en")
    html = alice_client.get("/app/settings/preferences").content.decode()
    assert ">Brazilian Real (BRL)</option>" in html and ">Germany</option>" in html
    assert f">8:00{NNBSP}AM</option>" in html


def test_the_digest_names_the_day_in_the_sellers_language_and_timezone(db):
    make_user("ana@example.com", name="Ana", timezone="America/Mexico_City", language="es", daily_digest=True)
    # 14:30 UTC on Friday 15 January 2027 is 08:30 in Mexico City
    with time_machine.travel(datetime(2027, 1, 15, 14, 30, tzinfo=UTC), tick=False):
        assert digests_send_due() == 1
    (message,) = outbox_messages()
    assert "viernes, 15 de enero de 2027" in message_text(message)


def test_an_import_report_counts_in_the_sellers_digits():
    job = SimpleNamespace(id=uuid.uuid4(), pk=uuid.uuid4(), status="done", created=12345, updated=1200, skipped=3,
                          processed=13548, total=13548, errors=[{"row": 10234, "error": "bad birthday"}])
    with translation.override("de"):
        html = render_to_string("crm/import_progress.html", {"job": job, "active": False, "unit": "row"})
    assert "12.345 neue Kontakte" in html and "1.200 bestehende Kontakte" in html and "3 Zeilen übersprungen" in html
    assert ">10.234</td>" in html
