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
from django.db.models import F, Q
from django.utils import timezone

from lte.crm import bulk
from lte.crm.birthdays import is_yearless, parse_birthday_text
from lte.crm.models import (
    NAME_MAX,
    ActivityDay,
    ActivityGoal,
    Contact,
    ContactLookup,
    ContactToken,
    DuplicateDismissal,
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
MAX_ADDRESSES = MAX_URLS = 10
MAX_URL = 500
LABEL_MAX = 40
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
    # A number possible only locally (no area code: "555-0100") would be stored as a wrong E.164 number.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError({"phones": f"“{raw[:40]}” is not a phone number."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


TAIL_DIGITS = 4
PHONE_TEXT = re.compile(r"[0-9+\-.()/\s]+")  # what a number is written with: digits, spaces, + - . ( ) /


def looks_like_phone(text: str) -> bool:
    """A phone query: only digits and phone punctuation, at least TAIL_DIGITS digits ('0142', '(312) 555-0142').
    A word with a letter ('Jess91', 'r2d2') is a word of a name; so are fewer digits ('014', '007')."""
    return bool(PHONE_TEXT.fullmatch(text)) and len(re.sub(r"[^0-9]", "", text)) >= TAIL_DIGITS


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


def phone_tail(text: str) -> str:
    """The last TAIL_DIGITS digits of a number ('+1 312 555 0142' -> '0142'); '' when it has fewer."""
    digits = re.sub(r"[^0-9]", "", text)
    return digits[-TAIL_DIGITS:] if len(digits) >= TAIL_DIGITS else ""


def tail_digest(owner_id, tail: str) -> str:
    return blind_index(owner_id, ContactLookup.TAIL, tail)


def tail_digests(owner_id, phones: Iterable[str]) -> list[str]:
    """One ending per contact, however many of its numbers share it."""
    return [tail_digest(owner_id, t) for t in _unique(t for t in map(phone_tail, phones) if t)]


def _unique(values: Iterable[str], key=lambda v: v) -> list[str]:
    seen, out = set(), []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            out.append(value)
    return out


def clean_label(value: Any) -> str:
    """A phone, email, address or website label: 'mobile', 'work', Apple's '_$!<HomePage>!$_' -> 'homepage'."""
    text = str(value or "").strip()
    if text.startswith("_$!<") and text.endswith(">!$_"):
        text = text[4:-4]
    text = " ".join(text.replace("\x00", "").split())
    return text.casefold()[:LABEL_MAX]


def _clean_pairs(items: Any, *, field: str, max_length: int, most: int) -> list[dict[str, str]]:
    """[{label, value}] from {label, value} objects or plain strings; empty values left out, repeats once."""
    if not isinstance(items, list | tuple):
        raise ValidationError({field: "must be a list."})
    found: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, str):
            label, value = "", item
        elif isinstance(item, dict) and isinstance(item.get("value", ""), str):
            label, value = item.get("label") or "", item.get("value") or ""
        else:
            raise ValidationError({field: "are {label, value} pairs."})
        value = clean_text(value, field=field, max_length=max_length)
        if value and value not in [f["value"] for f in found]:
            found.append({"label": clean_label(label), "value": value})
    if len(found) > most:
        raise ValidationError({field: f"A contact has at most {most} of these."})
    return found


_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def clean_url(value: str) -> str:
    """A website or profile link: http(s) only, so a page can link it safely; 'example.com' gets https://."""
    value = value.strip()
    if not _URL_SCHEME.match(value):
        if " " in value or "." not in value.split("/", 1)[0]:
            raise ValidationError({"urls": f"“{value[:60]}” is not a web address."})
        value = "https://" + value.lstrip("/")
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("http", "https") or " " in value:
        raise ValidationError({"urls": f"“{value[:60]}” is not a web address."})
    return value


