"""One-tap logging (issue 14): a script sent from the compose page is logged the moment its app opens, with
"Didn't send" to take it back; Call / Text / WhatsApp / Email taps on a contact log an attempt of that channel,
with "how did it go?" and "Didn't happen" — as htmx-style partials, no reload; never for another account."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from lte.crm.models import ActivityDay, Contact, Message
from lte.crm.services.contacts import contact_create
from lte.crm.services.templates import template_save
from lte.vault.context import acting_for

HTMX = {"HTTP_HX_REQUEST": "true"}
pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(alice):
    return contact_create(owner=alice, first_name="Ana", phones=["+34612345678"], emails=["ana@example.com"])


def reach_outs(owner) -> int:
    day = ActivityDay.objects.filter(owner=owner).first()
    return day.reach_outs if day else 0


def test_the_compose_page_logs_on_the_tap_that_opens_the_app(alice, alice_client, ana):
    script = template_save(owner=alice, name="Invite", channel="whatsapp", body="Hi {first_name}, coffee?")
    page = alice_client.get(f"/app/contacts/{ana.pk}/compose?template={script.pk}").content.decode()
    assert page.count("data-log-sent") >= 2 and 'id="logged-status"' in page  # lte.js posts on these taps
    answer = alice_client.post(f"/app/contacts/{ana.pk}/compose/sent", {"channel": "whatsapp",
                                                                       "body": "Hi Ana, coffee?"}, **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Logged as sent (WhatsApp)" in html and "Didn't send" in html and "<html" not in html
    with acting_for(alice.pk):
        [message] = Message.objects.filter(contact=ana)
        assert (message.channel, message.direction, message.body) == ("whatsapp", "out", "Hi Ana, coffee?")
    assert reach_outs(alice) == 1 and Contact.objects.get(pk=ana.pk).last_contacted_at is not None

    undo = re.search(r'hx-post="(/app/messages/[0-9a-f-]+/unsend)"', html)
    assert undo is not None
    taken_back = alice_client.post(undo.group(1), **HTMX)
    assert taken_back.status_code == 200 and "nothing was logged" in taken_back.content.decode()
    assert not Message.objects.filter(contact=ana).exists()
    assert reach_outs(alice) == 0 and Contact.objects.get(pk=ana.pk).last_contacted_at is None


@pytest.mark.parametrize("channel, label", [("call", "Call"), ("sms", "SMS"), ("whatsapp", "WhatsApp"),
                                            ("email", "Email")])
def test_a_tap_on_the_contact_page_logs_an_attempt(alice, alice_client, ana, channel, label):
    page = alice_client.get(f"/app/contacts/{ana.pk}/").content.decode()
    assert f'data-attempt="{channel}"' in page and 'id="attempt-form"' in page
    answer = alice_client.post(f"/app/contacts/{ana.pk}/attempt", {"channel": channel}, **HTMX)
    assert answer.status_code == 200 and f"{label} logged" in answer.content.decode()
    assert "How did it go?" in answer.content.decode()
    [message] = Message.objects.filter(contact=ana)
    assert (message.channel, message.direction) == (channel, "out")

    outcome = alice_client.post(f"/app/messages/{message.pk}/outcome", {"outcome": "no_answer"}, **HTMX)
    assert outcome.status_code == 200 and "No answer" in outcome.content.decode()
    with acting_for(alice.pk):
        assert Message.objects.get(pk=message.pk).body == "No answer"
    assert alice_client.post(f"/app/messages/{message.pk}/unsend", **HTMX).status_code == 200
    assert not Message.objects.filter(contact=ana).exists()


def test_a_bad_channel_or_outcome_is_a_4xx(alice_client, ana):
    assert alice_client.post(f"/app/contacts/{ana.pk}/attempt", {"channel": "carrier-pigeon"}, **HTMX
                             ).status_code == 400
    alice_client.post(f"/app/contacts/{ana.pk}/attempt", {"channel": "call"}, **HTMX)
    message = Message.objects.get(contact=ana)
    assert alice_client.post(f"/app/messages/{message.pk}/outcome", {"outcome": "meh"}, **HTMX).status_code == 400
    assert Message.objects.filter(contact=ana).count() == 1


def test_bob_can_neither_log_on_nor_take_back_alices(alice_client, bob, ana):
    alice_client.post(f"/app/contacts/{ana.pk}/attempt", {"channel": "call"}, **HTMX)
    message = Message.objects.get(contact=ana)
    bobs = Client()
    bobs.force_login(bob)
    assert bobs.post(f"/app/contacts/{ana.pk}/attempt", {"channel": "call"}, **HTMX).status_code == 404
    assert bobs.post(f"/app/messages/{message.pk}/unsend", **HTMX).status_code == 404
    assert bobs.post(f"/app/messages/{message.pk}/outcome", {"outcome": "reached"}, **HTMX).status_code == 404
    assert Message.objects.filter(contact=ana).count() == 1


def test_without_javascript_mark_as_sent_still_logs_and_goes_back(alice_client, ana):
    answer = alice_client.post(f"/app/contacts/{ana.pk}/compose/sent", {"channel": "sms", "body": "Hi"})
    assert answer.status_code == 302 and Message.objects.filter(contact=ana).count() == 1
