"""The daily digest (CONTRACT.md, `lte digest`): opt-in, at the seller's hour in their timezone, once a day however
often it runs, counts only — never a contact's name, note, message or follow-up title."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from lte.crm.digest import digests_send_due
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.crm.services.notes import note_create
from lte.crm.tasks import daily_digests
from lte.testing.helpers import bearer_client, make_user, message_text, outbox_messages

API = "/api/v1"
# 14:30 UTC on 10 March 2027 is 08:30 in Chicago (CST, UTC-6) and 15:30 in Madrid.
MORNING = datetime(2027, 3, 10, 14, 30, tzinfo=UTC)


def digests_to(address: str) -> list[str]:
    return [f"{m['Subject']}\n{message_text(m)}" for m in outbox_messages() if address in m["To"]]


@pytest.fixture
def seller(db):
    return make_user("ana@example.com", name="Ana", timezone="America/Chicago", daily_digest=True)


def test_it_sends_counts_only_once_the_hour_has_passed_and_once_a_day(seller):
    contact = contact_create(owner=seller, first_name="Zebulon", last_name="Quartz", birthday="1980-03-10")
    note_create(owner=seller, contact_id=contact.pk, body="canary-note-Xyzzy")
    followup_create(owner=seller, contact_id=contact.pk, title="canary-title-Plugh",
                    due_at=MORNING + timedelta(hours=2))
    with time_machine.travel(MORNING - timedelta(hours=1), tick=False):  # 07:30 there: not yet
        assert digests_send_due() == 0
    with time_machine.travel(MORNING, tick=False):
        assert digests_send_due() == 1
        call_command("digest")  # a second run, the command this time: nothing again
        assert daily_digests.call_local() == 0
    (digest,) = digests_to("ana@example.com")
    assert "1 follow-up due today" in digest and "1 birthday" in digest
    for secret in ("Zebulon", "Quartz", "canary-note-Xyzzy", "canary-title-Plugh"):
        assert secret not in digest
    with time_machine.travel(MORNING + timedelta(days=1), tick=False):  # the next morning: the next one
        assert digests_send_due() == 1
    assert len(digests_to("ana@example.com")) == 2


def test_it_sends_nothing_to_a_seller_who_did_not_ask(db):
    make_user("bo@example.com", name="Bo", timezone="America/Chicago")
    with time_machine.travel(MORNING, tick=False):
        assert digests_send_due() == 0
    assert digests_to("bo@example.com") == []


def test_it_keeps_the_sellers_own_hour_and_timezone(db):
    make_user("cy@example.com", name="Cy", timezone="Europe/Madrid", daily_digest=True, digest_hour=16)
    with time_machine.travel(MORNING, tick=False):  # 15:30 in Madrid
        assert digests_send_due() == 0
    with time_machine.travel(MORNING + timedelta(minutes=31), tick=False):  # 16:01 in Madrid
        assert digests_send_due() == 1


@pytest.mark.parametrize("now", [
    datetime(2027, 3, 14, 7, 30, tzinfo=UTC),   # 02:30 on 14 March in New York does not exist (clocks jump to 03:00)
    datetime(2027, 11, 7, 6, 30, tzinfo=UTC),   # 01:30 on 7 November happens twice there
])
def test_it_sends_one_digest_a_day_when_the_clocks_change(db, now):
    user = make_user("di@example.com", name="Di", timezone="America/New_York", daily_digest=True, digest_hour=1)
    sent = 0
    for step in range(0, 24 * 60, 15):  # every quarter of an hour through the day
        with time_machine.travel(now + timedelta(minutes=step), tick=False):
            sent += digests_send_due()
    assert sent == 2  # the hour had passed when the day began; the next day's at its 01:00, once each
    assert len(digests_to("di@example.com")) == 2
    user.refresh_from_db()
    assert user.digest_sent_on == (now + timedelta(days=1)).date()


def test_the_api_turns_it_on_and_sets_its_hour(db):
    user = make_user("ed@example.com", name="Ed")
    api: Client = bearer_client(user)
    me = api.get(API + "/me").json()
    assert (me["daily_digest"], me["plan"]) == (False, "free")
    answer = api.patch(API + "/me", data={"daily_digest": True, "digest_hour": 7}, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json()["daily_digest"] is True
    assert api.get(API + "/me/data").json()["preferences"]["digest_hour"] == 7
    for bad in ({"digest_hour": 24}, {"digest_hour": -1}, {"daily_digest": "sometimes"}, {"daily_digest": None}):
        refused = api.patch(API + "/me", data=bad, content_type="application/json")
        assert refused.status_code in (400, 422), bad
    user.refresh_from_db()
    assert (user.daily_digest, user.digest_hour) == (True, 7)


def test_it_counts_each_kind_apart_and_a_reorder_once(seller):
    with time_machine.travel(MORNING - timedelta(days=40), tick=False):
        customer = contact_create(owner=seller, first_name="Carla", stage="customer", reorder_every_days=30)
    other = contact_create(owner=seller, first_name="Dan")
    for days in (1, 2, 3):
        followup_create(owner=seller, contact_id=other.pk, title="late", due_at=MORNING - timedelta(days=days))
    with time_machine.travel(MORNING, tick=False):
        assert digests_send_due() == 1
    (digest,) = digests_to("ana@example.com")
    assert "0 follow-ups due today" in digest and "3 overdue" in digest and "1 reorder due" in digest
    assert "0 birthdays" in digest
    assert customer.first_name not in digest