def _at_most(found: list[str], kind: str) -> list[str]:
    most, words = {"emails": (MAX_EMAILS, "email addresses"), "phones": (MAX_PHONES, "phone numbers")}[kind]
    if len(found) > most:
        raise ValidationError({kind: f"A contact has at most {most} {words}."})
    return found


def _clean_emails(emails: Iterable[str] | None) -> list[str]:
    return _at_most(_unique((normalise_email(e) for e in (emails or []) if e and str(e).strip()),
                            key=str.casefold), "emails")


def _clean_phones(phones: Iterable[str] | None, owner) -> list[str]:
    return _at_most(_unique(normalise_phone(p, region=owner.country or None) for p in (phones or [])
                            if p and str(p).strip()), "phones")


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
    existing = tags_named(owner, cleaned)
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
    company: Any = UNSET
    job_title: Any = UNSET
    phone_labels: Any = UNSET  # one per phone, in order; UNSET keeps each kept number's label
    email_labels: Any = UNSET
    addresses: Any = UNSET  # every address, [{label, value}] (or plain strings); the first becomes `address`
    urls: Any = UNSET  # websites and profiles, [{label, value}] (or plain strings)


def index_entries(contact: Contact) -> tuple[list[str], list[tuple[str, str]]]:
    """What makes a contact findable: the folded words of its name (search-as-you-type) and its blind-indexed
    emails, phones, national numbers and phone endings as (kind, digest). The one place both contact_create
    and the import's contact_create_many take them from."""
    return name_tokens(contact), lookup_entries(contact)


def name_tokens(contact: Contact) -> list[str]:
    return [w[:NAME_MAX] for w in _unique(fold(f"{contact.first_name} {contact.last_name}").split())]


def lookup_entries(contact: Contact) -> list[tuple[str, str]]:
    owner_id = contact.owner_id
    return ([(ContactLookup.EMAIL, email_digest(owner_id, e)) for e in contact.emails]
            + [(ContactLookup.PHONE, phone_digest(owner_id, p)) for p in contact.phones]
            + [(ContactLookup.NATIONAL, national_digest(owner_id, e164_national_digits(p))) for p in contact.phones]
            + [(ContactLookup.TAIL, digest) for digest in tail_digests(owner_id, contact.phones)])


def e164_national_digits(e164: str) -> str:
    """national_digits for an E.164 number, without parsing it again: country codes are prefix-free, so the
    first 1–3 digits that are one are it (a test checks it against national_digits for every region)."""
    digits = e164[1:]
    if e164.startswith("+") and digits.isdigit():
        for length in (1, 2, 3):
            if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and digits[length:]:
                return str(int(digits[length:]))
    return national_digits(e164)


def _index_contact(contact: Contact, *, tokens: bool = True, lookups: bool = True) -> None:
    """Refreshes the name tokens and the blind-indexed lookups of a contact (index_entries)."""
    if tokens:  # (each part only when asked: the lookups open the sealed emails and phones)
        ContactToken.objects.filter(contact=contact).delete()
        ContactToken.objects.bulk_create([ContactToken(owner_id=contact.owner_id, contact=contact, token=w)
                                          for w in name_tokens(contact)])
    if lookups:
        ContactLookup.objects.filter(contact=contact).delete()
        ContactLookup.objects.bulk_create([ContactLookup(owner_id=contact.owner_id, contact=contact, kind=kind,
                                                         digest=digest) for kind, digest in lookup_entries(contact)])


