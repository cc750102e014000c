"""The reorder reminder at the seller's chosen hour (issue 14): `reminder_hour` (0-23, 9 unless chosen) in the
seller's timezone, set in Settings → Preferences or PATCH /me; changing it moves the open reorder reminders (the
same day), never the done ones; on the day the clocks spring forward an hour that doesn't exist is the next one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from lte.accounts.services import user_update
from lte.crm.models import FollowUp
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_update
from lte.crm.services.orders import order_create
from lte.lib.zones import zone_for
from lte.testing.helpers import bearer_client, make_user
from lte.vault.context import acting_for

API = "/api/v1"
NOW = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)


def open_reorder(contact) -> FollowUp:
    return FollowUp.objects.get(contact=contact, kind=FollowUp.Kind.REORDER, done_at__isnull=True)


def due_of(followup: FollowUp) -> datetime:
    return FollowUp.objects.filter(pk=followup.pk).values_list("due_at", flat=True).get()


def local(user, moment: datetime) -> datetime:
    return timezone.localtime(moment, zone_for(user))


def customer(owner, since: date, days: int = 30, name: str = "Rosa"):
    return contact_create(owner=owner, first_name=name, stage="customer", customer_since=since,
                          reorder_every_days=days)


@time_machine.travel(NOW, tick=False)
def test_it_is_due_at_nine_unless_the_seller_chose_another_hour(db):
    ana = make_user("ana@example.com", name="Ana", timezone="America/Chicago")
    assert ana.reminder_hour == 9
    rosa = customer(ana, date(2026, 1, 1))
    assert local(ana, open_reorder(rosa).due_at).replace(tzinfo=None) == datetime(2026, 1, 31, 9, 0)

    bea = make_user("bea@example.com", name="Bea", timezone="Asia/Tokyo", reminder_hour=18)
    lia = customer(bea, date(2026, 1, 1), name="Lia")
    assert open_reorder(lia).due_at == datetime(2026, 1, 31, 9, 0, tzinfo=UTC)  # 18:00 in Tokyo
    order_create(owner=bea, contact_id=lia.pk, ordered_on="2026-01-05")  # counts from the last order now
    assert local(bea, open_reorder(lia).due_at).replace(tzinfo=None) == datetime(2026, 2, 4, 18, 0)


@time_machine.travel(NOW, tick=False)
def test_changing_the_hour_moves_the_open_reorders_on_their_day_and_not_the_done_ones(db):
    ana = make_user("ana@example.com", name="Ana", timezone="Europe/Madrid")
    rosa, lia = customer(ana, date(2026, 1, 1)), customer(ana, date(2026, 1, 5), days=14, name="Lia")
    done = open_reorder(lia)
    with acting_for(ana.pk):
        followup_update(owner=ana, followup_id=done.pk, done=True)
    done_due = due_of(done)
    lia_next = open_reorder(lia)  # the next one, counted from today
    other = make_user("bob@example.com", name="Bob", timezone="Europe/Madrid")
    bobs = customer(other, date(2026, 1, 1), name="Pia")

    user_update(user=ana, reminder_hour=20)
    assert local(ana, open_reorder(rosa).due_at).replace(tzinfo=None) == datetime(2026, 1, 31, 20, 0)
    assert local(ana, open_reorder(lia).due_at).replace(tzinfo=None) == datetime(2026, 1, 24, 20, 0)
    assert open_reorder(lia).pk == lia_next.pk
    assert due_of(done) == done_due  # a done one stays as it was
    assert local(other, open_reorder(bobs).due_at).hour == 9  # another seller's reminders don't move

    user_update(user=ana, reminder_hour=0)  # midnight: still the same day, not the next one
    assert local(ana, open_reorder(rosa).due_at).replace(tzinfo=None) == datetime(2026, 1, 31, 0, 0)
    user_update(user=ana, reminder_hour=23)
    assert local(ana, open_reorder(rosa).due_at).replace(tzinfo=None) == datetime(2026, 1, 31, 23, 0)


@pytest.mark.parametrize(("zone", "since", "day"), [
    ("America/New_York", date(2026, 2, 6), date(2026, 3, 8)),  # 02:00 -> 03:00 on 8 March 2026
    ("Europe/Madrid", date(2026, 2, 27), date(2026, 3, 29)),    # 02:00 -> 03:00 on 29 March 2026
])
@time_machine.travel(NOW, tick=False)
def test_an_hour_the_clocks_skip_is_the_next_valid_time(db, zone, since, day):
    ana = make_user("ana@example.com", name="Ana", timezone=zone, reminder_hour=2)
    rosa = customer(ana, since)
    due = local(ana, open_reorder(rosa).due_at)
    assert (due.date(), due.hour, due.minute) == (day, 3, 0)
    user_update(user=ana, reminder_hour=3)  # 03:00 exists: the same instant
    assert open_reorder(rosa).due_at == due
    user_update(user=ana, reminder_hour=9)  # and the day after the change, 9:00 is 9:00 summer time
    due = local(ana, open_reorder(rosa).due_at)
    assert (due.date(), due.hour, due.utcoffset()) == (day, 9, ana_offset(zone))


def ana_offset(zone: str) -> timedelta:
    return timedelta(hours=-4) if zone == "America/New_York" else timedelta(hours=2)


@time_machine.travel(NOW, tick=False)
def test_the_api_sets_the_hour_refuses_bad_ones_and_shows_it_in_my_data(db):
    ana = make_user("ana@example.com", name="Ana", timezone="America/Chicago")
    rosa = customer(ana, date(2026, 1, 1))
    api: Client = bearer_client(ana)
    for bad in (-1, 24, "x", 7.5, None, True):
        refused = api.patch(API + "/me", data={"reminder_hour": bad}, content_type="application/json")
        assert 400 <= refused.status_code < 500, bad
    ana.refresh_from_db()
    assert ana.reminder_hour == 9
    assert api.get(API + "/me/data").json()["preferences"]["reminder_hour"] == 9

    answer = api.patch(API + "/me", data={"reminder_hour": 7}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    ana.refresh_from_db()
    assert ana.reminder_hour == 7
    assert api.get(API + "/me/data").json()["preferences"]["reminder_hour"] == 7
    assert local(ana, open_reorder(rosa).due_at).replace(tzinfo=None) == datetime(2026, 1, 31, 7, 0)


def test_settings_preferences_offers_the_hour_next_to_the_digest_hour(alice_client, alice):
    prefs = {"language": "en", "currency": "USD", "timezone": "America/Chicago", "theme": "auto"}
    page = alice_client.get("/app/settings/preferences").content.decode()
    assert 'name="digest_hour"' in page and 'name="reminder_hour"' in page and "Reorder reminders at" in page
    assert alice_client.post("/app/settings/preferences", {**prefs, "reminder_hour": "17"}).status_code == 302
    alice.refresh_from_db()
    assert alice.reminder_hour == 17
    assert alice_client.post("/app/settings/preferences", {**prefs, "reminder_hour": "24"}).status_code == 200
    alice.refresh_from_db()
    assert alice.reminder_hour == 17
    assert alice_client.post("/app/settings/preferences", prefs).status_code == 302  # not sent: unchanged
    alice.refresh_from_db()
    assert alice.reminder_hour == 17


def test_the_reminder_is_titled_in_the_sellers_language(db):
    from lte.crm.models import FollowUp
    from lte.crm.services.contacts import contact_create
    from lte.testing.helpers import make_user
    from lte.vault.context import acting_for

    seller = make_user("vendedora@example.com", language="es", timezone="Europe/Madrid")
    with acting_for(seller.pk):
        contact_create(owner=seller, first_name="Lucía", stage="customer", reorder_every_days=30)
        reminders = FollowUp.objects.owned_by(seller).filter(kind=FollowUp.Kind.REORDER)
        titles = [f.title for f in reminders]
    assert titles == ["¿Toca volver a pedir?"]
