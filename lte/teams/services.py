"""Every write of the teams feature: keyword-only, atomic, owner-checked (STYLE.md 3).

A team is reached only through `team_for` (its leader and members; anyone else gets DoesNotExist, the same as
a missing row) and led only through `team_led_by` (a member who isn't the leader is refused with TeamForbidden).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lte.accounts.plans import can_lead_teams
from lte.crm.models import MessageTemplate
from lte.crm.services.normalise import clean_text
from lte.crm.services.templates import template_save
from lte.teams.models import Invite, Membership, SharedTemplate, Team, TeamPost, TemplateCopy

INVITE_DAYS = 14
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed on phones
CODE_LENGTH = 10


class TeamForbidden(PermissionDenied):
    """A member asked for what only the leader may do, or someone without the Leader plan asked to lead."""


class InviteNotFound(ObjectDoesNotExist):
    """No team has this invite code."""


class InviteExpired(Exception):
    """The code was a team's, but it expired or the leader revoked it."""


def team_for(user, team_id) -> Team:
    """A team the user leads or belongs to; any other id is a DoesNotExist, like a missing row."""
    return Team.objects.visible_to(user).select_related("leader").get(pk=team_id)


def team_led_by(user, team_id, *, to_share: bool = True) -> Team:
    """A team the user leads (a member who isn't the leader: TeamForbidden). Sharing something new needs a plan
    that leads teams (`to_share`); taking something back — revoking an invite, removing a member or a post —
    never does, so a leader whose plan lapsed can still close doors."""
    team = team_for(user, team_id)
    if team.leader_id != user.pk:
        raise TeamForbidden(_("Only the team's leader can do this."))
    if to_share:
        check_can_lead(user)
    return team


def check_can_lead(user) -> None:
    if not can_lead_teams(user):
        raise TeamForbidden(_("Leading a team is part of the Leader plan: choose it on the Pricing page to "
                              "create a team and share with it."))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in str(code).upper() if ch.isalnum())[:32]


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _position in range(CODE_LENGTH))


def _invite_create(team: Team) -> Invite:
    expires = timezone.now() + timedelta(days=INVITE_DAYS)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return Invite.objects.create(team=team, code=_new_code(), expires_at=expires)
        except IntegrityError:  # a code already taken (about one in 10^15): draw again
            continue
    raise RuntimeError("could not draw an unused invite code")


def current_invite(team: Team) -> Invite | None:
    return team.invites.filter(Invite.usable()).order_by("-created_at").first()


@transaction.atomic
def team_create(*, leader, name: str) -> tuple[Team, Invite]:
    """A new team led by `leader` (who is its first member), with its first invite."""
    check_can_lead(leader)
    team = Team.objects.create(leader=leader, name=clean_text(name, field="name", max_length=80, required=True))
    Membership.objects.create(team=team, user=leader)
    return team, _invite_create(team)


@transaction.atomic
def invite_regenerate(*, leader, team_id) -> Invite:
    """Revokes every invite still usable and makes a new one: the old link and code stop working at once."""
    team = team_led_by(leader, team_id)
    team.invites.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return _invite_create(team)


@transaction.atomic
def invite_revoke(*, leader, team_id) -> None:
    """No invite of the team works any more (until the leader makes a new one)."""
    team = team_led_by(leader, team_id, to_share=False)
    team.invites.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


def invite_by_code(code: str) -> Invite:
    """The invite with this code, usable or not (InviteNotFound when no team has it)."""
    invite = Invite.objects.select_related("team", "team__leader").filter(code=normalise_code(code)).first()
    if invite is None:
        raise InviteNotFound
    return invite


@transaction.atomic
def team_join(*, user, code: str) -> Team:
    """Joins the team whose usable invite this is. Joining a team one is already in changes nothing."""
    invite = invite_by_code(code)
    team = invite.team
    if Membership.objects.filter(team=team, user=user).exists():
        return team
    if not invite.is_usable:
        raise InviteExpired
    Membership.objects.get_or_create(team=team, user=user)
    return team


@transaction.atomic
def share_activity_set(*, user, team_id, share: bool) -> Membership:
    """The member's own switch: while on, the leader sees their weekly counts; off, the leader sees nothing."""
    if not isinstance(share, bool):
        raise ValidationError({"share_activity": _("is true or false.")})
    membership = Membership.objects.select_related("team").get(team=team_for(user, team_id), user=user)
    membership.share_activity = share
    membership.save(update_fields=["share_activity"])
    return membership


