"""Writes on the CRM. Keyword-only, typed, atomic; pages, the API, imports and jobs all come through here.

Every function takes the `owner` and only ever touches that owner's rows: an id of someone else's row
raises the model's DoesNotExist, which the pages and the API turn into the same 404 as a missing row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from lte.crm.models import (
    NAME_MAX,
    ActivityDay,
    ActivityGoal,
    Contact,
    ContactLookup,
    ContactToken,
    FollowUp,
    Message,
    MessageTemplate,
    Note,
    Stage,
    StageChange,
    Tag,
)
from lte.crm.text import fold, search_key, sort_key
from lte.vault.blind import blind_index

MAX_EMAILS = MAX_PHONES = 10
MAX_NOTE = 20_000
MAX_MESSAGE = 20_000
MAX_TITLE = 200
MAX_ADDRESS = 500
MAX_TAGS = 30
TAG_MAX = 40
SOURCE_MAX = 40
DEFAULT_SOURCES = ["warm market", "social", "referral", "event", "other"]
DEFAULT_STAGES = [
    ("new-lead", "New lead"), ("contacted", "Contacted"), ("presented", "Presented"),
    ("following-up", "Following up"), ("customer", "Customer"), ("team-member", "Team member"), ("not-now", "Not now"),
]
CUSTOMER_STAGE = "customer"
UNSET: Any = object()


# --- Normalising what people type ----------------------------------------------------------------------


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: "must not contain NUL characters."})
    if required and not value:
        raise ValidationError({field: "is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"is longer than {max_length} characters."})
    return value


def normalise_email(value: str) -> str:
    value = (value or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError({"emails": "An email address can't hold control characters."})
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"emails": f"“{value[:60]}” is not an email address."}) from None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 ('+34612345678'); numbers without a country code are read in the owner's country."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError({"phones": f"“{raw[:40]}” is not a phone number."}) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError({"phones": f"“{raw[:40]}” is not a phone number."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return len(digits) >= 6 and len(digits) >= 0.6 * len(text.replace(" ", ""))


def email_digest(owner_id, email: str) -> str:
    return blind_index(owner_id, ContactLookup.EMAIL, email.casefold())


def phone_digest(owner_id, e164: str) -> str:
    return blind_index(owner_id, ContactLookup.PHONE, e164)


def national_digits(text: str) -> str:
    """The digits a person would type locally: '+1 415 555 0100' -> '4155550100', '07700 900123' -> '7700900123'."""
    if text.strip().startswith("+"):
        try:
            return str(phonenumbers.parse(text).national_number)
        except phonenumbers.NumberParseException:
            return ""
    return re.sub(r"\D", "", text).lstrip("0")


def national_digest(owner_id, digits: str) -> str:
    return blind_index(owner_id, ContactLookup.NATIONAL, digits)


def _unique(values: Iterable[str], key=lambda v: v) -> list[str]:
    seen, out = set(), []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            out.append(value)
    return out


def _clean_emails(emails: Iterable[str] | None) -> list[str]:
    found = _unique((normalise_email(e) for e in (emails or []) if e and str(e).strip()), key=str.casefold)
    if len(found) > MAX_EMAILS:
        raise ValidationError({"emails": f"A contact has at most {MAX_EMAILS} email addresses."})
    return found


def _clean_phones(phones: Iterable[str] | None, owner) -> list[str]:
    found = _unique(normalise_phone(p, region=owner.country or None) for p in (phones or []) if p and str(p).strip())
    if len(found) > MAX_PHONES:
        raise ValidationError({"phones": f"A contact has at most {MAX_PHONES} phone numbers."})
    return found


# --- Stages, tags, sources ---------------------------------------------------------------------------


@transaction.atomic
def stage_defaults_create(*, owner) -> list[Stage]:
    """The pipeline every account starts with (PRODUCT.md); renamable and reorderable afterwards."""
    existing = list(Stage.objects.owned_by(owner))
    if existing:
        return existing
    Stage.objects.bulk_create(
        [Stage(owner=owner, slug=slug, name=name, position=i) for i, (slug, name) in enumerate(DEFAULT_STAGES)],
        ignore_conflicts=True,
    )
    return list(Stage.objects.owned_by(owner))


def stages_of(owner) -> list[Stage]:
    return list(Stage.objects.owned_by(owner)) or stage_defaults_create(owner=owner)


def stage_by_slug(owner, slug: str) -> Stage:
    stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None and not Stage.objects.owned_by(owner).exists():
        stage_defaults_create(owner=owner)
        stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None:
        raise ValidationError({"stage": f"There is no stage “{slug[:40]}”."})
    return stage


@transaction.atomic
def stage_rename(*, owner, slug: str, name: str) -> Stage:
    stage = stage_by_slug(owner, slug)
    stage.name = clean_text(name, field="name", max_length=40, required=True)
    stage.save(update_fields=["name"])
    return stage


@transaction.atomic
def stage_reorder(*, owner, slugs: list[str]) -> list[Stage]:
    stages = {s.slug: s for s in stages_of(owner)}
    if sorted(slugs) != sorted(stages):
        raise ValidationError({"stages": "Give every stage exactly once."})
    for position, slug in enumerate(slugs):
        stages[slug].position = position
    Stage.objects.bulk_update(list(stages.values()), ["position"])
    return stages_of(owner)


def _tags(owner, names: Iterable[str]) -> list[Tag]:
    cleaned = _unique((clean_text(n, field="tags", max_length=TAG_MAX) for n in names), key=str.casefold)
    cleaned = [n for n in cleaned if n]
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"A contact has at most {MAX_TAGS} tags."})
    folded = {n.casefold() for n in cleaned}  # "vip" finds an existing "VIP" instead of making a twin
    existing = {t.name.casefold(): t for t in Tag.objects.owned_by(owner) if t.name.casefold() in folded}
    missing = [n for n in cleaned if n.casefold() not in existing]
    if missing:
        Tag.objects.bulk_create([Tag(owner=owner, name=n) for n in missing], ignore_conflicts=True)
        existing |= {t.name.casefold(): t for t in Tag.objects.owned_by(owner).filter(name__in=missing)}
    return [existing[n.casefold()] for n in cleaned if n.casefold() in existing]


# --- Contacts ------------------------------------------------------------------------------------------


@dataclass
class ContactData:
    """What a contact form or API call may set; UNSET fields are left alone on update."""

    first_name: Any = UNSET
    last_name: Any = UNSET
    emails: Any = UNSET
    phones: Any = UNSET
    address: Any = UNSET
    birthday: Any = UNSET
    source: Any = UNSET
    stage: Any = UNSET
    tags: Any = UNSET
    customer_since: Any = UNSET
    reorder_every_days: Any = UNSET
    social: Any = UNSET


def _index_contact(contact: Contact, *, tokens: bool = True, lookups: bool = True) -> None:
    """Refreshes the name tokens (search-as-you-type) and blind-indexed emails and phones of a contact."""
    if tokens:
        ContactToken.objects.filter(contact=contact).delete()
        words = _unique(fold(f"{contact.first_name} {contact.last_name}").split())
        ContactToken.objects.bulk_create([ContactToken(owner_id=contact.owner_id, contact=contact,
                                                       token=w[:NAME_MAX]) for w in words])
    if lookups:
        ContactLookup.objects.filter(contact=contact).delete()
        ContactLookup.objects.bulk_create(
            [ContactLookup(owner_id=contact.owner_id, contact=contact, kind=ContactLookup.EMAIL,
                           digest=email_digest(contact.owner_id, e)) for e in contact.emails]
            + [ContactLookup(owner_id=contact.owner_id, contact=contact, kind=ContactLookup.PHONE,
                             digest=phone_digest(contact.owner_id, p)) for p in contact.phones]
            + [ContactLookup(owner_id=contact.owner_id, contact=contact, kind=ContactLookup.NATIONAL,
                             digest=national_digest(contact.owner_id, national_digits(p))) for p in contact.phones]
        )


def _apply(contact: Contact, owner, data: ContactData) -> tuple[list[str] | None, list[str] | None, Stage | None]:
    """Validates and sets every given field; returns the new emails/phones (None: unchanged) and stage."""
    errors: dict[str, list[str]] = {}

    def attempt(fn):
        try:
            fn()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)

    emails = phones = None
    new_stage = None

    def names():
        if data.first_name is not UNSET:
            contact.first_name = clean_text(data.first_name, field="first_name", max_length=NAME_MAX)
        if data.last_name is not UNSET:
            contact.last_name = clean_text(data.last_name, field="last_name", max_length=NAME_MAX)

    def do_emails():
        nonlocal emails
        if data.emails is not UNSET:
            emails = _clean_emails(data.emails)

    def do_phones():
        nonlocal phones
        if data.phones is not UNSET:
            phones = _clean_phones(data.phones, owner)

    def others():
        nonlocal new_stage
        if data.address is not UNSET:
            contact.address = clean_text(data.address, field="address", max_length=MAX_ADDRESS) or None
        if data.birthday is not UNSET:
            if data.birthday is not None and not isinstance(data.birthday, date):
                raise ValidationError({"birthday": "must be a date (YYYY-MM-DD)."})
            if data.birthday and not date(1900, 1, 1) <= data.birthday <= timezone.localdate():
                raise ValidationError({"birthday": "must be between 1900 and today."})
            contact.birthday = data.birthday
        if data.source is not UNSET:
            contact.source = clean_text(data.source, field="source", max_length=SOURCE_MAX)
        if data.customer_since is not UNSET:
            contact.customer_since = data.customer_since
        if data.reorder_every_days is not UNSET:
            days = data.reorder_every_days
            if days is not None and not (isinstance(days, int) and 1 <= days <= 366):
                raise ValidationError({"reorder_every_days": "must be between 1 and 366 days."})
            contact.reorder_every_days = days
        if data.social is not UNSET:
            social = data.social or {}
            if not isinstance(social, dict) or len(social) > 10 or not all(
                    isinstance(k, str) and isinstance(v, str) and len(k) <= 20 and len(v) <= 200
                    for k, v in social.items()):
                raise ValidationError({"social": "is a map of up to 10 networks to handles."})
            contact.social = social or None
        if data.stage is not UNSET and data.stage is not None:
            new_stage = stage_by_slug(owner, data.stage)

    for step in (names, do_emails, do_phones, others):
        attempt(step)
    if errors:
        raise ValidationError(errors)
    if emails is not None or phones is not None:
        merged = {"emails": emails if emails is not None else contact.emails,
                  "phones": phones if phones is not None else contact.phones}
        contact.reach = merged if merged["emails"] or merged["phones"] else None
    if not (contact.first_name or contact.last_name or contact.emails or contact.phones):
        raise ValidationError({"first_name": "Give the contact a name, an email or a phone number."})
    contact.search_name = search_key(contact.first_name, contact.last_name)
    contact.sort_name = sort_key(contact.first_name, contact.last_name)
    return emails, phones, new_stage


@transaction.atomic
def contact_create(*, owner, data: ContactData | None = None, **fields) -> Contact:
    """Creates a contact. Emails are validated, phones normalised to E.164 in the owner's country."""
    data = data or ContactData(**fields)
    contact = Contact(owner=owner)
    _emails, _phones, stage = _apply(contact, owner, data)
    contact.stage = stage or stage_by_slug(owner, "new-lead")
    contact.save()
    _index_contact(contact)
    if data.tags is not UNSET:
        contact.tags.set(_tags(owner, data.tags or []))
    if contact.stage.slug == CUSTOMER_STAGE:
        _customer_started(contact)
    return contact


