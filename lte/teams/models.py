"""Teams: a leader, members, invites, and what the leader shares with them.

Made impossible, not forbidden (issue 13): no model here holds a foreign key to anyone's contacts, notes,
messages, follow-ups, tags or stages. A shared script is a copy of the leader's template (its own row, its own
text); a member's weekly activity is never stored here, only counted at read time while the member shares it
(lte.teams.activity). So there is nothing in these tables through which a leader could reach a member's CRM.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from lte.crm.models import Message  # its channels only


class TeamQuerySet(models.QuerySet):
    def visible_to(self, user) -> TeamQuerySet:
        """The teams the user leads or is a member of: every other team is, to them, a row that doesn't exist."""
        return self.filter(memberships__user=user).distinct()

    def led_by(self, user) -> TeamQuerySet:
        return self.filter(leader=user)


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=now, editable=False)

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return f"Team {self.pk}"


class Membership(models.Model):
    """Someone in a team; the leader has one too (the team is theirs as much as their members'). Sharing the
    weekly activity counts is off until the member turns it on, and goes the moment they turn it off."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    share_activity = models.BooleanField(default=False)
    joined_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="teams_membership_team_user")]
        indexes = [models.Index(fields=["user"], name="teams_membership_user")]

    def __str__(self) -> str:
        return f"Membership {self.pk}"


class Invite(models.Model):
    """A code (and the link carrying it) that lets whoever holds it join the team, until it expires or the
    leader revokes it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invites")
    code = models.CharField(max_length=16, unique=True)
    created_at = models.DateTimeField(default=now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invite {self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()

    @classmethod
    def usable(cls) -> Q:
        return Q(revoked_at__isnull=True, expires_at__gt=now())


class SharedTemplate(models.Model):
    """A copy of one of the leader's scripts, shared with the team. Sharing the same script again updates this
    copy and its `version`: members who took a copy are offered the update, never given it unasked."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="templates")
    source_id = models.UUIDField()  # the leader's template it was copied from: an id, not a link to it
    name = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=Message.Channel.choices, default=Message.Channel.SMS)
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(max_length=5000)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["team", "source_id"], name="teams_shared_team_source")]

    def __str__(self) -> str:
        return f"SharedTemplate {self.pk}"


class TemplateCopy(models.Model):
    """A member took a copy of a shared script into their own templates: which version, so a newer one can be
    offered. The copy itself is the member's own template (an id here, not a link)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shared = models.ForeignKey(SharedTemplate, on_delete=models.CASCADE, related_name="copies")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    template_id = models.UUIDField()
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shared", "user"], name="teams_copy_shared_user")]
        indexes = [models.Index(fields=["user"], name="teams_copy_user")]

    def __str__(self) -> str:
        return f"TemplateCopy {self.pk}"


class TeamPost(models.Model):
    """What a leader tells the team: an announcement, a training note, or a link."""

    class Kind(models.TextChoices):
        ANNOUNCEMENT = "announcement", "Announcement"
        TRAINING = "training", "Training"
        LINK = "link", "Link"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ANNOUNCEMENT)
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=5000, blank=True, default="")
    url = models.URLField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"TeamPost {self.pk}"
