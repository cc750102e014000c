"""The team pages on a phone: the list, a team as its leader and its members see it, the one-tap join link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from lte.crm.models import MessageTemplate
from lte.crm.services.activity import activity_add
from lte.crm.services.templates import template_save
from lte.teams.models import Invite, Membership, SharedTemplate, Team, TeamPost, TemplateCopy
from lte.teams.services import share_activity_set, team_create, team_join, template_share


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def team(alice):
    team, _invite = team_create(leader=alice, name="Rising Stars")
    return team


@pytest.fixture
def bob_client(bob):
    return logged_in(bob)


def code_of(team) -> str:
    return Invite.objects.filter(team=team).latest("created_at").code


def test_it_creates_a_team_from_the_list_page(alice_client, alice):
    assert alice_client.get("/app/teams/").status_code == 200
    response = alice_client.post("/app/teams/new", {"name": "Rising Stars"})
    team = Team.objects.get(leader=alice)
    assert response.status_code == 302 and response["Location"] == f"/app/teams/{team.pk}/"
    page = alice_client.get(response["Location"]).content.decode()
    assert code_of(team) in page
    assert f"/app/teams/join/{code_of(team)}" in page  # the invite link


def test_the_list_says_when_leading_needs_the_leader_plan(alice_client, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_teams"
    assert "Leader plan" in alice_client.get("/app/teams/").content.decode()
    alice_client.post("/app/teams/new", {"name": "Rising Stars"})
    assert not Team.objects.exists()


def test_the_join_link_joins_with_one_tap(team, bob, bob_client):
    link = f"/app/teams/join/{code_of(team)}"
    page = bob_client.get(link)
    assert page.status_code == 200
    assert "Rising Stars" in page.content.decode() and "Alice Owner" in page.content.decode()
    assert not Membership.objects.filter(user=bob).exists()  # opening the link joins nothing
    response = bob_client.post(link)
    assert response.status_code == 302 and response["Location"] == f"/app/teams/{team.pk}/"
    assert Membership.objects.filter(team=team, user=bob).exists()
    assert bob_client.post(link).status_code == 302  # again: nothing more
    assert Membership.objects.filter(team=team, user=bob).count() == 1


def test_a_typed_code_leads_to_the_join_page(team, bob_client):
    response = bob_client.post("/app/teams/join", {"code": code_of(team).lower()})
    assert response["Location"] == f"/app/teams/join/{code_of(team)}"


def test_an_expired_or_unknown_join_link_says_so(team, bob, bob_client):
    Invite.objects.filter(team=team).update(expires_at=timezone.now() - timedelta(days=1))
    assert bob_client.post(f"/app/teams/join/{code_of(team)}").status_code == 410
    assert bob_client.get("/app/teams/join/NOSUCHCODE").status_code == 404
    assert not Membership.objects.filter(user=bob).exists()


def test_the_leader_revokes_and_regenerates_the_invite(team, alice_client, bob_client, bob):
    old = code_of(team)
    alice_client.post(f"/app/teams/{team.pk}/invite/revoke")
    assert bob_client.post(f"/app/teams/join/{old}").status_code == 410
    alice_client.post(f"/app/teams/{team.pk}/invite/new")
    new = code_of(team)
    assert new != old
    assert bob_client.post(f"/app/teams/join/{new}").status_code == 302
    assert Membership.objects.filter(user=bob).exists()


def test_a_member_sees_exactly_what_the_leader_sees_and_switches_it(team, bob, bob_client, alice_client):
    team_join(user=bob, code=code_of(team))
    activity_add(owner=bob, reach_outs=7)
    page = bob_client.get(f"/app/teams/{team.pk}/").content.decode()
    assert "Alice Owner sees four numbers from your last 7 days" in page
    assert "7 reach-outs" not in alice_client.get(f"/app/teams/{team.pk}/").content.decode()

    bob_client.post(f"/app/teams/{team.pk}/share", {"share": "on"})
    assert Membership.objects.get(user=bob).share_activity
    assert "7 reach-outs" in alice_client.get(f"/app/teams/{team.pk}/").content.decode()

    bob_client.post(f"/app/teams/{team.pk}/share", {"share": "off"})
    assert "7 reach-outs" not in alice_client.get(f"/app/teams/{team.pk}/").content.decode()


def test_the_leader_posts_and_shares_and_members_copy(team, alice, alice_client, bob, bob_client):
    team_join(user=bob, code=code_of(team))
    template = template_save(owner=alice, name="Opener", body="Hi {first_name}!")
    alice_client.post(f"/app/teams/{team.pk}/posts", {"kind": "announcement", "title": "Launch on Friday"})
    alice_client.post(f"/app/teams/{team.pk}/posts", {"kind": "link", "title": "Training video",
                                                      "url": "https://example.org/video"})
    alice_client.post(f"/app/teams/{team.pk}/scripts", {"template_id": str(template.pk)})
    shared = SharedTemplate.objects.get(team=team)
    page = bob_client.get(f"/app/teams/{team.pk}/").content.decode()
    assert "Launch on Friday" in page and "https://example.org/video" in page and "Opener" in page
    assert "Copy to my scripts" in page

    bob_client.post(f"/app/teams/{team.pk}/scripts/{shared.pk}/copy")
    copy = MessageTemplate.objects.owned_by(bob).get(name="Opener")
    assert copy.body == "Hi {first_name}!"

    template_save(owner=alice, template_id=template.pk, name="Opener", body="Hi {first_name}, it's me!")
    alice_client.post(f"/app/teams/{team.pk}/scripts", {"template_id": str(template.pk)})
    page = bob_client.get(f"/app/teams/{team.pk}/").content.decode()
    assert "Update available" in page
    copy.refresh_from_db()
    assert copy.body == "Hi {first_name}!"  # offered, never forced
    bob_client.post(f"/app/teams/{team.pk}/scripts/{shared.pk}/copy")
    copy.refresh_from_db()
    assert copy.body == "Hi {first_name}, it's me!"
    assert "Update available" not in bob_client.get(f"/app/teams/{team.pk}/").content.decode()


def test_a_member_cant_do_the_leaders_part(team, alice, bob, bob_client):
    team_join(user=bob, code=code_of(team))
    template = template_save(owner=bob, name="Mine", body="Hello")
    assert bob_client.post(f"/app/teams/{team.pk}/posts", {"title": "Hijack"}).status_code == 403
    assert bob_client.post(f"/app/teams/{team.pk}/scripts", {"template_id": str(template.pk)}).status_code == 403
    assert bob_client.post(f"/app/teams/{team.pk}/invite/new").status_code == 403
    assert bob_client.post(f"/app/teams/{team.pk}/members/{alice.pk}/remove").status_code == 403
    assert not TeamPost.objects.exists() and not SharedTemplate.objects.exists()


def test_leaving_and_removal_delete_every_trace(team, alice, alice_client, bob, bob_client):
    team_join(user=bob, code=code_of(team))
    share_activity_set(user=bob, team_id=team.pk, share=True)
    shared = template_share(leader=alice, team_id=team.pk,
                            template_id=template_save(owner=alice, name="Opener", body="Hi").pk)
    bob_client.post(f"/app/teams/{team.pk}/scripts/{shared.pk}/copy")
    assert bob_client.get(f"/app/teams/{team.pk}/leave").status_code == 200  # the confirmation
    assert bob_client.post(f"/app/teams/{team.pk}/leave").status_code == 302
    assert not Membership.objects.filter(user=bob).exists()
    assert not TemplateCopy.objects.filter(user=bob).exists()
    assert bob_client.get(f"/app/teams/{team.pk}/").status_code == 404

    team_join(user=bob, code=code_of(team))
    alice_client.post(f"/app/teams/{team.pk}/members/{bob.pk}/remove")
    assert not Membership.objects.filter(user=bob).exists()
    assert "Bob Other" not in alice_client.get(f"/app/teams/{team.pk}/").content.decode()


def test_the_leader_closing_the_team_removes_it_for_everyone(team, alice_client, bob, bob_client):
    team_join(user=bob, code=code_of(team))
    alice_client.post(f"/app/teams/{team.pk}/leave")
    assert not Team.objects.exists() and not Membership.objects.exists()
    assert bob_client.get(f"/app/teams/{team.pk}/").status_code == 404


def test_deleting_a_leader_deletes_their_teams(team, alice, bob):
    from lte.privacy.deletion import account_delete

    team_join(user=bob, code=code_of(team))
    account_delete(user=alice)
    assert not Team.objects.exists()
    assert not Membership.objects.exists()
    assert not Invite.objects.exists()


def test_deleting_a_member_deletes_their_memberships(team, alice, bob):
    from lte.privacy.deletion import account_delete

    team_join(user=bob, code=code_of(team))
    account_delete(user=bob)
    assert list(Membership.objects.values_list("user_id", flat=True)) == [alice.pk]


def test_your_data_and_the_export_list_the_teams(team, alice_client):
    import io
    import zipfile

    response = alice_client.get("/api/v1/me/export")
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert "Rising Stars" in archive.read("teams_led.csv").decode()
        assert "Rising Stars" in archive.read("team_memberships.csv").decode()