def tags_named(owner, names: Iterable[str], known: dict[str, Tag] | None = None) -> dict[str, Tag]:
    """The owner's tags with these (clean) names, by folded name, making the missing ones; "vip" finds an
    existing "VIP" instead of making a twin. `known` (folded name -> tag) is a cache a caller keeps."""
    folded = {n.casefold(): n for n in sorted(names)}
    if known is None:  # no cache: only the tags asked for
        known = {t.name.casefold(): t for t in Tag.objects.owned_by(owner).order_by("name")
                 if t.name.casefold() in folded}
    elif not known and folded:  # a cache's first use: every tag of the owner, once
        for tag in Tag.objects.owned_by(owner).order_by("name"):
            known.setdefault(tag.name.casefold(), tag)
    missing = [folded[f] for f in folded if f not in known]
    if missing:
        Tag.objects.bulk_create([Tag(owner=owner, name=n) for n in missing], ignore_conflicts=True)
        for tag in Tag.objects.owned_by(owner).filter(name__in=missing):
            known.setdefault(tag.name.casefold(), tag)
    return known


def _apply(contact: Contact, owner, data: ContactData, *,
           require_identity: bool = True) -> tuple[list[str] | None, list[str] | None, Stage | None]:
    """Validates and sets every given field; returns the new emails/phones (None: unchanged) and stage.
    `require_identity`: a name, company, email or phone is needed (the import keeps a card without one
    when it holds anything else, rather than lose it)."""
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

    given_labels = {"email": data.email_labels, "phone": data.phone_labels}

    def labelled(values, kind: str, clean):
        """Cleans values given with their labels, keeping each label with its value through de-duplication."""
        labels = given_labels[kind]
        if labels is UNSET or labels is None:
            return clean(values)
        if not isinstance(labels, list | tuple) or len(labels) > len(values or []):
            raise ValidationError({f"{kind}_labels": f"give at most one label per {kind}."})
        padded = list(labels) + [""] * len(values)
        pairs = [(v, padded[i]) for i, v in enumerate(values or []) if v and str(v).strip()]
        cleaned = [(clean([v])[0], label) for v, label in pairs]  # each value cleaned once, with its label
        kept = _unique(cleaned, key=lambda p: p[0].casefold())
        given_labels[kind] = [label for _, label in kept]
        return _at_most([v for v, _ in kept], f"{kind}s")

    def do_emails():
        nonlocal emails
        if data.emails is not UNSET:
            emails = labelled(data.emails, "email", _clean_emails)

    def do_phones():
        nonlocal phones
        if data.phones is not UNSET:
            phones = labelled(data.phones, "phone", lambda v: _clean_phones(v, owner))

    def others():
        nonlocal new_stage
        if data.address is not UNSET:
            contact.address = clean_text(data.address, field="address", max_length=MAX_ADDRESS) or None
        if data.birthday is not UNSET:
            birthday = data.birthday
            if isinstance(birthday, str):
                try:
                    birthday = parse_birthday_text(birthday)
                except ValueError:
                    raise ValidationError({"birthday": "must be a date (YYYY-MM-DD, or --MM-DD without the year)."}
                                          ) from None
            if birthday is not None and not isinstance(birthday, date):
                raise ValidationError({"birthday": "must be a date (YYYY-MM-DD, or --MM-DD without the year)."})
            if birthday and not is_yearless(birthday) and not date(1900, 1, 1) <= birthday <= timezone.localdate():
                raise ValidationError({"birthday": "must be between 1900 and today."})
            contact.birthday = birthday
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

    # The sealed details are opened only when something in them may change (a stage move by a job doesn't).
    touches_details = any(getattr(data, name) is not UNSET for name in (
        "job_title", "phone_labels", "email_labels", "addresses", "urls", "emails", "phones"))
    details = dict(contact.details or {}) if touches_details else {}

    def card():
        if data.company is not UNSET:
            contact.company = clean_text(data.company, field="company", max_length=NAME_MAX)
        if data.job_title is not UNSET:
            details["job_title"] = clean_text(data.job_title, field="job_title", max_length=NAME_MAX)
        if data.addresses is not UNSET:
            found = _clean_pairs(data.addresses, field="addresses", max_length=MAX_ADDRESS, most=MAX_ADDRESSES)
            contact.address = found[0]["value"] if found else None
            details["address_label"] = found[0]["label"] if found else ""
            details["addresses"] = found[1:]
        if data.urls is not UNSET:
            details["urls"] = [{"label": u["label"], "value": clean_url(u["value"])} for u in
                               _clean_pairs(data.urls, field="urls", max_length=MAX_URL, most=MAX_URLS)]

    for step in (names, do_emails, do_phones, others, card):
        attempt(step)
    if errors:
        raise ValidationError(errors)
    for kind, new, old_values in ((("email", emails, contact.emails), ("phone", phones, contact.phones))
                                  if touches_details else ()):
        given = given_labels[kind]
        values = new if new is not None else old_values
        old = dict(zip(old_values, getattr(contact, f"{kind}_labels"), strict=True))
        if given is not UNSET:
            labels = [clean_label(x) for x in (given or [])]
        elif new is not None:  # new numbers: each kept one keeps its label
            labels = [old.get(v, "") for v in values]
        else:
            continue
        details[f"{kind}_labels"] = (labels + [""] * len(values))[:len(values)]
    if touches_details:
        contact.details = _packed(details)
    if emails is not None or phones is not None:
        merged = {"emails": emails if emails is not None else contact.emails,
                  "phones": phones if phones is not None else contact.phones}
        contact.reach = merged if merged["emails"] or merged["phones"] else None
    if require_identity and not (contact.first_name or contact.last_name or contact.company or contact.emails
                                 or contact.phones):
        raise ValidationError({"first_name": "Give the contact a name, an email or a phone number."})
    _name_keys(contact)
    return emails, phones, new_stage


