"""Cadences (issue 14): "stay in touch every N days" per contact — one open follow-up of kind `touch`, due N days
after the last message logged, moved by every message, never two — and a stage's follow-up rule ("Presented →
follow up in 2 days"), set on the stages page or PATCH /stages/{slug}; both survive export → import."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from lte.crm.models import Contact, FollowUp, Stage
from lte.crm.services.contacts import ContactData, contact_create, contact_set_stage, contact_update
from lte.crm.services.duplicates import contact_merge
from lte.crm.services.followups import followup_update
from lte.crm.services.messages import message_delete, message_log
from lte.crm.services.stages import stage_rule_set
from lte.crm.tests.test_import import imported
from lte.privacy.exports import zip_stream
from lte.testing.helpers import make_user
from lte.vault.context import acting_for

API = "/api/v1"
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return make_user("alice@example.com", name="Alice", timezone="Europe/Madrid")


def open_touch(contact: Contact) -> list[FollowUp]:
    return list(FollowUp.objects.filter(contact=contact, kind=FollowUp.Kind.TOUCH, done_at__isnull=True))


@time_machine.travel(NOW, tick=False)
def test_a_contact_with_an_interval_falls_due_n_days_after_the_last_message(alice):
    ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=14)
    [touch] = open_touch(ana)
    assert touch.due_at == NOW + timedelta(days=14)
    message_log(owner=alice, contact_id=ana.pk, channel="sms", body="Hi!",
                sent_at=NOW - timedelta(hours=1))  # logged a little after the fact
    assert [t.due_at for t in open_touch(ana)] == [NOW - timedelta(hours=1) + timedelta(days=14)]
    received = message_log(owner=alice, contact_id=ana.pk, channel="whatsapp", direction="in")
    assert [t.due_at for t in open_touch(ana)] == [NOW + timedelta(days=14)]  # either way is a touch
    message_delete(owner=alice, message_id=received.pk)
    assert [t.due_at for t in open_touch(ana)] == [NOW - timedelta(hours=1) + timedelta(days=14)]


def test_it_shows_up_in_today_once_the_interval_passes_and_done_counts_as_a_touch(alice, api):
    with time_machine.travel(NOW - timedelta(days=10), tick=False):
        ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=7)
    with time_machine.travel(NOW, tick=False):
        today = api.get(f"{API}/today").json()
        [row] = today["overdue"]
        assert (row["contact_id"], row["kind"]) == (str(ana.pk), "touch")
        followup_update(owner=alice, followup_id=row["id"], done=True)
        [next_one] = open_touch(ana)
        assert next_one.due_at == NOW + timedelta(days=7)
        assert api.get(f"{API}/today").json()["overdue"] == []


@time_machine.travel(NOW, tick=False)
def test_there_is_never_a_second_open_one(alice):
    ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=7)
    for _ in range(3):
        message_log(owner=alice, contact_id=ana.pk, channel="call")
        contact_update(owner=alice, contact_id=ana.pk, data=ContactData(stay_in_touch_days=10))
    assert len(open_touch(ana)) == 1
    [touch] = open_touch(ana)
    followup_update(owner=alice, followup_id=touch.pk, done=True)
    followup_update(owner=alice, followup_id=touch.pk, done=False)  # undone: that one is the open one again
    assert [t.pk for t in open_touch(ana)] == [touch.pk]
    with pytest.raises(IntegrityError), transaction.atomic():
        FollowUp.objects.create(owner=alice, contact=ana, kind=FollowUp.Kind.TOUCH, title="x", due_at=NOW)


@time_machine.travel(NOW, tick=False)
def test_removing_the_interval_removes_the_open_one(alice):
    ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=7)
    contact_update(owner=alice, contact_id=ana.pk, data=ContactData(stay_in_touch_days=None))
    assert open_touch(ana) == []


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("days", [0, -3, 367, 36500, "abc", 1.5])
def test_an_interval_that_makes_no_sense_is_a_4xx(api, days):
    response = api.post(f"{API}/contacts", {"first_name": "Ana", "stay_in_touch_days": days},
                        content_type="application/json")
    assert 400 <= response.status_code < 500 and "detail" in response.json()
    assert not Contact.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_stage_rule_sets_a_follow_up_when_a_contact_moves_into_it(alice, api):
    assert api.get(f"{API}/stages").status_code == 200  # the account's stages, as a client sees them first
    answer = api.patch(f"{API}/stages/presented", {"followup_days": 2}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["followup_days"] == 2
    ana = contact_create(owner=alice, first_name="Ana")
    assert not FollowUp.objects.filter(contact=ana).exists()  # new lead: no rule
    contact_set_stage(owner=alice, contact_id=ana.pk, stage="presented")
    [made] = FollowUp.objects.filter(contact=ana)
    assert made.due_at == datetime(2026, 12, 5, 8, 0, tzinfo=UTC)  # 09:00 in Madrid, two days later
    contact_set_stage(owner=alice, contact_id=ana.pk, stage="presented")  # not a change: nothing more
    assert FollowUp.objects.filter(contact=ana).count() == 1
    assert api.patch(f"{API}/stages/presented", {"followup_days": None},
                     content_type="application/json").json()["followup_days"] is None
    assert api.patch(f"{API}/stages/presented", {"followup_days": 0},
                     content_type="application/json").status_code in (400, 422)
    assert api.patch(f"{API}/stages/no-such-stage", {"followup_days": 2},
                     content_type="application/json").status_code == 404


def test_the_stages_page_edits_and_removes_a_rule(alice, alice_client):
    page = alice_client.get("/app/stages/").content.decode()
    assert 'name="followup_days"' in page
    assert alice_client.post("/app/stages/new-lead/rule", {"followup_days": "1"}).status_code == 302
    assert Stage.objects.get(owner=alice, slug="new-lead").followup_days == 1
    alice_client.post("/app/stages/new-lead/rule", {"followup_days": "400"})
    assert Stage.objects.get(owner=alice, slug="new-lead").followup_days == 1  # refused, unchanged
    alice_client.post("/app/stages/new-lead/rule", {"followup_days": ""})
    assert Stage.objects.get(owner=alice, slug="new-lead").followup_days is None


@time_machine.travel(NOW, tick=False)
def test_intervals_and_rules_survive_export_and_import(alice, bob):
    stage_rule_set(owner=alice, slug="presented", followup_days=3)
    ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=21)
    message_log(owner=alice, contact_id=ana.pk, channel="sms")
    data = b"".join(zip_stream(alice))
    assert "stay_in_touch_days" in zipfile.ZipFile(io.BytesIO(data)).read("contacts.csv").decode()
    job = imported(bob, data, name="export.zip")
    assert job.status == "done" and job.errors == [], job.errors
    bobs_ana = Contact.objects.get(owner=bob, first_name="Ana")
    assert bobs_ana.stay_in_touch_days == 21
    assert [t.due_at for t in open_touch(bobs_ana)] == [t.due_at for t in open_touch(ana)]
    assert Stage.objects.get(owner=bob, slug="presented").followup_days == 3
    again = imported(bob, data, name="export.zip")
    assert again.status == "done" and len(open_touch(bobs_ana)) == 1


@time_machine.travel(NOW, tick=False)
def test_merging_two_contacts_with_intervals_keeps_one_open(alice):
    ana = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"], stay_in_touch_days=7)
    twin = contact_create(owner=alice, first_name="Ana", emails=["ana@example.com"], stay_in_touch_days=30)
    message_log(owner=alice, contact_id=twin.pk, channel="sms", sent_at=NOW - timedelta(days=1))
    with acting_for(alice.pk):  # a merge opens both cards
        kept = contact_merge(owner=alice, keep_id=ana.pk, merge_id=twin.pk)
    assert [t.due_at for t in open_touch(kept)] == [NOW - timedelta(days=1) + timedelta(days=7)]


@time_machine.travel(NOW, tick=False)
def test_a_touch_follow_up_cannot_be_moved_to_another_contact(alice, api):
    ana = contact_create(owner=alice, first_name="Ana", stay_in_touch_days=7)
    bea = contact_create(owner=alice, first_name="Bea", stay_in_touch_days=7)
    [touch] = open_touch(ana)
    answer = api.patch(f"{API}/followups/{touch.pk}", {"contact_id": str(bea.pk)}, content_type="application/json")
    assert answer.status_code == 400 and "detail" in answer.json()
    assert len(open_touch(bea)) == 1 and len(open_touch(ana)) == 1