@transaction.atomic
def contact_update(*, owner, contact_id, data: ContactData) -> Contact:
    # of=self: PostgreSQL can't lock the nullable side of the stage join.
    contact = (Contact.objects.owned_by(owner).select_for_update(of=("self",)).select_related("stage")
               .get(pk=contact_id))
    old_stage = contact.stage
    names_before = (contact.first_name, contact.last_name)
    emails, phones, stage = _apply(contact, owner, data)
    if stage is not None and stage != old_stage:
        contact.stage = stage
    contact.updated_at = timezone.now()
    contact.save()
    _index_contact(contact, tokens=(contact.first_name, contact.last_name) != names_before,
                   lookups=emails is not None or phones is not None)
    if data.tags is not UNSET:
        contact.tags.set(_tags(owner, data.tags or []))
    if stage is not None and stage != old_stage:
        _record_stage_change(contact, old_stage, stage)
    return contact


def _record_stage_change(contact: Contact, old: Stage | None, new: Stage) -> None:
    StageChange.objects.create(owner_id=contact.owner_id, contact=contact, from_name=old.name if old else "",
                               to_name=new.name)
    if new.slug == CUSTOMER_STAGE:
        _customer_started(contact)


def _customer_started(contact: Contact) -> None:
    if contact.customer_since is None:
        contact.customer_since = timezone.localdate()
        contact.save(update_fields=["customer_since"])
    _schedule_reorder(contact)


