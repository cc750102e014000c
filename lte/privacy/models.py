"""What we record about people besides their CRM: logins, usage, staff access, policies, reports."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from lte.vault.fields import EncryptedField


class LoginRecord(models.Model):
    """A successful login: when, from where (IP, browser, country). Kept 90 days; the user can delete it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=now, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    method = models.CharField(max_length=20, default="password")

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"LoginRecord {self.pk}"


class UsageEvent(models.Model):
    """A page (by route name, never its URL or ids) or a named feature used. Raw for 90 days, then gone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["at"], name="privacy_usage_at"),
                   models.Index(fields=["user", "at"], name="privacy_usage_user_at")]

    def __str__(self) -> str:
        return f"UsageEvent {self.pk}"


class UsageDailyCount(models.Model):
    """Anonymous: how often a feature was used on a day, and by how many accounts. No user id."""

    day = models.DateField()
    name = models.CharField(max_length=80)
    uses = models.PositiveIntegerField(default=0)
    accounts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "name"]
        constraints = [models.UniqueConstraint(fields=["day", "name"], name="privacy_usagedaily_day_name")]

    def __str__(self) -> str:
        return f"UsageDailyCount {self.day} {self.name}"


class SupportGrant(models.Model):
    """The user's time-limited permission for support to view their account."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"SupportGrant {self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > now()


class StaffAccess(models.Model):
    """Append-only, hash-chained log of every staff access to an account's data.

    Rows are never updated or deleted (database triggers refuse it), and each row's hash covers the
    previous one, so `lte audit verify` finds any tampering. The account is a plain id (not a foreign
    key): deleting the account must not break the chain; what was accessed is sealed under the
    account's own key, so it is shredded with the account.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # sealed values need it early
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=now)
    account_id = models.UUIDField(db_index=True)
    staff_id = models.UUIDField()
    staff_name = models.CharField(max_length=150)
    basis = models.CharField(max_length=10)  # grant | reason
    reason = EncryptedField(owner_field="account_id")
    action = models.CharField(max_length=40)
    resource = models.CharField(max_length=80)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"StaffAccess {self.seq}"


class PolicyVersion(models.Model):
    """A published version of the privacy policy, the terms or the cookie notice."""

    class Kind(models.TextChoices):
        PRIVACY = "privacy", "Privacy policy"
        TERMS = "terms", "Terms of service"
        COOKIES = "cookies", "Cookie notice"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    published_on = models.DateField()
    effective_on = models.DateField()
    meaningful = models.BooleanField(default=False, help_text="changes people's rights: email everyone first")
    summary = models.TextField(blank=True, default="")
    body = models.TextField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "-effective_on", "-published_on"]
        constraints = [models.UniqueConstraint(fields=["kind", "published_on"], name="privacy_policy_kind_published")]

    def __str__(self) -> str:
        return f"{self.kind} {self.published_on}"


class PolicyAcknowledgement(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "version"], name="privacy_ack_user_version")]

    def __str__(self) -> str:
        return f"PolicyAcknowledgement {self.pk}"


class ChildReport(models.Model):
    """A report that an account belongs to someone under 18, waiting for staff."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reported_email = models.EmailField(max_length=254)
    details = models.TextField(max_length=2000, blank=True, default="")
    reporter_email = models.EmailField(max_length=254, blank=True, default="")
    created_at = models.DateTimeField(default=now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=20, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ChildReport {self.pk}"


class VisitorDay(models.Model):
    """Anonymous visitor counts of the public pages: one row a day, no identifier of anyone."""

    day = models.DateField(unique=True)
    visitors = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"VisitorDay {self.day}"
