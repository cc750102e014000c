"""Made impossible, not forbidden (issue 13): a leader's requests can't open a member's key, and team data has no
way to a member's CRM. The route-by-route proof (carol, alice's leader, over every route) is the ownership matrix
in lte/crm/tests/test_ownership.py."""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.test import Client

from lte.crm.models import Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.teams.services import share_activity_set, team_create, team_join
from lte.testing.helpers import make_user
from lte.vault.context import VaultAccessDenied, request_scope
from lte.vault.keys import key_cache

SECRET_NOTE = "the member's private note: never the leader's"


@pytest.fixture
def carol(db):
    return make_user("carol@example.com", name="Carol Leader")


@pytest.fixture
def team(carol, alice, settings):
    """Carol leads; alice is a member who shares her weekly counts and has a contact, a note and a message."""
    settings.VAULT_KEY_CACHE_SECONDS = 600  # a key opened during the request stays in the cache, where we look
    team, invite = team_create(leader=carol, name="Carol's downline")
    team_join(user=alice, code=invite.code)
    share_activity_set(user=alice, team_id=team.pk, share=True)
    contact = contact_create(owner=alice, first_name="Priya", emails=["priya@example.org"], stage="customer",
                             birthday=date(1990, 1, 2))
    note_create(owner=alice, contact_id=contact.pk, body=SECRET_NOTE)
    message_log(owner=alice, contact_id=contact.pk, channel="sms", body="See you Friday")
    return team


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


class _Request:
    def __init__(self, user) -> None:
        self.user = user


def test_a_leaders_team_page_opens_no_members_key(team, carol, alice):
    leader = logged_in(carol)
    key_cache.evict()
    page = leader.get(f"/app/teams/{team.pk}/")
    api = leader.get(f"/api/v1/teams/{team.pk}")
    assert page.status_code == api.status_code == 200
    assert api.json()["members"][0]["activity"]["reach_outs"] == 1  # the counts are there...
    assert key_cache.get(alice.pk) is None, "a leader's request unwrapped a member's key"  # ...no key was opened
    for response in (page.content, api.content):
        assert b"Priya" not in response and SECRET_NOTE.encode() not in response

    # The probe sees a key being opened: the member's own page does open hers.
    contact = Note.objects.filter(owner=alice).values_list("contact_id", flat=True).get()
    assert logged_in(alice).get(f"/app/contacts/{contact}/").status_code == 200
    assert key_cache.get(alice.pk) is not None


def test_even_a_bug_on_the_leaders_request_would_show_ciphertext_not_a_note(team, carol, alice):
    note = Note.objects.filter(owner=alice).get()  # as a buggy team view that forgot owned_by() would load it
    with request_scope(_Request(carol)), pytest.raises(VaultAccessDenied):
        _ = note.body


def test_the_leader_reaches_none_of_a_members_crm(team, carol, alice):
    leader = logged_in(carol)
    contact_id = Note.objects.filter(owner=alice).values_list("contact_id", flat=True).get()
    assert leader.get(f"/api/v1/contacts/{contact_id}").status_code == 404
    assert leader.get(f"/app/contacts/{contact_id}/").status_code == 404
    assert leader.get("/api/v1/contacts?q=Priya").json()["count"] == 0
    assert b"Priya" not in leader.get("/api/v1/me/export").getvalue()


def test_no_team_model_points_at_anyones_crm():
    """The team tables can't lead to a contact, note, message, follow-up, tag, stage or import: no relation."""
    crm = set(apps.get_app_config("crm").get_models())
    for model in apps.get_app_config("teams").get_models():
        related = {f.related_model for f in model._meta.get_fields() if f.is_relation}
        assert not related & crm, (model.__name__, related & crm)