def _schedule_reorder(contact: Contact) -> FollowUp | None:
    """A customer with a reorder interval always has one open reorder reminder."""
    if not contact.reorder_every_days:
        return None
    if FollowUp.objects.filter(contact=contact, kind=FollowUp.Kind.REORDER, done_at__isnull=True).exists():
        return None
    due = timezone.now() + timedelta(days=contact.reorder_every_days)
    return FollowUp.objects.create(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.REORDER,
                                   title="Time to reorder?", due_at=due)


@transaction.atomic
def contact_set_stage(*, owner, contact_id, stage: str) -> Contact:
    return contact_update(owner=owner, contact_id=contact_id, data=ContactData(stage=stage))


@transaction.atomic
def contact_delete(*, owner, contact_id) -> None:
    deleted, _ = Contact.objects.owned_by(owner).filter(pk=contact_id).delete()
    if not deleted:
        raise Contact.DoesNotExist


def find_duplicates(*, owner, emails: Iterable[str] = (), phones: Iterable[str] = (), exclude=None) -> list[Contact]:
    """Contacts of this owner sharing an email or phone (by blind index, nothing decrypted)."""
    digests = [email_digest(owner.pk, e) for e in emails] + [phone_digest(owner.pk, p) for p in phones]
    if not digests:
        return []
    query = ContactLookup.objects.owned_by(owner).filter(digest__in=digests)
    if exclude is not None:
        query = query.exclude(contact_id=exclude)
    ids = set(query.values_list("contact_id", flat=True))
    return list(Contact.objects.owned_by(owner).filter(pk__in=ids))


