"""Your data as a person reads it (issue 15 part 5): a one-screen summary, each section in a fold, dates in the
reader's language and timezone, devices named as people name them, and no framework internals — while every
kind of record the registry declares is still shown."""

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.utils import translation

from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.privacy import registry
from lte.privacy.services import device_name
from lte.testing.helpers import PASSWORD
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/131.0.0.0 Mobile Safari/537.36")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def on_android(email="alice@example.com") -> Client:
    client = Client(HTTP_USER_AGENT=ANDROID_CHROME)
    assert client.post("/login", {"login": email, "password": PASSWORD}).status_code == 302
    return client


def page_of(client: Client) -> str:
    response = client.get("/app/your-data/")
    assert response.status_code == 200
    return response.content.decode()


def summary_of(html: str) -> str:
    return html.split('id="summary"', 1)[1].split("</section>", 1)[0]


def test_the_summary_counts_records_and_names_the_plan_and_the_device(alice):
    with acting_for(alice.pk):
        contact = contact_create(owner=alice, first_name="Quentin")
        note_create(owner=alice, contact_id=contact.pk, body="Likes tea")
    summary = summary_of(page_of(on_android()))
    assert "Contacts 1" in summary and "Notes 1" in summary
    assert "Free" in summary
    assert "1 signed-in device: Chrome on Android" in summary
    assert "alice@example.com" in summary
    assert "Download my data (ZIP)" in summary


def test_every_section_is_a_closed_fold(alice):
    html = page_of(on_android())
    folds = re.findall(r"<details class=\"card\"[^>]*>\s*<summary><h3>([^<]+)</h3>", html)
    assert folds == ["Export everything", "Your account", "How many records we hold", "Logins and devices",
                     "Usage data", "Staff access", "Policies you acknowledged",
                     "What we keep, and how to correct or delete it", "Delete your account"]
    assert "<details class=\"card\" open" not in html


def test_no_raw_timestamps_user_agents_or_framework_internals(alice):
    html = page_of(on_android())
    assert not ISO_MOMENT.search(html)
    assert "Account permissions" not in html and "Account groups" not in html
    for internal in ("user_permissions", "accounts.User", "UserSession", "LoginRecord", "ContentType"):
        assert internal not in html
    # the raw header appears only inside folds labelled as the browser's own words
    raw = html.count(ANDROID_CHROME)
    assert raw >= 1
    assert html.count("In the browser's own words</summary><code class=\"small\">" + ANDROID_CHROME) == raw


def test_every_kind_of_record_the_registry_declares_is_still_shown(alice):
    html = page_of(on_android())
    for _model, entry in registry.entries([registry.OWNED, registry.ACCOUNT, registry.STAFF, registry.KEYS]):
        text = entry.label.replace("'", "&#x27;").replace('"', "&quot;")
        assert text in html, entry.label


def test_dates_and_devices_in_the_readers_language_and_timezone(alice):
    alice.language, alice.timezone = "fr", "Europe/Paris"
    alice.created_at = datetime(2027, 1, 15, 23, 30, tzinfo=UTC)
    alice.save(update_fields=["language", "timezone", "created_at"])
    html = page_of(on_android())
    assert "16 janvier 2027" in summary_of(html)  # already the 16th in Paris
    assert "Chrome sur Android" in html
    assert not ISO_MOMENT.search(html)


def test_a_device_is_named_without_versions():
    assert device_name(ANDROID_CHROME) == "Chrome on Android"
    assert device_name("") == "Unknown device"
    with translation.override("de"):
        assert device_name(ANDROID_CHROME) == "Chrome auf Android"
