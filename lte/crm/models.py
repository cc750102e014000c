"""The CRM: contacts, their notes and messages, follow-ups, stages and tags.

Every row has an `owner` and is reached only through `objects.owned_by(user)`. Sensitive text
(emails, phones, address, birthday, notes, messages, follow-up titles) is an EncryptedField under the
owner's own key; names and tags stay plaintext so lists sort and search in SQL (docs/ARCHITECTURE.md).
Primary keys are random UUIDs, made before the insert, because the ciphertext is bound to its row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from lte.vault.fields import EncryptedField

NAME_MAX = 100


class OwnedQuerySet(models.QuerySet):
    def owned_by(self, user) -> OwnedQuerySet:
        return self.filter(owner=user)


class Owned(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class Stage(Owned):
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint(fields=["owner", "slug"], name="crm_stage_owner_slug")]

    def __str__(self) -> str:
        return f"Stage {self.slug}"


class Tag(Owned):
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="crm_tag_owner_name")]

    def __str__(self) -> str:
        return f"Tag {self.pk}"


class Contact(Owned):
    first_name = models.CharField(max_length=NAME_MAX, blank=True, default="")
    last_name = models.CharField(max_length=NAME_MAX, blank=True, default="")
    search_name = models.CharField(max_length=2 * NAME_MAX + 3, editable=False, default="")
    sort_name = models.CharField(max_length=2 * NAME_MAX + 1, editable=False, default="")
    # Emails and phone numbers are sealed together (one decryption per contact on a list page);
    # contact.emails and contact.phones read them.
    reach = EncryptedField(codec="reach", null=True, blank=True)
    address = EncryptedField(null=True, blank=True)
    birthday = EncryptedField(codec="date", null=True, blank=True)
    social = EncryptedField(codec="json", null=True, blank=True)
    source = models.CharField(max_length=40, blank=True, default="")
    stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    customer_since = models.DateField(null=True, blank=True)
    reorder_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "sort_name", "id"], name="crm_contact_owner_sort"),
            models.Index(fields=["owner", "search_name"], name="crm_contact_owner_search"),
            models.Index(fields=["owner", "created_at", "id"], name="crm_contact_owner_created"),
            models.Index(fields=["owner", "last_contacted_at", "id"], name="crm_contact_owner_lastc"),
            models.Index(fields=["owner", "stage"], name="crm_contact_owner_stage"),
        ]

    def __str__(self) -> str:
        return f"Contact {self.pk}"

    @property
    def emails(self) -> list[str]:
        return (self.reach or {}).get("emails", [])

    @property
    def phones(self) -> list[str]:
        return (self.reach or {}).get("phones", [])


class ContactLookup(Owned):
    """Blind-indexed emails and phones of a contact: exact search and de-duplication without decrypting."""

    EMAIL, PHONE = "email", "phone"
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(max_length=5)
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["owner", "kind", "digest"], name="crm_lookup_owner_digest")]

    def __str__(self) -> str:
        return f"ContactLookup {self.pk}"


class Note(Owned):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes")
    body = EncryptedField()
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact", "created_at"], name="crm_note_contact_created")]

    def __str__(self) -> str:
        return f"Note {self.pk}"
