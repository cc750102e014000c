"""The private calendar feed (issue 14): a secret, revocable URL per account (stored hashed) listing the open
follow-ups at their times; by default only "Follow-up: <first name>", full titles only when the seller opts in;
the settings page says what a calendar app will see; nothing of another account, ever."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import vobject
from django.test import Client
from django.utils import timezone

from lte.crm.models import CalendarFeed
from lte.crm.services.calendar import calendar_feed_create, calendar_feed_set_titles
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create, followup_update
from lte.crm.services.notes import note_create

pytestmark = pytest.mark.django_db
SECRET_TITLE = "Ask about her divorce settlement"


@pytest.fixture
def agenda(alice):
    ana = contact_create(owner=alice, first_name="Ana", last_name="Silva", phones=["+34612345678"],
                         emails=["ana@example.com"])
    note_create(owner=alice, contact=ana, body="private note: canary-7731")
    soon = followup_create(owner=alice, contact_id=ana.pk, title=SECRET_TITLE,
                           due_at=timezone.now() + timedelta(days=1))
    done = followup_create(owner=alice, contact_id=ana.pk, title="Already done", due_at=timezone.now())
    followup_update(owner=alice, followup_id=done.pk, done=True)
    return ana, soon


def feed_url(client: Client) -> str:
    page = client.post("/app/calendar/new").content.decode()
    found = re.search(r'<code id="new-token">(https?://[^<]+)</code>', page)
    assert found, page[:2000]
    return found.group(1).split("://", 1)[1].split("/", 1)[1]


def events(text: str) -> list:
    return list(vobject.readOne(text).contents.get("vevent", []))


def test_the_feed_lists_open_follow_ups_with_neutral_titles(alice_client, agenda):
    _ana, soon = agenda
    path = "/" + feed_url(alice_client)
    answer = Client().get(path)  # a calendar app: no session, no cookie
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/calendar")
    assert "no-store" in answer.get("Cache-Control", "") or "no-cache" in answer.get("Cache-Control", "")
    assert not answer.cookies
    text = answer.content.decode()
    [event] = events(text)
    assert event.summary.value == "Follow-up: Ana"
    assert event.dtstart.value == soon.due_at.replace(microsecond=0)
    for secret in (SECRET_TITLE, "Silva", "+34612345678", "ana@example.com", "canary-7731", "Already done"):
        assert secret not in text


def test_full_titles_only_when_the_seller_opts_in(alice, alice_client, agenda):
    path = "/" + feed_url(alice_client)
    assert alice_client.post("/app/calendar/titles", {"full_titles": "1"}).status_code == 302
    [event] = events(Client().get(path).content.decode())
    assert event.summary.value == f"{SECRET_TITLE} — Ana Silva"
    page = alice_client.get("/app/calendar/").content.decode()
    assert "What a calendar app will see" in page and "full title" in page
    calendar_feed_set_titles(owner=alice, full_titles=False)
    assert SECRET_TITLE not in Client().get(path).content.decode()


def test_the_secret_is_stored_hashed_and_a_new_url_or_revoking_stops_the_old(alice, alice_client, agenda):
    first = "/" + feed_url(alice_client)
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    stored = CalendarFeed.objects.get(owner=alice)
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    second = "/" + feed_url(alice_client)
    assert Client().get(first).status_code == 404 and Client().get(second).status_code == 200
    assert token not in alice_client.get("/app/calendar/").content.decode()  # shown once only
    assert alice_client.post("/app/calendar/revoke").status_code == 302
    assert Client().get(second).status_code == 404
    assert not CalendarFeed.objects.filter(owner=alice).exists()


def test_a_guessed_or_malformed_token_is_404(db):
    for path in ("/calendar/nope.ics", "/calendar/" + "x" * 300 + ".ics", "/calendar/%00.ics"):
        assert Client().get(path).status_code == 404


def test_bobs_feed_shows_only_bobs(bob, agenda):
    _feed, token = calendar_feed_create(owner=bob)
    assert events(Client().get(f"/calendar/{token}.ics").content.decode()) == []


def test_it_is_in_your_data_and_the_export(alice, alice_client, agenda):
    calendar_feed_create(owner=alice)
    data = alice_client.get("/api/v1/me/data")
    assert data.status_code == 200 and "calendar" in data.content.decode().lower()


def test_the_api_makes_shows_retitles_and_revokes_the_feed(api, bob_api, agenda):
    assert api.get("/api/v1/me/calendar").json() == {"active": False, "full_titles": False, "created_at": None}
    assert api.patch("/api/v1/me/calendar", {"full_titles": True}, content_type="application/json").status_code == 404
    made = api.post("/api/v1/me/calendar", {}, content_type="application/json")
    assert made.status_code == 201
    url = made.json()["url"]
    assert url.endswith(".ics") and made.json()["active"] is True
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert "Follow-up: Ana" in Client().get(path).content.decode()
    assert "url" not in api.get("/api/v1/me/calendar").json()  # shown once
    assert api.patch("/api/v1/me/calendar", {"full_titles": True},
                     content_type="application/json").json()["full_titles"] is True
    assert SECRET_TITLE in Client().get(path).content.decode()
    assert bob_api.get("/api/v1/me/calendar").json()["active"] is False  # bob's own, not alice's
    assert bob_api.delete("/api/v1/me/calendar").status_code == 204
    assert Client().get(path).status_code == 200  # bob's revoke is about bob's feed
    assert api.delete("/api/v1/me/calendar").status_code == 204
    assert Client().get(path).status_code == 404