@transaction.atomic
def contact_merge(*, owner, keep_id, merge_id) -> Contact:
    """Folds one contact into another: emails, phones, tags, notes, messages, follow-ups and history move;
    empty fields of the kept contact are filled in; the merged one is deleted."""
    if str(keep_id) == str(merge_id):
        raise ValidationError({"merge": "A contact can't be merged into itself."})
    keep = Contact.objects.owned_by(owner).select_for_update().get(pk=keep_id)
    other = Contact.objects.owned_by(owner).select_for_update().get(pk=merge_id)
    emails = _unique(keep.emails + other.emails, key=str.casefold)[:MAX_EMAILS]
    phones = _unique(keep.phones + other.phones)[:MAX_PHONES]
    for field in ("first_name", "last_name", "source", "customer_since", "reorder_every_days"):
        if not getattr(keep, field) and getattr(other, field):
            setattr(keep, field, getattr(other, field))
    for field in ("address", "birthday", "social"):
        if getattr(keep, field) is None and getattr(other, field) is not None:
            setattr(keep, field, getattr(other, field))
    keep.reach = {"emails": emails, "phones": phones} if emails or phones else None
    keep.search_name = search_key(keep.first_name, keep.last_name)
    keep.sort_name = sort_key(keep.first_name, keep.last_name)
    keep.updated_at = timezone.now()
    keep.save()
    for model in (Note, Message, FollowUp, StageChange):
        model.objects.filter(contact=other).update(contact=keep)
    keep.tags.add(*other.tags.all())
    other.delete()
    _index_contact(keep)
    return keep


# --- Notes, messages, follow-ups ---------------------------------------------------------------------


@transaction.atomic
def note_create(*, owner, contact: Contact | None = None, contact_id=None, body: str) -> Note:
    # Always re-read through the owner's queryset: a contact object of another account is a missing row.
    contact = Contact.objects.owned_by(owner).get(pk=contact.pk if contact is not None else contact_id)
    note = Note.objects.create(owner=owner, contact=contact,
                               body=clean_text(body, field="body", max_length=MAX_NOTE, required=True))
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return note


