"""Bob gets a 404 for every page and action on alice's contacts, notes, follow-ups and templates, exactly
as for an id that doesn't exist, and nothing of alice's changes or shows."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lte.crm.models import Contact, FollowUp, Message, MessageTemplate, Note, Stage
from lte.crm.services.followups import followup_create
from lte.crm.services.notes import note_create
from lte.crm.services.stages import stage_rename, stages_of
from lte.crm.services.templates import template_save
from lte.crm.tests.test_pages import HTMX, make_contact, reload

pytestmark = pytest.mark.django_db

CANARY = "Quetzalcoatl"


@pytest.fixture
def alices(alice):
    contact = make_contact(alice, CANARY, "Canary", phones=["+14155550199"], emails=["canary@example.org"])
    other = make_contact(alice, CANARY, "Twin", emails=["canary@example.org"])
    note = note_create(owner=alice, contact=contact, body=f"{CANARY} secret note")
    followup = followup_create(owner=alice, contact_id=contact.pk, title=f"Visit {CANARY}",
                                        due_at=timezone.now() + timedelta(hours=1))
    template = template_save(owner=alice, name=f"{CANARY} opener", body="Hi {first_name}")
    return {"contact": contact.pk, "other": other.pk, "note": note.pk, "followup": followup.pk,
            "template": template.pk}


def routes(ids) -> list[tuple[str, str, dict]]:
    """(method, url, data) for every CRM route that takes an id."""
    c, o, n, f, t = ids["contact"], ids["other"], ids["note"], ids["followup"], ids["template"]
    gets = [f"/app/contacts/{c}/", f"/app/contacts/{c}/edit", f"/app/contacts/{c}/delete",
            f"/app/contacts/{c}/merge/{o}", f"/app/contacts/{c}/compose", f"/app/contacts/{c}/compose?template={t}",
            f"/app/notes/{n}/edit", f"/app/followups/{f}/edit", f"/app/templates/{t}/edit",
            f"/app/templates/{t}/delete"]
    posts = [
        (f"/app/contacts/{c}/edit", {"first_name": "Mallory", "stage": "new-lead"}),
        (f"/app/contacts/{c}/delete", {}),
        (f"/app/contacts/{c}/stage", {"stage": "customer"}),
        (f"/app/contacts/{c}/merge/{o}", {}),
        (f"/app/contacts/{c}/notes", {"note-body": "Mallory was here"}),
        (f"/app/contacts/{c}/messages", {"msg-channel": "sms", "msg-direction": "out", "msg-body": "Mallory"}),
        (f"/app/contacts/{c}/followups", {"fu-title": "Mallory", "fu-in_days": "1"}),
        (f"/app/contacts/{c}/compose/sent", {"channel": "sms", "body": "Mallory"}),
        (f"/app/notes/{n}/edit", {"body": "Mallory was here"}),
        (f"/app/notes/{n}/delete", {}),
        (f"/app/followups/{f}/edit", {"title": "Mallory", "due_at": "2030-01-01T10:00"}),
        (f"/app/followups/{f}/done", {}),
        (f"/app/followups/{f}/undo", {}),
        (f"/app/followups/{f}/snooze", {}),
        (f"/app/followups/{f}/delete", {}),
        (f"/app/templates/{t}/edit", {"name": "Mallory", "channel": "sms", "body": "Mallory"}),
        (f"/app/templates/{t}/delete", {}),
    ]
    return [("GET", url, {}) for url in gets] + [("POST", url, data) for url, data in posts]


def snapshot(alice) -> tuple:
    contacts = sorted((c.first_name, c.last_name, c.stage.slug, tuple(reload(c).phones))
                      for c in Contact.objects.owned_by(alice).select_related("stage"))
    notes = sorted(reload(n).body for n in Note.objects.owned_by(alice))
    followups = sorted((reload(f).title, f.due_at, f.done_at) for f in FollowUp.objects.owned_by(alice))
    templates = sorted((t.name, t.body) for t in MessageTemplate.objects.owned_by(alice))
    return contacts, notes, followups, templates, Message.objects.owned_by(alice).count()


def test_bob_gets_404_for_every_one_of_alices_objects(alice, bob, alices):
    before = snapshot(alice)
    client = Client()
    client.force_login(bob)
    make_contact(bob, "Bob's", "Own")  # bob has data of his own: the 404 isn't because he has nothing
    for method, url, data in routes(alices):
        for headers in ({}, HTMX):
            response = client.get(url, **headers) if method == "GET" else client.post(url, data, **headers)
            assert response.status_code == 404, (method, url, response.status_code)
            assert CANARY not in response.content.decode()
    assert snapshot(alice) == before


def test_a_missing_id_gets_the_same_answer(alice_client, alices):
    missing = {name: uuid.uuid4() for name in alices}
    for method, url, data in routes(missing):
        response = alice_client.get(url) if method == "GET" else alice_client.post(url, data)
        assert response.status_code == 404, (method, url)


def test_alice_herself_gets_real_answers_on_the_same_routes(alice_client, alices):
    for method, url, _data in routes(alices):
        if method == "GET":
            assert alice_client.get(url).status_code == 200, url


def test_a_duplicate_of_someone_else_is_never_merged(alice, bob, alices):
    bobs = make_contact(bob, "Bob's", "Contact", emails=["canary@example.org"])
    client = Client()
    client.force_login(bob)
    assert client.post(f"/app/contacts/{bobs.pk}/merge/{alices['contact']}").status_code == 404
    assert client.get(f"/app/contacts/{bobs.pk}/merge/{alices['contact']}").status_code == 404
    assert Contact.objects.filter(pk=alices["contact"]).exists() and Contact.objects.filter(pk=bobs.pk).exists()
    page = client.get(f"/app/contacts/{bobs.pk}/").content.decode()
    assert "Possible duplicates" not in page and CANARY not in page


def test_bobs_stage_pages_touch_only_his_own_stages(alice, bob, alices):
    stage_rename(owner=alice, slug="presented", name=f"{CANARY} stage")
    client = Client()
    client.force_login(bob)
    assert CANARY not in client.get("/app/stages/").content.decode()
    assert CANARY not in client.get("/app/board/").content.decode()
    client.post("/app/stages/presented/rename", {"presented-name": "Mallory"})
    client.post("/app/stages/presented/move", {"direction": "up"})
    assert Stage.objects.get(owner=alice, slug="presented").name == f"{CANARY} stage"
    assert [s.slug for s in stages_of(alice)][1] == "contacted"
    assert Stage.objects.get(owner=bob, slug="presented").name == "Mallory"


ECHO = re.compile(r'<a class="empty-add" href="[^"]*">[^<]*</a>')


def test_bobs_lists_never_show_alices_rows(alice, bob, alices):
    client = Client()
    client.force_login(bob)
    for url in ["/app/", "/app/contacts/", f"/app/contacts/?q={CANARY}", "/app/contacts/?q=canary@example.org",
                "/app/contacts/?q=+14155550199", "/app/followups/?due=today", "/app/followups/?due=upcoming",
                "/app/templates/", "/app/board/", "/app/activity/"]:
        # The search box, and "Add ‘…’ as a contact" when nothing matched, echo Bob's own query.
        page = ECHO.sub("", client.get(url).content.decode())
        assert CANARY not in page.split('id="contact-results"', 1)[-1], url
        assert CANARY not in ECHO.sub("", client.get(url, **HTMX).content.decode()), url
