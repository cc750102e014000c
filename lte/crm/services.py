"""Writes on the CRM. Keyword-only, typed, atomic; views, the API, imports and jobs all come through here."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from lte.crm.models import NAME_MAX, Contact, ContactLookup, Note, Stage
from lte.crm.text import fold, search_key, sort_key
from lte.vault.blind import blind_index

MAX_EMAILS = MAX_PHONES = 10
MAX_NOTE = 20_000


DEFAULT_STAGES = [
    ("new-lead", "New lead"), ("contacted", "Contacted"), ("presented", "Presented"),
    ("following-up", "Following up"), ("customer", "Customer"), ("team-member", "Team member"), ("not-now", "Not now"),
]


@transaction.atomic
def stage_defaults_create(*, owner) -> list[Stage]:
    """The pipeline every account starts with (PRODUCT.md); renamable and reorderable afterwards."""
    existing = list(Stage.objects.owned_by(owner))
    if existing:
        return existing
    return Stage.objects.bulk_create(
        [Stage(owner=owner, slug=slug, name=name, position=i) for i, (slug, name) in enumerate(DEFAULT_STAGES)]
    )


def normalise_email(value: str) -> str:
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(f"“{value[:60]}” is not an email address.") from None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 ('+34612345678'); numbers without a country code are read in the owner's country."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(f"“{raw[:40]}” is not a phone number.") from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(f"“{raw[:40]}” is not a phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_digest(owner_id, email: str) -> str:
    return blind_index(owner_id, ContactLookup.EMAIL, email.casefold())


def phone_digest(owner_id, e164: str) -> str:
    return blind_index(owner_id, ContactLookup.PHONE, e164)


def _unique(values: Iterable[str], key=lambda v: v) -> list[str]:
    seen, out = set(), []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            out.append(value)
    return out


def _replace_lookups(contact: Contact, emails: list[str], phones: list[str]) -> None:
    ContactLookup.objects.filter(contact=contact).delete()
    ContactLookup.objects.bulk_create(
        [ContactLookup(owner_id=contact.owner_id, contact=contact, kind=ContactLookup.EMAIL,
                       digest=email_digest(contact.owner_id, e)) for e in emails]
        + [ContactLookup(owner_id=contact.owner_id, contact=contact, kind=ContactLookup.PHONE,
                         digest=phone_digest(contact.owner_id, p)) for p in phones]
    )


@transaction.atomic
def contact_create(
    *,
    owner,
    first_name: str = "",
    last_name: str = "",
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    address: str | None = None,
    birthday: date | None = None,
    source: str = "",
) -> Contact:
    """Creates a contact; emails are validated, phones normalised to E.164 in the owner's country."""
    emails_n = _unique((normalise_email(e) for e in emails if e and e.strip()), key=str.casefold)
    phones_n = _unique(normalise_phone(p, region=owner.country or None) for p in phones if p and p.strip())
    if len(emails_n) > MAX_EMAILS or len(phones_n) > MAX_PHONES:
        raise ValidationError(f"A contact has at most {MAX_EMAILS} emails and {MAX_PHONES} phone numbers.")
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if len(first_name) > NAME_MAX or len(last_name) > NAME_MAX:
        raise ValidationError(f"Names have at most {NAME_MAX} characters.")
    if not (first_name or last_name or emails_n or phones_n):
        raise ValidationError("Give the contact a name, an email or a phone number.")
    contact = Contact(
        owner=owner, first_name=first_name, last_name=last_name,
        search_name=search_key(first_name, last_name), sort_name=sort_key(first_name, last_name),
        reach={"emails": emails_n, "phones": phones_n} if emails_n or phones_n else None,
        address=address or None, birthday=birthday,
        source=fold(source)[:40] if source else "",
    )
    contact.save()
    _replace_lookups(contact, emails_n, phones_n)
    return contact


@transaction.atomic
def note_create(*, owner, contact: Contact, body: str) -> Note:
    body = (body or "").strip()
    if not body or len(body) > MAX_NOTE:
        raise ValidationError(f"A note has 1 to {MAX_NOTE} characters.")
    if contact.owner_id != owner.pk:
        raise Contact.DoesNotExist
    note = Note.objects.create(owner=owner, contact=contact, body=body)
    Contact.objects.filter(pk=contact.pk).update(updated_at=timezone.now())
    return note
