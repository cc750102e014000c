"""/teams: leading a team, joining one, sharing activity counts and scripts (CONTRACT.md v1.1).

A team that the caller neither leads nor belongs to answers exactly as one that does not exist (404); a member
asking for what only the leader may do gets 403 with a detail saying so.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, StrictBool

from lte.accounts.http import AuthenticatedHttpRequest
from lte.lib.schemas import Detail, Strict
from lte.teams import services
from lte.teams.activity import WeeklyCounts
from lte.teams.models import SharedTemplate
from lte.teams.queries import MemberView, team_view, teams_of

router = Router(tags=["teams"])


class TeamIn(Strict):
    name: str = Field(max_length=80)


class TeamCreated(Schema):
    id: UUID
    name: str
    invite_code: str


class JoinIn(Strict):
    invite_code: str = Field(max_length=64)


class TeamRef(Schema):
    id: UUID
    name: str


class TeamListItem(Schema):
    id: UUID
    name: str
    leader: dict
    is_leader: bool
    shares_activity: bool


class Activity(Schema):
    reach_outs: int
    follow_ups: int
    presentations: int
    new_customers: int


class MemberOut(Schema):
    id: UUID  # the member's account id
    name: str
    shares_activity: bool
    activity: Activity | None


class LeaderOut(Schema):
    name: str


class TeamOut(Schema):
    id: UUID
    name: str
    leader: LeaderOut
    members: list[MemberOut]
    shares_activity: bool  # the caller's own switch
    totals: Activity | None  # the leader's view only: the sum of the counts shared
    invite_code: str | None  # the leader's view only: the code that works now (null when revoked)


class ShareIn(Strict):
    share_activity: StrictBool


class ShareOut(Schema):
    team_id: UUID
    share_activity: bool


class SharedTemplateIn(Strict):
    template_id: UUID


class SharedTemplateOut(Schema):
    id: UUID
    name: str
    channel: str
    subject: str
    body: str
    version: int
    updated_at: datetime


def _activity(counts: WeeklyCounts | None) -> dict | None:
    return counts.as_dict() if counts is not None else None


def _member(view: MemberView) -> dict:
    return {"id": view.user.pk, "name": view.user.name, "shares_activity": view.shares_activity,
            "activity": _activity(view.activity)}


@router.get("/teams", response=list[TeamListItem])
def team_list(request: AuthenticatedHttpRequest):
    return [{"id": team.pk, "name": team.name, "leader": {"name": team.leader.name},
             "is_leader": team.leader_id == request.user.pk, "shares_activity": membership.share_activity}
            for team, membership in teams_of(request.user)]


@router.post("/teams", response={201: TeamCreated, 400: Detail, 403: Detail})
def team_create(request: AuthenticatedHttpRequest, payload: TeamIn):
    team, invite = services.team_create(leader=request.user, name=payload.name)
    return Status(201, {"id": team.pk, "name": team.name, "invite_code": invite.code})


@router.post("/teams/join", response={200: TeamRef, 404: Detail, 410: Detail})
def team_join(request: AuthenticatedHttpRequest, payload: JoinIn):
    try:
        team = services.team_join(user=request.user, code=payload.invite_code)
    except services.InviteNotFound:
        raise HttpError(404, _("No team has this invite code.")) from None
    except services.InviteExpired:
        raise HttpError(410, _("This invite has expired or was revoked: ask your leader for a new one.")) from None
    return {"id": team.pk, "name": team.name}


@router.get("/teams/{uuid:team_id}", response=TeamOut)
def team_detail(request: AuthenticatedHttpRequest, team_id: UUID):
    view = team_view(services.team_for(request.user, team_id), request.user)
    invite = services.current_invite(view.team) if view.is_leader else None
    return {"id": view.team.pk, "name": view.team.name, "leader": {"name": view.team.leader.name},
            "members": [_member(m) for m in view.members], "shares_activity": view.me.share_activity,
            "totals": _activity(view.totals), "invite_code": invite.code if invite else None}


@router.patch("/teams/{uuid:team_id}/me", response={200: ShareOut, 400: Detail})
def team_me_update(request: AuthenticatedHttpRequest, team_id: UUID, payload: ShareIn):
    membership = services.share_activity_set(user=request.user, team_id=team_id, share=payload.share_activity)
    return {"team_id": membership.team_id, "share_activity": membership.share_activity}


@router.delete("/teams/{uuid:team_id}/me", response={204: None})
def team_leave(request: AuthenticatedHttpRequest, team_id: UUID):
    services.team_leave(user=request.user, team_id=team_id)
    return HttpResponse(status=204)


@router.get("/teams/{uuid:team_id}/templates", response=list[SharedTemplateOut])
def shared_template_list(request: AuthenticatedHttpRequest, team_id: UUID):
    return list(SharedTemplate.objects.filter(team=services.team_for(request.user, team_id)))


@router.post("/teams/{uuid:team_id}/templates", response={201: SharedTemplateOut, 400: Detail, 403: Detail})
def shared_template_create(request: AuthenticatedHttpRequest, team_id: UUID, payload: SharedTemplateIn):
    return Status(201, services.template_share(leader=request.user, team_id=team_id,
                                               template_id=payload.template_id))