@transaction.atomic
def note_update(*, owner, note_id, body: str) -> Note:
    note = Note.objects.owned_by(owner).select_for_update().get(pk=note_id)
    note.body = clean_text(body, field="body", max_length=MAX_NOTE, required=True)
    note.updated_at = timezone.now()
    note.save(update_fields=["body", "updated_at"])
    return note


@transaction.atomic
def note_delete(*, owner, note_id) -> None:
    deleted, _ = Note.objects.owned_by(owner).filter(pk=note_id).delete()
    if not deleted:
        raise Note.DoesNotExist


@transaction.atomic
def message_log(*, owner, contact_id, channel: str, direction: str = "out", body: str = "",
                sent_at: datetime | None = None) -> Message:
    """Logs a conversation; an outgoing one counts as today's reach-out and marks the contact contacted."""
    contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    if channel not in Message.Channel.values:
        raise ValidationError({"channel": f"is one of {', '.join(Message.Channel.values)}."})
    if direction not in Message.Direction.values:
        raise ValidationError({"direction": "is “out” or “in”."})
    when = _not_future(_aware(sent_at, "sent_at"), "sent_at") if sent_at is not None else timezone.now()
    message = Message.objects.create(owner=owner, contact=contact, channel=channel, direction=direction,
                                     body=clean_text(body, field="body", max_length=MAX_MESSAGE), sent_at=when)
    if direction == Message.Direction.OUT:
        Contact.objects.filter(pk=contact.pk).update(last_contacted_at=when, updated_at=timezone.now())
        activity_add(owner=owner, reach_outs=1)
    return message


@transaction.atomic
def message_update(*, owner, message_id, channel: Any = UNSET, direction: Any = UNSET, body: Any = UNSET,
                   sent_at: Any = UNSET) -> Message:
    """Corrects a logged conversation (the "correct anything" promise covers the log too)."""
    message = Message.objects.owned_by(owner).select_for_update().get(pk=message_id)
    if channel is not UNSET:
        if channel not in Message.Channel.values:
            raise ValidationError({"channel": f"is one of {', '.join(Message.Channel.values)}."})
        message.channel = channel
    if direction is not UNSET:
        if direction not in Message.Direction.values:
            raise ValidationError({"direction": "is “out” or “in”."})
        message.direction = direction
    if body is not UNSET:
        message.body = clean_text(body, field="body", max_length=MAX_MESSAGE)
    if sent_at is not UNSET:
        message.sent_at = _not_future(_aware(sent_at, "sent_at"), "sent_at")
    message.save()
    return message


@transaction.atomic
def message_delete(*, owner, message_id) -> None:
    deleted, _ = Message.objects.owned_by(owner).filter(pk=message_id).delete()
    if not deleted:
        raise Message.DoesNotExist


EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def _aware(value: datetime, field: str) -> datetime:
    """A timezone-aware moment between 1970 and 2200 (an offset can't push it off the calendar)."""
    if not isinstance(value, datetime):
        raise ValidationError({field: "must be a date and time."})
    if timezone.is_naive(value):
        raise ValidationError({field: "needs a timezone (e.g. 2026-11-26T10:00:00Z)."})
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError({field: "is outside the calendar we keep (1970 to 2200)."}) from None
    if not EARLIEST <= utc < LATEST:
        raise ValidationError({field: "is outside the calendar we keep (1970 to 2200)."})
    return utc


def _not_future(value: datetime, field: str) -> datetime:
    if value > timezone.now() + timedelta(days=1):
        raise ValidationError({field: "is in the future."})
    return value


@transaction.atomic
def followup_create(*, owner, contact_id, title: str, due_at: datetime) -> FollowUp:
    contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    return FollowUp.objects.create(owner=owner, contact=contact, due_at=_aware(due_at, "due_at"),
                                   title=clean_text(title, field="title", max_length=MAX_TITLE, required=True))


