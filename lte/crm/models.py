"""The CRM: contacts, their notes and messages, follow-ups, stages and tags.

Every row has an `owner` and is reached only through `objects.owned_by(user)`. Sensitive text
(emails, phones, address, birthday, notes, messages, follow-up titles) is an EncryptedField under the
owner's own key; names and tags stay plaintext so lists sort and search in SQL (docs/ARCHITECTURE.md).
Primary keys are random UUIDs, made before the insert, because the ciphertext is bound to its row.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from lte.crm.birthdays import is_yearless
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
    # The stage's follow-up rule ("Presented → follow up in 2 days"): a contact moved here gets a follow-up then.
    followup_days = models.PositiveSmallIntegerField(null=True, blank=True)

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


def owner_without_own_index() -> models.ForeignKey:
    """The owner of a model whose composite indexes all start with it, which serve every owner lookup."""
    return models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)


class OwnedDerived(models.Model):
    """An owned row derived from a contact to find it by (a word of the name, a blind index), many per contact.
    An integer key: it holds no sealed value for a UUID key to bind (lte/vault/fields.py), and on SQLite a UUID
    key is a 32-character column and a B-tree of its own in every row, a third of such a table's bytes (issue 9).
    Its composite indexes all start with the owner or the contact: no index of the owner alone."""

    id = models.BigAutoField(primary_key=True)
    owner = owner_without_own_index()

    objects = OwnedQuerySet.as_manager()

    class Meta:
        abstract = True


class ContactReading:
    """What a contact's sealed reach and details say, read the same way by a Contact and by a row of the API's
    list (lte.crm.queries.Listed, which is not a model instance)."""

    __slots__ = ()
    reach: dict | None
    details: dict | None
    address: str | None
    birthday: date | None

    @property
    def emails(self) -> list[str]:
        return (self.reach or {}).get("emails", [])

    @property
    def phones(self) -> list[str]:
        return (self.reach or {}).get("phones", [])

    @property
    def birthday_without_year(self) -> bool:
        return is_yearless(self.birthday)

    def _detail(self, name: str, default):
        return (self.details or {}).get(name, default)

    @property
    def job_title(self) -> str:
        return self._detail("job_title", "")

    @property
    def phone_labels(self) -> list[str]:
        """One label per phone ("mobile", "work", "" when none), in the order of `phones`."""
        labels = list(self._detail("phone_labels", []))
        return (labels + [""] * len(self.phones))[:len(self.phones)]

    @property
    def email_labels(self) -> list[str]:
        labels = list(self._detail("email_labels", []))
        return (labels + [""] * len(self.emails))[:len(self.emails)]

    @property
    def addresses(self) -> list[dict[str, str]]:
        """Every address as {label, value}; the first is `address`."""
        first = [{"label": self._detail("address_label", ""), "value": self.address}] if self.address else []
        return first + [dict(a) for a in self._detail("addresses", [])]

    @property
    def urls(self) -> list[dict[str, str]]:
        """Websites and profiles as {label, value}."""
        return [dict(u) for u in self._detail("urls", [])]


class Contact(ContactReading, Owned):
    owner = owner_without_own_index()
    tag_names: list[str]  # not a column: a list page's tags, in one query (lte.crm.queries.with_tag_names)
    first_name = models.CharField(max_length=NAME_MAX, blank=True, default="")
    last_name = models.CharField(max_length=NAME_MAX, blank=True, default="")
    # The organisation stays plaintext like the names (lists show it next to them); what else a card holds
    # (job title, phone/email labels, more addresses, websites) is sealed in `details`.
    company = models.CharField(max_length=NAME_MAX, blank=True, default="")
    search_name = models.CharField(max_length=2 * NAME_MAX + 3, editable=False, default="")
    sort_name = models.CharField(max_length=2 * NAME_MAX + 1, editable=False, default="")
    # Emails and phone numbers are sealed together (one decryption per contact on a list page);
    # contact.emails and contact.phones read them.
    reach = EncryptedField(codec="reach", null=True, blank=True)
    address = EncryptedField(null=True, blank=True)
    birthday = EncryptedField(codec="date", null=True, blank=True)
    social = EncryptedField(codec="json", null=True, blank=True)
    details = EncryptedField(codec="json", null=True, blank=True)
    source = models.CharField(max_length=40, blank=True, default="")
    stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")
    customer_since = models.DateField(null=True, blank=True)
    reorder_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # "Stay in touch every N days": a follow-up falls due when N days pass without a logged message.
    stay_in_touch_days = models.PositiveSmallIntegerField(null=True, blank=True)
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

class ContactCount(models.Model):
    """How many contacts an account holds, kept by the database itself: triggers on crm_contact count every
    row inserted or deleted, however it goes (a form, an import's bulk insert, a cascade, an account's
    deletion), in the same transaction (migration 0013). An unfiltered list's exact `count` reads this row
    instead of counting 100,000 index entries, which was the whole of a first page's time at that size
    (issue 9). A contact's owner never changes (Owned rows keep theirs), so an update is not counted."""

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE,
                                 related_name="+")
    contacts = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"ContactCount {self.pk}"


