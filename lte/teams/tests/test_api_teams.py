"""/api/v1/teams (CONTRACT.md v1.1): leading, joining, sharing counts and scripts, leaving."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from lte.crm.models import MessageTemplate
from lte.crm.services.activity import activity_add
from lte.crm.services.contacts import contact_create
from lte.crm.services.messages import message_log
from lte.crm.services.templates import template_save
from lte.teams.models import Invite, Membership, SharedTemplate, Team, TemplateCopy
from lte.testing.helpers import bearer_client, make_user

API = "/api/v1/"


def post(client, path, body):
    return client.post(API + path, body, content_type="application/json")


def patch(client, path, body):
    return client.patch(API + path, body, content_type="application/json")


@pytest.fixture
def team(api):
    """Alice's team (alice leads it), as the API made it."""
    response = post(api, "teams", {"name": "Rising Stars"})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def joined(team, bob_api):
    """Bob is in alice's team."""
    assert post(bob_api, "teams/join", {"invite_code": team["invite_code"]}).status_code == 200
    return team


@pytest.fixture
def outsider_api(db):
    return bearer_client(make_user("olga@example.com", name="Olga Outsider"))


def test_it_creates_a_team_led_by_the_caller(api, alice):
    response = post(api, "teams", {"name": "  Rising Stars "})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "name", "invite_code"}
    assert body["name"] == "Rising Stars"
    team = Team.objects.get(pk=body["id"])
    assert team.leader == alice
    assert Invite.objects.get(team=team).code == body["invite_code"]
    detail = api.get(API + f"teams/{body['id']}").json()
    assert detail["leader"] == {"name": "Alice Owner"}
    assert detail["members"] == []


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 81}, {"name": 5},
                                  {"name": "Team", "leader_id": "someone"}])
def test_it_refuses_a_team_without_a_proper_name(api, body):
    response = post(api, "teams", body)
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()
    assert not Team.objects.exists()