def _membership_erase(membership: Membership) -> None:
    """Every trace of a membership: the row (and with it the sharing) and the links to the team's scripts.
    The copies the member took are their own templates now, and stay theirs."""
    TemplateCopy.objects.filter(user_id=membership.user_id, shared__team_id=membership.team_id).delete()
    membership.delete()


@transaction.atomic
def team_leave(*, user, team_id) -> None:
    """A member leaves; a leader leaving closes the team, which goes with everything shared in it."""
    team = team_for(user, team_id)
    if team.leader_id == user.pk:
        team.delete()
        return
    _membership_erase(Membership.objects.get(team=team, user=user))


@transaction.atomic
def member_remove(*, leader, team_id, member_id) -> None:
    """The leader removes a member: the same as the member leaving."""
    team = team_led_by(leader, team_id, to_share=False)
    membership = Membership.objects.exclude(user_id=leader.pk).get(team=team, user_id=member_id)
    _membership_erase(membership)


@transaction.atomic
def template_share(*, leader, team_id, template_id) -> SharedTemplate:
    """Shares a copy of one of the leader's templates; sharing it again updates the copy (a new version that
    members who took it are offered)."""
    team = team_led_by(leader, team_id)
    source = MessageTemplate.objects.owned_by(leader).get(pk=template_id)
    fields = {"name": source.name, "channel": source.channel, "subject": source.subject, "body": source.body}
    shared = SharedTemplate.objects.filter(team=team, source_id=source.pk).first()
    if shared is None:
        return SharedTemplate.objects.create(team=team, source_id=source.pk, **fields)
    if any(getattr(shared, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(shared, name, value)
        shared.version += 1
        shared.updated_at = timezone.now()
        shared.save(update_fields=[*fields, "version", "updated_at"])
    return shared


@transaction.atomic
def shared_template_delete(*, leader, team_id, shared_id) -> None:
    """Stops sharing a script. Copies members took stay theirs."""
    team = team_led_by(leader, team_id, to_share=False)
    deleted, _per_model = SharedTemplate.objects.filter(team=team, pk=shared_id).delete()
    if not deleted:
        raise SharedTemplate.DoesNotExist


@transaction.atomic
def shared_template_copy(*, user, team_id, shared_id) -> MessageTemplate:
    """Takes a copy of a shared script into the user's own templates (theirs to edit). Taking it again after the
    leader updated it ("update available") rewrites that copy with the new version; the member asked for it."""
    shared = SharedTemplate.objects.get(team=team_for(user, team_id), pk=shared_id)
    link = TemplateCopy.objects.filter(shared=shared, user=user).first()
    existing = (MessageTemplate.objects.owned_by(user).filter(pk=link.template_id).first() if link else None)
    template = template_save(owner=user, template_id=existing.pk if existing else None, name=shared.name,
                             body=shared.body, channel=shared.channel, subject=shared.subject)
    if link is None:
        TemplateCopy.objects.create(shared=shared, user=user, template_id=template.pk, version=shared.version)
    else:
        link.template_id, link.version = template.pk, shared.version
        link.save(update_fields=["template_id", "version"])
    return template


@transaction.atomic
def post_create(*, leader, team_id, kind: str, title: str, body: str = "", url: str = "") -> TeamPost:
    team = team_led_by(leader, team_id)
    if kind not in TeamPost.Kind.values:
        raise ValidationError({"kind": _("is an announcement, a training note or a link.")})
    url = clean_text(url, field="url", max_length=500)
    if url and not url.startswith(("https://", "http://")):
        raise ValidationError({"url": _("starts with https:// or http://")})
    if kind == TeamPost.Kind.LINK and not url:
        raise ValidationError({"url": _("A link needs its address.")})
    return TeamPost.objects.create(team=team, kind=kind, url=url,
                                   title=clean_text(title, field="title", max_length=120, required=True),
                                   body=clean_text(body, field="body", max_length=5000))


@transaction.atomic
def post_delete(*, leader, team_id, post_id) -> None:
    team = team_led_by(leader, team_id, to_share=False)
    deleted, _per_model = TeamPost.objects.filter(team=team, pk=post_id).delete()
    if not deleted:
        raise TeamPost.DoesNotExist
