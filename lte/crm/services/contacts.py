"""Writing contacts: create (one, or a batch for the import), update, move to a stage, delete.

Every given field goes through _apply, the one validation of a contact's values (the import uses it too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from lte.accounts import plans
from lte.crm.birthdays import is_yearless, parse_birthday_text
from lte.crm.fields import OPENS_DETAILS
from lte.crm.models import NAME_MAX, Contact, ContactLookup, ContactToken, FollowUp, Note, Stage, StageChange, Tag
from lte.crm.services.cadences import stage_rule_followup, touch_schedule, touch_title
from lte.crm.services.followups import reorder_reminder, schedule_reorder
from lte.crm.services.index import index_contact, index_entries, name_keys
from lte.crm.services.normalise import (
    MAX_ADDRESS,
    MAX_ADDRESSES,
    MAX_REORDER_DAYS,
    MAX_TOUCH_DAYS,
    MAX_URL,
    MAX_URLS,
    SOURCE_MAX,
    UNSET,
    at_most,
    clean_emails,
    clean_label,
    clean_pairs,
    clean_phones,
    clean_text,
    clean_url,
    unique,
)
from lte.crm.services.stages import CUSTOMER_STAGE, first_stage, stage_by_slug
from lte.crm.services.tags import tags_for, tags_named
from lte.lib import bulk

DEFAULT_SOURCES = ["warm market", "social", "referral", "event", "other"]

NOT_A_BIRTHDAY = gettext_noop("must be a date (YYYY-MM-DD, or --MM-DD without the year).")


@dataclass
class ContactData:
    """What a contact form or API call may set; UNSET fields are left alone on update. The fields are
    lte.crm.fields.GIVEN, in its order (lte/crm/tests/test_fields.py holds them together)."""

    first_name: Any = UNSET
    last_name: Any = UNSET
    company: Any = UNSET
    job_title: Any = UNSET
    emails: Any = UNSET
    email_labels: Any = UNSET
    phones: Any = UNSET
    phone_labels: Any = UNSET  # one per phone, in order; UNSET keeps each kept number's label
    address: Any = UNSET
    addresses: Any = UNSET  # every address, [{label, value}] (or plain strings); the first becomes `address`
    urls: Any = UNSET  # websites and profiles, [{label, value}] (or plain strings)
    birthday: Any = UNSET
    source: Any = UNSET
    stage: Any = UNSET
    tags: Any = UNSET
    customer_since: Any = UNSET
    reorder_every_days: Any = UNSET
    stay_in_touch_days: Any = UNSET
    social: Any = UNSET


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
            raise ValidationError({f"{kind}_labels": gettext("give at most one label per value.")})
        padded = list(labels) + [""] * len(values)
        pairs = [(v, padded[i]) for i, v in enumerate(values or []) if v and str(v).strip()]
        cleaned = [(clean([v])[0], label) for v, label in pairs]  # each value cleaned once, with its label
        kept = unique(cleaned, key=lambda p: p[0].casefold())
        given_labels[kind] = [label for _, label in kept]
        return at_most([v for v, _ in kept], f"{kind}s")

    def do_emails():
        nonlocal emails
        if data.emails is not UNSET:
            emails = labelled(data.emails, "email", clean_emails)

    def do_phones():
        nonlocal phones
        if data.phones is not UNSET:
            phones = labelled(data.phones, "phone", lambda v: clean_phones(v, owner))

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
                    raise ValidationError({"birthday": gettext(NOT_A_BIRTHDAY)}) from None
            if birthday is not None and not isinstance(birthday, date):
                raise ValidationError({"birthday": gettext(NOT_A_BIRTHDAY)})
            if birthday and not is_yearless(birthday) and not date(1900, 1, 1) <= birthday <= timezone.localdate():
                raise ValidationError({"birthday": gettext("must be between 1900 and today.")})
            contact.birthday = birthday
        if data.source is not UNSET:
            contact.source = clean_text(data.source, field="source", max_length=SOURCE_MAX)
        if data.customer_since is not UNSET:
            contact.customer_since = data.customer_since
        if data.reorder_every_days is not UNSET:
            days = data.reorder_every_days
            if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_REORDER_DAYS):
                raise ValidationError({"reorder_every_days": gettext("must be between 1 and %(most)s days.") % {
                    "most": MAX_REORDER_DAYS}})
            contact.reorder_every_days = days
        if data.stay_in_touch_days is not UNSET:
            days = data.stay_in_touch_days
            if days is not None and not (isinstance(days, int) and not isinstance(days, bool)
                                         and 1 <= days <= MAX_TOUCH_DAYS):
                raise ValidationError({"stay_in_touch_days": f"must be between 1 and {MAX_TOUCH_DAYS} days."})
            contact.stay_in_touch_days = days
        if data.social is not UNSET:
            social = data.social or {}
            if not isinstance(social, dict) or len(social) > 10 or not all(
                    isinstance(k, str) and isinstance(v, str) and len(k) <= 20 and len(v) <= 200
                    for k, v in social.items()):
                raise ValidationError({"social": gettext("is a map of up to 10 networks to handles.")})
            contact.social = social or None
        if data.stage is not UNSET and data.stage is not None:
            new_stage = stage_by_slug(owner, data.stage)

    # The sealed details are opened only when something in them may change (a stage move by a job doesn't).
    touches_details = any(getattr(data, name) is not UNSET for name in OPENS_DETAILS)
    details = dict(contact.details or {}) if touches_details else {}

    def card():
        if data.company is not UNSET:
            contact.company = clean_text(data.company, field="company", max_length=NAME_MAX)
        if data.job_title is not UNSET:
            details["job_title"] = clean_text(data.job_title, field="job_title", max_length=NAME_MAX)
        if data.addresses is not UNSET:
            found = clean_pairs(data.addresses, field="addresses", max_length=MAX_ADDRESS, most=MAX_ADDRESSES)
            contact.address = found[0]["value"] if found else None
            details["address_label"] = found[0]["label"] if found else ""
            details["addresses"] = found[1:]
        if data.urls is not UNSET:
            details["urls"] = [{"label": u["label"], "value": clean_url(u["value"])} for u in
                               clean_pairs(data.urls, field="urls", max_length=MAX_URL, most=MAX_URLS)]

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
        contact.details = packed_details(details)
    if emails is not None or phones is not None:
        merged = {"emails": emails if emails is not None else contact.emails,
                  "phones": phones if phones is not None else contact.phones}
        contact.reach = merged if merged["emails"] or merged["phones"] else None
    if require_identity and not (contact.first_name or contact.last_name or contact.company or contact.emails
                                 or contact.phones):
        raise ValidationError({"first_name": gettext("Give the contact a name, an email or a phone number.")})
    name_keys(contact)
    return emails, phones, new_stage


def packed_details(details: dict) -> dict | None:
    """Contact.details as stored: only what holds something (no empty title, no all-empty label list)."""
    return {k: v for k, v in details.items() if v and (isinstance(v, str) or any(v))} or None


class ContactLimitReached(ValidationError):
    """The plan's contact limit is reached: adding is paused. Nothing is hidden or lost — seeing, exporting,
    editing and deleting every contact go on as before."""

    def __init__(self, limit: int) -> None:
        super().__init__(gettext(
            "Your plan keeps up to %(limit)s contacts and you have reached that: adding new contacts is paused. "
            "Everything you have stays yours to see, edit, export and delete. To add more, upgrade in "
            "Settings → Billing.") % {"limit": limit}, code="contact_limit")


def contacts_room(owner) -> int | None:
    """How many more contacts the owner's plan lets them add (None: no limit, as always while billing is off)."""
    limit = plans.contact_limit(owner)
    if limit is None:
        return None
    return max(0, limit - Contact.objects.owned_by(owner).count())