def test_leading_needs_the_leader_plan_when_billing_is_on(api, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_teams"
    response = post(api, "teams", {"name": "Rising Stars"})
    assert response.status_code == 403
    assert "Leader plan" in response.json()["detail"]
    assert not Team.objects.exists()


def test_a_member_joins_with_the_code_and_joining_again_changes_nothing(team, bob, bob_api):
    first = post(bob_api, "teams/join", {"invite_code": team["invite_code"]})
    again = post(bob_api, "teams/join", {"invite_code": f" {team['invite_code'].lower()} "})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() == {"id": team["id"], "name": "Rising Stars"}
    assert Membership.objects.filter(team_id=team["id"], user=bob).count() == 1


def test_an_unknown_code_is_a_404(bob_api, team):
    response = post(bob_api, "teams/join", {"invite_code": "NOSUCHCODE"})
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("body", [{}, {"invite_code": 12}, {"invite_code": "x" * 65}, {"invite_code": None}])
def test_a_bad_join_body_is_a_4xx(bob_api, body):
    response = post(bob_api, "teams/join", body)
    assert 400 <= response.status_code < 500


def test_an_expired_invite_no_longer_lets_anyone_join(team, bob, bob_api):
    Invite.objects.filter(code=team["invite_code"]).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = post(bob_api, "teams/join", {"invite_code": team["invite_code"]})
    assert response.status_code == 410
    assert "expired" in response.json()["detail"]
    assert not Membership.objects.filter(user=bob).exists()


def test_a_revoked_invite_no_longer_lets_anyone_join_and_a_new_one_does(team, alice, bob, bob_api):
    from lte.teams.services import invite_regenerate

    new = invite_regenerate(leader=alice, team_id=team["id"])
    assert post(bob_api, "teams/join", {"invite_code": team["invite_code"]}).status_code == 410
    assert not Membership.objects.filter(user=bob).exists()
    assert post(bob_api, "teams/join", {"invite_code": new.code}).status_code == 200
    assert Membership.objects.filter(user=bob).exists()


def test_the_leader_sees_a_members_counts_only_while_they_share(joined, api, bob, bob_api):
    contact = contact_create(owner=bob, first_name="Bob's friend", stage="customer")
    message_log(owner=bob, contact_id=contact.pk, channel="sms", body="Hi there")
    activity_add(owner=bob, presentations=2)
    url = API + f"teams/{joined['id']}"

    [member] = api.get(url).json()["members"]
    assert member == {"id": str(bob.pk), "name": "Bob Other", "shares_activity": False, "activity": None}

    answer = patch(bob_api, f"teams/{joined['id']}/me", {"share_activity": True})
    assert answer.status_code == 200
    assert answer.json()["share_activity"] is True
    body = api.get(url).json()
    [member] = body["members"]
    assert member["shares_activity"] is True
    assert member["activity"] == {"reach_outs": 1, "follow_ups": 0, "presentations": 2, "new_customers": 1}
    assert body["totals"] == member["activity"]
    assert "Bob's friend" not in api.get(url).content.decode()

    assert patch(bob_api, f"teams/{joined['id']}/me", {"share_activity": False}).status_code == 200
    [member] = api.get(url).json()["members"]
    assert member["shares_activity"] is False
    assert member["activity"] is None


def test_a_member_sees_their_own_counts_but_never_another_members(joined, api, bob, bob_api, db):
    carol = make_user("carol@example.com", name="Carol Member")
    carol_api = bearer_client(carol)
    post(carol_api, "teams/join", {"invite_code": joined["invite_code"]})
    activity_add(owner=carol, reach_outs=3)
    activity_add(owner=bob, reach_outs=1)
    patch(carol_api, f"teams/{joined['id']}/me", {"share_activity": True})
    patch(bob_api, f"teams/{joined['id']}/me", {"share_activity": True})
    body = bob_api.get(API + f"teams/{joined['id']}").json()
    members = {m["name"]: m for m in body["members"]}
    assert members["Carol Member"]["activity"] is None
    assert members["Bob Other"]["activity"]["reach_outs"] == 1
    assert body["totals"] is None and body["invite_code"] is None


@pytest.mark.parametrize("body", [{}, {"share_activity": "yes"}, {"share_activity": 1}, {"share_activity": None},
                                  {"share_activity": True, "activity": {"reach_outs": 99}}])
def test_the_share_switch_takes_a_boolean_only(joined, bob, bob_api, body):
    response = patch(bob_api, f"teams/{joined['id']}/me", body)
    assert 400 <= response.status_code < 500
    assert not Membership.objects.get(team_id=joined["id"], user=bob).share_activity


def test_outsiders_get_exactly_what_a_missing_team_gets(joined, outsider_api, alice):
    template = template_save(owner=alice, name="Opener", body="Hi {first_name}")
    missing = str(uuid.uuid4())
    calls = [
        ("get", "teams/{}", None), ("patch", "teams/{}/me", {"share_activity": True}), ("delete", "teams/{}/me", None),
        ("get", "teams/{}/templates", None), ("post", "teams/{}/templates", {"template_id": str(template.pk)}),
    ]
    for method, path, body in calls:
        kwargs = {"data": body, "content_type": "application/json"} if body is not None else {}
        theirs = getattr(outsider_api, method)(API + path.format(joined["id"]), **kwargs)
        nothing = getattr(outsider_api, method)(API + path.format(missing), **kwargs)
        assert theirs.status_code == 404, (method, path)
        assert (theirs.status_code, theirs.content) == (nothing.status_code, nothing.content), (method, path)
    assert Team.objects.filter(pk=joined["id"]).exists()
    assert not SharedTemplate.objects.exists()


def test_the_leader_shares_a_copy_of_a_script_and_every_member_lists_it(joined, api, alice, bob_api):
    template = template_save(owner=alice, name="Opener", body="Hi {first_name}, got a minute?")
    response = post(api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)})
    assert response.status_code == 201
    shared = response.json()
    assert shared["name"] == "Opener" and shared["body"] == "Hi {first_name}, got a minute?"
    assert shared["id"] != str(template.pk)
    template_save(owner=alice, template_id=template.pk, name="Opener", body="Changed later")
    listed = bob_api.get(API + f"teams/{joined['id']}/templates").json()
    assert [t["body"] for t in listed] == ["Hi {first_name}, got a minute?"]  # a copy: the leader's edits stay hers
    again = post(api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)})
    assert again.json()["id"] == shared["id"] and again.json()["version"] == 2
    assert [t["body"] for t in api.get(API + f"teams/{joined['id']}/templates").json()] == ["Changed later"]


