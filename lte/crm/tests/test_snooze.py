"""Snooze choices on a follow-up (issue 14): later today (+3 h), tomorrow morning, next week, a picked day — 09:00
in the seller's own timezone, also across a daylight-saving change; a day in the past is a clear 4xx."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from lte.crm.models import FollowUp
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create, snooze_until
from lte.testing.helpers import make_user

API = "/api/v1"
THURSDAY = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)  # 12:00 in Chicago (UTC-6 in winter)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def alice(db):
    return make_user("alice@example.com", name="Alice", timezone="America/Chicago")


@pytest.fixture
def followup(alice):
    contact = contact_create(owner=alice, first_name="Ana")
    return followup_create(owner=alice, contact_id=contact.pk, title="Call back", due_at=THURSDAY - timedelta(hours=1))


@time_machine.travel(THURSDAY, tick=False)
@pytest.mark.parametrize("choice, on, expected", [
    ("later", None, THURSDAY + timedelta(hours=3)),
    ("tomorrow", None, datetime(2026, 12, 4, 15, 0, tzinfo=UTC)),  # Friday 09:00 in Chicago
    ("next_week", None, datetime(2026, 12, 7, 15, 0, tzinfo=UTC)),  # Monday 09:00
    ("date", date(2026, 12, 25), datetime(2026, 12, 25, 15, 0, tzinfo=UTC)),
])
def test_each_choice_lands_where_the_seller_expects(api, followup, choice, on, expected):
    body = {"choice": choice, **({"on": on.isoformat()} if on else {})}
    response = api.post(f"{API}/followups/{followup.pk}/snooze", body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert datetime.fromisoformat(response.json()["due_at"]) == expected
    assert FollowUp.objects.get(pk=followup.pk).due_at == expected


def test_tomorrow_morning_is_nine_oclock_there_across_the_clock_change(alice):
    # 7 March 2026, 20:00 in Chicago; the clocks go forward that night (CST UTC-6 -> CDT UTC-5).
    with time_machine.travel(datetime(2026, 3, 8, 2, 0, tzinfo=UTC), tick=False):
        assert snooze_until(alice, "tomorrow") == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    # Monday 2 November 2026 after the change back: next week is the 9th at 09:00 CST.
    with time_machine.travel(datetime(2026, 11, 2, 18, 0, tzinfo=UTC), tick=False):
        assert snooze_until(alice, "next_week") == datetime(2026, 11, 9, 15, 0, tzinfo=UTC)


@time_machine.travel(THURSDAY, tick=False)
@pytest.mark.parametrize("body", [
    {"choice": "date", "on": "2026-12-03"},  # today: not a snooze
    {"choice": "date", "on": "2026-11-01"},
    {"choice": "date", "on": "2040-01-01"},
    {"choice": "date"},
    {"choice": "someday"},
    {"choice": "date", "on": "31/12/2026"},
], ids=["today", "past", "too-far", "no-day", "unknown", "bad-date"])
def test_a_snooze_that_makes_no_sense_is_a_4xx_and_changes_nothing(api, followup, body):
    response = api.post(f"{API}/followups/{followup.pk}/snooze", body, content_type="application/json")
    assert 400 <= response.status_code < 500 and "detail" in response.json()
    assert FollowUp.objects.get(pk=followup.pk).due_at == followup.due_at


def test_the_service_names_the_bad_choice(alice):
    with pytest.raises(ValidationError, match="later, tomorrow, next_week, date"):
        snooze_until(alice, "forever")


@time_machine.travel(THURSDAY, tick=False)
def test_the_row_offers_the_choices_and_snoozes_in_place(alice_client, followup):
    page = alice_client.get("/app/").content.decode()
    for label in ("Later today", "Tomorrow morning", "Next week", "Snooze to that day"):
        assert label in page
    response = alice_client.post(f"/app/followups/{followup.pk}/snooze", {"choice": "next_week", "next": "/app/"},
                                 **HTMX)
    assert response.status_code == 200  # the day written the locale's own way (Babel)
    assert "Snoozed to Mon, Dec 7, 9:00\u202fAM" in response.content.decode()
    refused = alice_client.post(f"/app/followups/{followup.pk}/snooze", {"choice": "date", "on": "2020-01-01"},
                                **HTMX)
    assert refused.status_code == 400
    assert FollowUp.objects.get(pk=followup.pk).due_at == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