@transaction.atomic
def contact_create(*, owner, data: ContactData | None = None, contact_id=None, **fields) -> Contact:
    """Creates a contact. Emails are validated, phones normalised to E.164 in the owner's country.
    `contact_id`: the id to give it (the import derives ids so that a row imported twice is found again).
    Raises ContactLimitReached when the plan's limit is reached (lte.accounts.plans.contact_limit)."""
    if contacts_room(owner) == 0:
        raise ContactLimitReached(plans.contact_limit(owner) or 0)
    data = data or ContactData(**fields)
    contact = Contact(owner=owner, **({"pk": contact_id} if contact_id is not None else {}))
    _emails, _phones, stage = _apply(contact, owner, data)
    contact.stage = stage or first_stage(owner)
    contact.save()
    index_contact(contact)
    if data.tags is not UNSET:
        contact.tags.set(tags_for(owner, data.tags or []))
    if contact.stage.slug == CUSTOMER_STAGE:
        _customer_started(contact)
    if contact.stay_in_touch_days:
        touch_schedule(contact)
    stage_rule_followup(contact, contact.stage)
    return contact


@transaction.atomic
def contact_create_many(*, owner, contacts: list[Contact], tags: list[list[str]], notes: list[list[str]],
                        reminders: bool = True, known_tags: dict[str, Tag] | None = None,
                        indexes: list[tuple[list[str], list[tuple[str, str]]]] | None = None) -> None:
    """contact_create for many contacts at once (the import's batches): the contacts, already validated by
    _apply, with their stage and id set, are written with their name tokens and lookups (index_entries), their
    tags, a customer's reorder reminder (unless `reminders` is off) and the notes given with each — in a few
    statements (lte.lib.bulk) rather than a dozen per contact. `indexes`: index_entries of each contact, when
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
        token_rows += [(owner_id, contact_id, word) for word in words]  # (their integer keys: the database's)
        lookup_rows += [(owner_id, contact_id, kind, digest) for kind, digest in entries]
        links += [(contact_id, ids.of(by_name[t.casefold()].pk)) for t in names if t.casefold() in by_name]
        note_rows += [Note(owner_id=contact.owner_id, contact=contact, body=body) for body in bodies]
        if reminders and contact.stage is not None and contact.stage.slug == CUSTOMER_STAGE \
                and contact.reorder_every_days:
            followups.append(reorder_reminder(contact, owner=owner))
        if reminders and contact.stay_in_touch_days:  # no message yet: due the interval after it was added
            followups.append(FollowUp(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.TOUCH,
                                      title=touch_title(owner),
                                      due_at=contact.created_at + timedelta(days=contact.stay_in_touch_days)))
    bulk.insert_instances(Contact, contacts)
    bulk.insert_rows(ContactToken, ["owner", "contact", "token"], token_rows, ready=True)
    bulk.insert_rows(ContactLookup, ["owner", "contact", "kind", "digest"], lookup_rows, ready=True)
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
    index_contact(contact, tokens=(contact.first_name, contact.last_name) != names_before,
                   lookups=emails is not None or phones is not None)
    if data.tags is not UNSET:
        contact.tags.set(tags_for(owner, data.tags or []))
    if stage is not None and stage != old_stage:
        _record_stage_change(contact, old_stage, stage)
        stage_rule_followup(contact, stage)
    if data.stay_in_touch_days is not UNSET:
        touch_schedule(contact)
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
    schedule_reorder(contact)


@transaction.atomic
def contact_set_stage(*, owner, contact_id, stage: str) -> Contact:
    return contact_update(owner=owner, contact_id=contact_id, data=ContactData(stage=stage))


@transaction.atomic
def contact_delete(*, owner, contact_id) -> None:
    deleted, _ = Contact.objects.owned_by(owner).filter(pk=contact_id).delete()
    if not deleted:
        raise Contact.DoesNotExist