def test_only_the_leader_shares_scripts(joined, bob, bob_api):
    template = template_save(owner=bob, name="Mine", body="Hello")
    response = post(bob_api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)})
    assert response.status_code == 403
    assert "leader" in response.json()["detail"]
    assert not SharedTemplate.objects.exists()


@pytest.mark.parametrize("template_id", ["not-a-uuid", None, 7])
def test_a_bad_template_id_is_a_4xx(joined, api, template_id):
    response = post(api, f"teams/{joined['id']}/templates", {"template_id": template_id})
    assert 400 <= response.status_code < 500


def test_a_leader_cannot_share_someone_elses_template(joined, api, bob):
    template = template_save(owner=bob, name="Bob's", body="Secret recipe")
    response = post(api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)})
    assert response.status_code == 404
    assert not SharedTemplate.objects.exists()


def test_leaving_deletes_the_membership_and_everything_shared(joined, api, alice, bob, bob_api):
    from lte.teams.services import shared_template_copy

    activity_add(owner=bob, reach_outs=4)
    patch(bob_api, f"teams/{joined['id']}/me", {"share_activity": True})
    template = template_save(owner=alice, name="Opener", body="Hi")
    shared = post(api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)}).json()
    copy = shared_template_copy(user=bob, team_id=joined["id"], shared_id=shared["id"])

    response = bob_api.delete(API + f"teams/{joined['id']}/me")
    assert response.status_code == 204
    assert not Membership.objects.filter(user=bob).exists()
    assert not TemplateCopy.objects.filter(user=bob).exists()
    assert api.get(API + f"teams/{joined['id']}").json()["members"] == []
    assert api.get(API + f"teams/{joined['id']}").json()["totals"] == {
        "reach_outs": 0, "follow_ups": 0, "presentations": 0, "new_customers": 0}
    assert bob_api.get(API + f"teams/{joined['id']}").status_code == 404
    assert MessageTemplate.objects.owned_by(bob).filter(pk=copy.pk).exists()  # the copy he took stays his
    assert bob_api.delete(API + f"teams/{joined['id']}/me").status_code == 404


def test_a_leader_leaving_closes_the_team(joined, api, bob_api):
    assert api.delete(API + f"teams/{joined['id']}/me").status_code == 204
    assert not Team.objects.filter(pk=joined["id"]).exists()
    assert not Membership.objects.exists()
    assert bob_api.get(API + f"teams/{joined['id']}").status_code == 404


def test_the_team_list_shows_the_callers_teams_only(joined, api, bob_api, outsider_api):
    assert [t["name"] for t in api.get(API + "teams").json()] == ["Rising Stars"]
    [mine] = bob_api.get(API + "teams").json()
    assert mine["is_leader"] is False and mine["leader"] == {"name": "Alice Owner"}
    assert outsider_api.get(API + "teams").json() == []


def test_without_the_leader_plan_a_leader_shares_nothing_new_but_can_still_close_doors(joined, api, alice, settings):
    from lte.teams.services import invite_revoke

    template = template_save(owner=alice, name="Opener", body="Hi")
    settings.STRIPE_SECRET_KEY = "sk_test_teams"  # billing on, and alice is not on the Leader plan
    response = post(api, f"teams/{joined['id']}/templates", {"template_id": str(template.pk)})
    assert response.status_code == 403 and "Leader plan" in response.json()["detail"]
    invite_revoke(leader=alice, team_id=joined["id"])
    assert post(bearer_client(make_user("nia@example.com")), "teams/join",
                {"invite_code": joined["invite_code"]}).status_code == 410
    assert api.get(API + f"teams/{joined['id']}").status_code == 200