class ContactToken(OwnedDerived):
    """Each folded word of a contact's name, for search-as-you-type by word prefix through an index."""

    # (contact, token) below serves every lookup by contact (its cascade, a re-index, the search's EXISTS).
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="tokens", db_index=False)
    token = models.CharField(max_length=NAME_MAX)

    class Meta:
        indexes = [
            # Covering for search: a prefix range gives its contacts (count, DISTINCT) without reading a row.
            models.Index(fields=["owner", "token", "contact"], name="crm_token_owner_token_contact"),
            # "does this contact have a word starting with …": the other words of a multi-word search.
            models.Index(fields=["contact", "token"], name="crm_token_contact_token"),
        ]

    def __str__(self) -> str:
        return f"ContactToken {self.pk}"


class ContactLookup(OwnedDerived):
    """Blind-indexed emails and phones of a contact: exact search, search by a number's ending and
    de-duplication, without decrypting."""

    # The kind of each row, one character (300,000 rows at 100,000 contacts, the kind in the row and the index).
    # The blind index's own domain names (what the HMAC mixes in) are lte.crm.services.index's, unchanged.
    EMAIL, PHONE, NATIONAL = "e", "p", "n"  # n: the national number, for local formats
    TAIL = "t"  # the last 4 digits of a phone: "0142" is how sellers remember a number
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="lookups", db_index=False)
    kind = models.CharField(max_length=1)
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [
            models.Index(fields=["owner", "kind", "digest"], name="crm_lookup_owner_digest"),
            # A contact's rows (its cascade, a re-index). Declared here rather than as the foreign key's own
            # index: PostgreSQL's schema editor drops every undeclared btree index on a column it alters.
            models.Index(fields=["contact"], name="crm_lookup_contact"),
        ]

    def __str__(self) -> str:
        return f"ContactLookup {self.pk}"


class Note(Owned):
    # No index of its own: (contact, created_at) below serves every look-up by contact.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="notes", db_index=False)
    body = EncryptedField()
    created_at = models.DateTimeField(default=now, editable=False)
    updated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["contact", "created_at"], name="crm_note_contact_created")]

    def __str__(self) -> str:
        return f"Note {self.pk}"


class Message(Owned):
    """One conversation entry with a contact: what was said, on which channel, which way."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        WHATSAPP = "whatsapp", "WhatsApp"
        EMAIL = "email", "Email"
        CALL = "call", "Call"
        IN_PERSON = "in_person", "In person"
        SOCIAL = "social", "Social"
        OTHER = "other", "Other"

    class Direction(models.TextChoices):
        OUT = "out", "Sent"
        IN = "in", "Received"

    # No index of its own: (contact, sent_at) below serves every look-up by contact.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages", db_index=False)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.OUT)
    body = EncryptedField(blank=True)
    sent_at = models.DateTimeField(default=now)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["contact", "sent_at"], name="crm_message_contact_sent")]

    def __str__(self) -> str:
        return f"Message {self.pk}"


class FollowUp(Owned):
    """A reminder to get back to a contact; reorder reminders are made from a customer's interval."""

    class Kind(models.TextChoices):
        FOLLOW_UP = "follow_up", "Follow-up"
        REORDER = "reorder", "Reorder"
        TOUCH = "touch", "Stay in touch"  # the contact's stay-in-touch interval passed without a logged message

    # No index of its own: (contact, due_at) below serves every look-up by contact.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="followups", db_index=False)
    title = EncryptedField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FOLLOW_UP)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["owner", "done_at", "due_at"], name="crm_followup_owner_due"),
                   models.Index(fields=["contact", "due_at"], name="crm_followup_contact_due")]
        constraints = [models.UniqueConstraint(fields=["contact"], condition=models.Q(kind="touch", done_at=None),
                                               name="crm_followup_one_open_touch")]

    def __str__(self) -> str:
        return f"FollowUp {self.pk}"