def _packed(details: dict) -> dict | None:
    """Contact.details as stored: only what holds something (no empty title, no all-empty label list)."""
    return {k: v for k, v in details.items() if v and (isinstance(v, str) or any(v))} or None


def _name_keys(contact: Contact) -> None:
    """Search and sort keys: by name, or by the company for a card that has only that."""
    contact.search_name = search_key(contact.first_name, contact.last_name)
    named = contact.first_name or contact.last_name
    contact.sort_name = sort_key(contact.first_name, contact.last_name) if named else sort_key(contact.company, "")


@transaction.atomic
def contact_create(*, owner, data: ContactData | None = None, contact_id=None, **fields) -> Contact:
    """Creates a contact. Emails are validated, phones normalised to E.164 in the owner's country.
    `contact_id`: the id to give it (the import derives ids so that a row imported twice is found again)."""
    data = data or ContactData(**fields)
    contact = Contact(owner=owner, **({"pk": contact_id} if contact_id is not None else {}))
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
def contact_create_many(*, owner, contacts: list[Contact], tags: list[list[str]], notes: list[list[str]],
                        reminders: bool = True, known_tags: dict[str, Tag] | None = None,
                        indexes: list[tuple[list[str], list[tuple[str, str]]]] | None = None) -> None:
    """contact_create for many contacts at once (the import's batches): the contacts, already validated by
    _apply, with their stage and id set, are written with their name tokens and lookups (index_entries), their
    tags, a customer's reorder reminder (unless `reminders` is off) and the notes given with each — in a few
    statements (lte.crm.bulk) rather than a dozen per contact. `indexes`: index_entries of each contact, when
    the caller has them already."""
    if not contacts:
        return
    by_name = tags_named(owner, {t for names in tags for t in names}, known_tags)
    ids = bulk.DbIds()
    owner_id = ids.of(owner.pk)
    token_rows, lookup_rows, links, note_rows, followups = [], [], [], [], []
    indexes = indexes if indexes is not None else [index_entries(c) for c in contacts]  # (the import has them)
    for contact, names, bodies, (words, entries) in zip(contacts, tags, notes, indexes, strict=True):
        contact_id = ids.of(contact.pk)
        token_rows += [(ids.new(), owner_id, contact_id, word) for word in words]
        lookup_rows += [(ids.new(), owner_id, contact_id, kind, digest) for kind, digest in entries]
        links += [(contact_id, ids.of(by_name[t.casefold()].pk)) for t in names if t.casefold() in by_name]
        note_rows += [Note(owner_id=contact.owner_id, contact=contact, body=body) for body in bodies]
        if reminders and contact.stage.slug == CUSTOMER_STAGE and contact.reorder_every_days:
            followups.append(reorder_reminder(contact))
    bulk.insert_instances(Contact, contacts)
    bulk.insert_rows(ContactToken, ["id", "owner", "contact", "token"], token_rows, ready=True)
    bulk.insert_rows(ContactLookup, ["id", "owner", "contact", "kind", "digest"], lookup_rows, ready=True)
    bulk.insert_rows(Contact.tags.through, ["contact", "tag"], links, ready=True)
    Note.objects.bulk_create(note_rows)
    FollowUp.objects.bulk_create(followups)


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


