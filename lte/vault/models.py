"""The key store: per-account keys wrapped by the master key, and deletion tombstones.

These rows live in the `keystore` database (lte.vault.router), never in the data database, so a copy of
the data (a backup, a stolen file) holds no readable key. Owner ids are plain UUIDs: no foreign key
crosses the two databases.
"""

from __future__ import annotations

from django.db import models
from django.utils.timezone import now


class AccountKey(models.Model):
    """One data key (AES-256-GCM) of an account. The newest active one encrypts; retired ones only decrypt."""

    class Status(models.TextChoices):
        ACTIVE = "active"
        RETIRED = "retired"  # decrypt-only, kept so that older ciphertexts and backups still open

    owner_id = models.UUIDField(db_index=True)
    key_id = models.CharField(max_length=16, unique=True)
    kek_id = models.CharField(max_length=16, help_text="which master key wrapped it")
    wrapped = models.BinaryField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(default=now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kek_id"])]

    def __str__(self) -> str:
        return f"AccountKey {self.key_id}"


class AccountIndexKey(models.Model):
    """The account's HMAC key for blind indexes (exact look-ups of emails and phones without decrypting)."""

    owner_id = models.UUIDField(unique=True)
    kek_id = models.CharField(max_length=16)
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [models.Index(fields=["kek_id"])]

    def __str__(self) -> str:
        return f"AccountIndexKey {self.pk}"


class Tombstone(models.Model):
    """A deleted account: its id and the time, nothing personal. Replayed after every restore; kept 90 days."""

    owner_id = models.UUIDField(unique=True)
    deleted_at = models.DateTimeField(default=now, db_index=True)

    def __str__(self) -> str:
        return f"Tombstone {self.owner_id}"