class Order(Owned):
    """What a customer ordered, and when: the reorder reminder counts from the last one. What was ordered is
    sealed like a note (it says a lot about a person); the date, amount and currency stay plaintext so the
    reminder and totals are computed in SQL."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="orders")
    ordered_on = models.DateField()
    products = EncryptedField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["-ordered_on", "-created_at"]
        indexes = [models.Index(fields=["contact", "ordered_on"], name="crm_order_contact_on")]

    def __str__(self) -> str:
        return f"Order {self.pk}"


class StageChange(Owned):
    """A contact moved along the pipeline (for the timeline). Stage names are copied: stages get renamed."""

    # No index of its own: (contact, at) below serves every look-up by contact.
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stage_changes", db_index=False)
    from_name = models.CharField(max_length=40, blank=True, default="")
    to_name = models.CharField(max_length=40)
    at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["contact", "at"], name="crm_stagechange_contact_at")]

    def __str__(self) -> str:
        return f"StageChange {self.pk}"


class MessageTemplate(Owned):
    """A message script with placeholders such as {first_name}, opened pre-filled in the phone's own app."""

    name = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=Message.Channel.choices, default=Message.Channel.SMS)
    subject = models.CharField(max_length=200, blank=True, default="")
    body = models.TextField(max_length=5000)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"MessageTemplate {self.pk}"


class ActivityDay(Owned):
    """The seller's daily activity counters, per day in their own timezone."""

    day = models.DateField()
    reach_outs = models.PositiveIntegerField(default=0)
    follow_ups = models.PositiveIntegerField(default=0)
    presentations = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["owner", "day"], name="crm_activityday_owner_day")]

    def __str__(self) -> str:
        return f"ActivityDay {self.day}"


class ActivityGoal(Owned):
    reach_outs = models.PositiveSmallIntegerField(default=10)
    follow_ups = models.PositiveSmallIntegerField(default=5)
    presentations = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner"], name="crm_activitygoal_owner")]

    def __str__(self) -> str:
        return f"ActivityGoal {self.pk}"


class ImportJob(Owned):
    """A CSV or vCard import running in the background. The uploaded file waits encrypted (its key
    sealed under the owner's) and is deleted when the job ends."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    file_format = models.CharField(max_length=8)  # csv, vcard
    file_key = EncryptedField(null=True, blank=True)
    mapping = models.JSONField(default=dict, blank=True)
    processed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # The report names contacts and quotes the values that could not be read: sealed under the owner's key.
    errors = EncryptedField(codec="json", default=list, null=True, blank=True)
    created_at = models.DateTimeField(default=now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ImportJob {self.pk}"


class DuplicateDismissal(Owned):
    """A "not the same person": two contacts sharing a phone or an email that the seller said are two people,
    so the duplicates page and the contact page stop offering to merge them. One row per pair, stored in
    canonical order (contact_a's id sorts before contact_b's), so a pair can't be remembered twice."""

    contact_a = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    contact_b = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "contact_a", "contact_b"], name="crm_dismissal_owner_pair"),
            models.CheckConstraint(condition=models.Q(contact_a__lt=models.F("contact_b")),
                                   name="crm_dismissal_canonical"),
        ]

    def __str__(self) -> str:
        return f"DuplicateDismissal {self.pk}"


class CalendarFeed(Owned):
    """The seller's private calendar feed (ICS) of open follow-ups, at a secret URL: only the token's hash is
    kept, so the URL is shown once; a new one revokes the old. Titles are neutral ("Follow-up: Ana") unless
    the seller opts in to full titles."""

    token_hash = models.CharField(max_length=64, unique=True)
    full_titles = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner"], name="crm_calendarfeed_owner")]

    def __str__(self) -> str:
        return f"CalendarFeed {self.pk}"


IDEMPOTENCY_KEPT = timedelta(hours=24)  # CONTRACT.md: a repeat "within 24 hours" answers as the first did


class IdempotentAnswer(Owned):
    """The answer to an API POST that carried an `Idempotency-Key`, replayed to a repeat of that key from the same
    account within IDEMPOTENCY_KEPT (CONTRACT.md, "Writes"). The body is the answer as sent — it may name a
    contact, so it is sealed under the owner's key; the key itself is kept only as a digest."""

    key_digest = models.CharField(max_length=64)  # sha256 of the client's key, hex
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True, default="")
    body = EncryptedField(blank=True)
    created_at = models.DateTimeField(default=now, editable=False, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner", "key_digest"], name="crm_idempotent_owner_key")]

    def __str__(self) -> str:
        return f"IdempotentAnswer {self.pk}"