def reorder_reminder(contact: Contact) -> FollowUp:
    """The reminder a customer with a reorder interval gets (not saved)."""
    return FollowUp(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.REORDER, title="Time to reorder?",
                    due_at=timezone.now() + timedelta(days=contact.reorder_every_days))


def _schedule_reorder(contact: Contact) -> FollowUp | None:
    """A customer with a reorder interval always has one open reorder reminder."""
    if not contact.reorder_every_days:
        return None
    if FollowUp.objects.filter(contact=contact, kind=FollowUp.Kind.REORDER, done_at__isnull=True).exists():
        return None
    reminder = reorder_reminder(contact)
    reminder.save()
    return reminder


@transaction.atomic
def contact_set_stage(*, owner, contact_id, stage: str) -> Contact:
    return contact_update(owner=owner, contact_id=contact_id, data=ContactData(stage=stage))


@transaction.atomic
def contact_delete(*, owner, contact_id) -> None:
    deleted, _ = Contact.objects.owned_by(owner).filter(pk=contact_id).delete()
    if not deleted:
        raise Contact.DoesNotExist


def find_duplicates(*, owner, emails: Iterable[str] = (), phones: Iterable[str] = (), exclude=None) -> list[Contact]:
    """Contacts of this owner sharing an email or phone (by blind index, nothing decrypted). With `exclude`
    (the contact being looked at): neither it nor the contacts the seller said are someone else."""
    digests = [email_digest(owner.pk, e) for e in emails] + [phone_digest(owner.pk, p) for p in phones]
    if not digests:
        return []
    query = ContactLookup.objects.owned_by(owner).filter(kind__in=DUPLICATE_KINDS, digest__in=digests)
    if exclude is not None:
        query = query.exclude(contact_id=exclude)
    ids = set(query.values_list("contact_id", flat=True))
    if exclude is not None and ids:
        ids -= dismissed_with(owner, exclude)
    return list(Contact.objects.owned_by(owner).filter(pk__in=ids))


