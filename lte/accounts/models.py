"""Users, their preferences and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils.timezone import now

TOKEN_PREFIX = "lte_"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """An LTE account. Holds only what a feature needs (PRODUCT.md, "collect the minimum")."""

    # A random id, never reused (SQLite may reuse the largest integer id after a deletion): the
    # account's keys, tombstone and the associated data of its ciphertexts are bound to it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", max_length=254, unique=True)
    name = models.CharField(max_length=150)
    language = models.CharField(max_length=8, default="en")
    currency = models.CharField(max_length=3, default="USD")
    timezone = models.CharField(max_length=64, default="UTC")
    country = models.CharField(max_length=2, blank=True, default="")
    # The daily digest (counts only, never a contact): asked for or not, the hour it goes out in the user's
    # timezone, and the day (there) the last one went, so that a day never gets two.
    daily_digest = models.BooleanField(default=False)
    digest_hour = models.PositiveSmallIntegerField(default=8)
    digest_sent_on = models.DateField(null=True, blank=True)
    # The hour (in the user's timezone) a customer's reorder reminder falls due on its day.
    reminder_hour = models.PositiveSmallIntegerField(default=9)
    # We keep only the attestation that the person is 18 or older, never a birth date.
    adult_confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the seller finished or skipped the first-run steps (import, starter scripts, daily goal): unset, the
    # first sign-in opens them; set, they are never shown again.
    onboarded_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)

    objects = UserManager()
    # Not a column: set on a request's user object once its account is deleted (lte.privacy.deletion), so
    # nothing (a usage event, a last-used time) is recorded for it afterwards.
    deleted = False

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique")]

    def __str__(self) -> str:
        return f"User {self.pk}"

    def save(self, *args, **kwargs) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else ""


def display_name(user: User) -> str:
    """How allauth's messages name the user: their own name, never their email address."""
    return user.name or "you"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def owned_by(self, user: User) -> ApiTokenQuerySet:
        return self.filter(owner=user)


def hash_token(raw: str) -> str:
    """Tokens are 256 random bits, so a fast hash is enough; only the hash is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(models.Model):
    """A bearer token for the API: shown once, stored as a hash, named, listable and revocable."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="the first characters, to recognise a token")
    created_at = models.DateTimeField(default=now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"ApiToken {self.pk}"
