"""Reads of the teams feature: a team as its leader or a member sees it."""

from __future__ import annotations

from dataclasses import dataclass

from lte.teams.activity import WeeklyCounts, weekly_counts
from lte.teams.models import Membership, Team


@dataclass(frozen=True)
class MemberView:
    membership: Membership
    activity: WeeklyCounts | None  # None unless the member shares, and the viewer is the leader or the member

    @property
    def user(self):
        return self.membership.user

    @property
    def shares_activity(self) -> bool:
        return self.membership.share_activity


@dataclass(frozen=True)
class TeamView:
    team: Team
    is_leader: bool
    me: Membership
    members: list[MemberView]  # everyone but the leader
    totals: WeeklyCounts | None  # the leader's: the sum of what is shared (their own counts too, if they share)
    sharing: int  # how many members share
    my_activity: WeeklyCounts | None  # the viewer's own counts, while they share


def teams_of(user) -> list[tuple[Team, Membership]]:
    memberships = Membership.objects.filter(user=user).select_related("team", "team__leader").order_by(
        "team__name", "team_id")
    return [(m.team, m) for m in memberships]


def team_view(team: Team, viewer) -> TeamView:
    """Counts are worked out only for a member who shares, and only for the leader (or that member) to see."""
    is_leader = team.leader_id == viewer.pk
    memberships = list(team.memberships.select_related("user"))
    me = next(m for m in memberships if m.user_id == viewer.pk)
    members, totals, mine = [], WeeklyCounts(), None
    for membership in memberships:
        visible = membership.share_activity and (is_leader or membership.user_id == viewer.pk)
        counts = weekly_counts(membership.user) if visible else None
        if counts is not None and is_leader:
            totals += counts
        if membership.user_id == viewer.pk:
            mine = counts
        if membership.user_id != team.leader_id:
            members.append(MemberView(membership, counts))
    return TeamView(team=team, is_leader=is_leader, me=me, members=members, totals=totals if is_leader else None,
                    sharing=sum(1 for m in members if m.shares_activity), my_activity=mine)