@transaction.atomic
def contact_merge(*, owner, keep_id, merge_id) -> Contact:
    """Folds one contact into another: emails, phones, tags, notes, messages, follow-ups and history move;
    empty fields of the kept contact are filled in (a second address, label or website is added, nothing of
    either side is dropped); the merged one is deleted."""
    keep = Contact.objects.owned_by(owner).select_for_update().get(pk=keep_id)  # a missing one is a 404 first
    if str(keep_id) == str(merge_id):
        raise ValidationError({"merge": "A contact can't be merged into itself."})
    other = Contact.objects.owned_by(owner).select_for_update().get(pk=merge_id)
    emails = _unique(list(zip(keep.emails, keep.email_labels, strict=True))
                     + list(zip(other.emails, other.email_labels, strict=True)), key=lambda p: p[0].casefold())
    phones = _unique(list(zip(keep.phones, keep.phone_labels, strict=True))
                     + list(zip(other.phones, other.phone_labels, strict=True)), key=lambda p: p[0])
    addresses = _unique(keep.addresses + other.addresses, key=lambda a: a["value"])
    urls = _unique(keep.urls + other.urls, key=lambda u: u["value"])
    for field in ("first_name", "last_name", "company", "source", "customer_since", "reorder_every_days"):
        if not getattr(keep, field) and getattr(other, field):
            setattr(keep, field, getattr(other, field))
    for field in ("birthday", "social"):
        if getattr(keep, field) is None and getattr(other, field) is not None:
            setattr(keep, field, getattr(other, field))
    details = {**(other.details or {}), **(keep.details or {})}
    details.update(
        job_title=keep.job_title or other.job_title,
        email_labels=[label for _, label in emails], phone_labels=[label for _, label in phones],
        address_label=addresses[0]["label"] if addresses else "", addresses=addresses[1:], urls=urls)
    keep.address = addresses[0]["value"] if addresses else None
    keep.details = _packed(details)
    emails, phones = [e for e, _ in emails], [p for p, _ in phones]  # nothing of either side is dropped
    keep.reach = {"emails": emails, "phones": phones} if emails or phones else None
    _name_keys(keep)
    keep.updated_at = timezone.now()
    keep.save()
    for model in (Note, Message, FollowUp, StageChange):
        model.objects.filter(contact=other).update(contact=keep)
    keep.tags.add(*other.tags.all())
    _dismissals_follow(keep, other)
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


# --- Possible duplicates: "not the same person" ---------------------------------------------------------

DUPLICATE_KINDS = (ContactLookup.EMAIL, ContactLookup.PHONE)  # what two contacts share to be offered as one


def dismissed_with(owner, contact_id) -> set:
    """Ids of the contacts the seller said are not the same person as this one."""
    contact_id = Contact._meta.pk.to_python(contact_id)
    rows = (DuplicateDismissal.objects.owned_by(owner).filter(Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id))
            .values_list("contact_a_id", "contact_b_id"))
    return {b if a == contact_id else a for a, b in rows}


def _pair_of(owner, contact_id, other_id) -> tuple[Contact, Contact]:
    """Two different contacts of the owner, in the canonical order of a dismissal (the smaller id first)."""
    if str(contact_id) == str(other_id):
        raise ValidationError({"contact_ids": "Give two different contacts."})
    first = Contact.objects.owned_by(owner).get(pk=contact_id)
    second = Contact.objects.owned_by(owner).get(pk=other_id)
    return (first, second) if first.pk < second.pk else (second, first)


@transaction.atomic
def duplicate_dismiss(*, owner, contact_id, other_id) -> DuplicateDismissal:
    """The seller says "not the same person": the two contacts are never offered as duplicates again (on the
    duplicates page nor on the contact page). Tapping it twice remembers the pair once; it goes with either
    contact."""
    first, second = _pair_of(owner, contact_id, other_id)
    dismissal, _created = DuplicateDismissal.objects.get_or_create(owner=owner, contact_a=first, contact_b=second)
    return dismissal


@transaction.atomic
def duplicate_dismissal_delete(*, owner, contact_id, other_id) -> None:
    """Takes a "not the same person" back: the pair is offered as duplicates again (if it still shares
    something). Nothing to take back is fine too."""
    first, second = _pair_of(owner, contact_id, other_id)
    DuplicateDismissal.objects.owned_by(owner).filter(contact_a=first, contact_b=second).delete()


def _dismissals_follow(keep: Contact, other: Contact) -> None:
    """Merging `other` into `keep`: whoever `other` was not the same person as, `keep` isn't either (the
    rows of `other` go with it)."""
    thirds = dismissed_with(keep.owner_id, other.pk) - {keep.pk}
    DuplicateDismissal.objects.bulk_create(
        [DuplicateDismissal(owner_id=keep.owner_id, contact_a_id=min(keep.pk, t), contact_b_id=max(keep.pk, t))
         for t in thirds], ignore_conflicts=True)