@transaction.atomic
def followup_update(*, owner, followup_id, title: Any = UNSET, due_at: Any = UNSET, done: Any = UNSET,
                    contact_id: Any = UNSET) -> FollowUp:
    followup = FollowUp.objects.owned_by(owner).select_for_update().get(pk=followup_id)
    if title is not UNSET:
        followup.title = clean_text(title, field="title", max_length=MAX_TITLE, required=True)
    if due_at is not UNSET:
        followup.due_at = _aware(due_at, "due_at")
    if contact_id is not UNSET:
        followup.contact = Contact.objects.owned_by(owner).get(pk=contact_id)
    if done is not UNSET:
        was_done = followup.done_at is not None
        if done and not was_done:
            followup.done_at = timezone.now()
            activity_add(owner=owner, follow_ups=1)
            if followup.kind == FollowUp.Kind.REORDER:
                followup.save()
                _schedule_reorder(followup.contact)
                return followup
        elif not done:
            followup.done_at = None
    followup.save()
    return followup


def followup_snooze(*, owner, followup_id, days: int = 1) -> FollowUp:
    followup = FollowUp.objects.owned_by(owner).get(pk=followup_id)
    base = max(followup.due_at, timezone.now())
    return followup_update(owner=owner, followup_id=followup_id, due_at=base + timedelta(days=days))


@transaction.atomic
def followup_delete(*, owner, followup_id) -> None:
    deleted, _ = FollowUp.objects.owned_by(owner).filter(pk=followup_id).delete()
    if not deleted:
        raise FollowUp.DoesNotExist


# --- Templates ---------------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{(first_name|last_name|full_name|my_name)\}")


def template_render(template: MessageTemplate, contact: Contact, sender) -> str:
    values = {"first_name": contact.first_name, "last_name": contact.last_name,
              "full_name": f"{contact.first_name} {contact.last_name}".strip(), "my_name": sender.name}
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template.body)


@transaction.atomic
def template_save(*, owner, template_id=None, name: str, body: str, channel: str = "sms",
                  subject: str = "") -> MessageTemplate:
    if channel not in Message.Channel.values:
        raise ValidationError({"channel": f"is one of {', '.join(Message.Channel.values)}."})
    template = (MessageTemplate.objects.owned_by(owner).get(pk=template_id) if template_id
                else MessageTemplate(owner=owner))
    template.name = clean_text(name, field="name", max_length=80, required=True)
    template.body = clean_text(body, field="body", max_length=5000, required=True)
    template.subject = clean_text(subject, field="subject", max_length=200)
    template.channel = channel
    template.save()
    return template


@transaction.atomic
def template_delete(*, owner, template_id) -> None:
    deleted, _ = MessageTemplate.objects.owned_by(owner).filter(pk=template_id).delete()
    if not deleted:
        raise MessageTemplate.DoesNotExist


# --- Daily activity ------------------------------------------------------------------------------------


def today_for(owner) -> date:
    import zoneinfo

    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(owner.timezone)).date()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return timezone.now().date()


def activity_add(*, owner, reach_outs: int = 0, follow_ups: int = 0, presentations: int = 0,
                 day: date | None = None) -> ActivityDay:
    day = day or today_for(owner)
    row, _ = ActivityDay.objects.get_or_create(owner=owner, day=day)
    ActivityDay.objects.filter(pk=row.pk).update(
        reach_outs=F("reach_outs") + reach_outs, follow_ups=F("follow_ups") + follow_ups,
        presentations=F("presentations") + presentations,
    )
    row.refresh_from_db()
    return row


def activity_goal(owner) -> ActivityGoal:
    goal, _ = ActivityGoal.objects.get_or_create(owner=owner)
    return goal


@transaction.atomic
def activity_goal_set(*, owner, reach_outs: int, follow_ups: int, presentations: int) -> ActivityGoal:
    for name, value in (("reach_outs", reach_outs), ("follow_ups", follow_ups), ("presentations", presentations)):
        if not isinstance(value, int) or not 0 <= value <= 1000:
            raise ValidationError({name: "must be a whole number from 0 to 1000."})
    goal = activity_goal(owner)
    goal.reach_outs, goal.follow_ups, goal.presentations = reach_outs, follow_ups, presentations
    goal.save()
    return goal
