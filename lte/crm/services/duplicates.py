"""Possible duplicates: every pair of a seller's contacts that share an email address or a phone number, the
seller's "not the same person", and merging two contacts into one.

Found through the blind indexes alone (`ContactLookup`: same owner, kind and digest), so nothing is decrypted
to find them; only the contacts of the page shown are opened. The work is bounded for an account of 100,000
contacts: one GROUP BY over the owner's (owner, kind, digest) index finds the shared values, at most
MAX_LOOKUPS of their rows are read, and at most MAX_PAIRS pairs are listed (the seller works through those
first; merging or dismissing them brings the next ones in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext

from lte.crm.fields import FILLED_IN, IN_DETAILS
from lte.crm.models import Contact, ContactLookup, DuplicateDismissal, FollowUp, Message, Note, Order, StageChange
from lte.crm.services.cadences import touch_schedule
from lte.crm.services.contacts import packed_details
from lte.crm.services.index import email_digest, index_contact, name_keys, phone_digest
from lte.crm.services.normalise import unique

DUPLICATE_KINDS = (ContactLookup.EMAIL, ContactLookup.PHONE)  # what two contacts share to be offered as one
MAX_LOOKUPS = 20_000
MAX_PAIRS = 5_000
SHARED = {ContactLookup.EMAIL: "email", ContactLookup.PHONE: "phone"}


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
    """Folds one contact into another: emails, phones, tags, notes, messages, follow-ups, orders and history move;
    empty fields of the kept contact are filled in (a second address, label or website is added, nothing of
    either side is dropped); the merged one is deleted."""
    keep = Contact.objects.owned_by(owner).select_for_update().get(pk=keep_id)  # a missing one is a 404 first
    if str(keep_id) == str(merge_id):
        raise ValidationError({"merge": gettext("A contact can't be merged into itself.")})
    other = Contact.objects.owned_by(owner).select_for_update().get(pk=merge_id)
    emails = unique(list(zip(keep.emails, keep.email_labels, strict=True))
                     + list(zip(other.emails, other.email_labels, strict=True)), key=lambda p: p[0].casefold())
    phones = unique(list(zip(keep.phones, keep.phone_labels, strict=True))
                     + list(zip(other.phones, other.phone_labels, strict=True)), key=lambda p: p[0])
    addresses = unique(keep.addresses + other.addresses, key=lambda a: a["value"])
    urls = unique(keep.urls + other.urls, key=lambda u: u["value"])
    for name in FILLED_IN:  # empty ones; those kept in the details (the job title) are filled in with them below
        if name not in IN_DETAILS and not getattr(keep, name) and getattr(other, name):
            setattr(keep, name, getattr(other, name))
    details = {**(other.details or {}), **(keep.details or {})}
    details.update(
        job_title=keep.job_title or other.job_title,
        email_labels=[label for _, label in emails], phone_labels=[label for _, label in phones],
        address_label=addresses[0]["label"] if addresses else "", addresses=addresses[1:], urls=urls)
    keep.address = addresses[0]["value"] if addresses else None
    keep.details = packed_details(details)
    emails, phones = [e for e, _ in emails], [p for p, _ in phones]  # nothing of either side is dropped
    keep.reach = {"emails": emails, "phones": phones} if emails or phones else None
    name_keys(keep)
    keep.updated_at = timezone.now()
    keep.save()
    # One open stay-in-touch follow-up per contact: the merged one's goes, the kept one's is set again below.
    FollowUp.objects.filter(contact=other, kind=FollowUp.Kind.TOUCH, done_at__isnull=True).delete()
    for model in (Note, Message, FollowUp, Order, StageChange):
        model.objects.filter(contact=other).update(contact=keep)
    keep.tags.add(*other.tags.all())
    _dismissals_follow(keep, other)
    other.delete()
    index_contact(keep)
    touch_schedule(keep)
    return keep


def dismissed_with(owner, contact_id) -> set:
    """Ids of the contacts the seller said are not the same person as this one."""
    contact_id = Contact._meta.pk.to_python(contact_id)
    rows = (DuplicateDismissal.objects.owned_by(owner).filter(Q(contact_a_id=contact_id) | Q(contact_b_id=contact_id))
            .values_list("contact_a_id", "contact_b_id"))
    return {b if a == contact_id else a for a, b in rows}


def _pair_of(owner, contact_id, other_id) -> tuple[Contact, Contact]:
    """Two different contacts of the owner, in the canonical order of a dismissal (the smaller id first)."""
    if str(contact_id) == str(other_id):
        raise ValidationError({"contact_ids": gettext("Give two different contacts.")})
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


@dataclass
class Pair:
    """Two contacts that may be one person: `first` is the older (the one a plain "Merge" keeps)."""

    first_id: UUID
    second_id: UUID
    newest: datetime
    shared: set[str] = field(default_factory=set)  # "email", "phone"
    first: Contact | None = None
    second: Contact | None = None

    @property
    def contacts(self) -> list[Contact]:
        return [c for c in (self.first, self.second) if c is not None]


@dataclass
class PairPage:
    items: list[Pair]
    count: int  # pairs listed in all (at most MAX_PAIRS)
    capped: bool  # there may be more than MAX_PAIRS


def _pairs(owner) -> tuple[list[Pair], bool]:
    """Every undismissed pair, newest first (by the newer contact of each), at most MAX_PAIRS."""
    shared = (ContactLookup.objects.owned_by(owner).filter(kind__in=DUPLICATE_KINDS).values("kind", "digest")
              .annotate(holders=Count("*")).filter(holders__gt=1).values("digest"))
    rows = list(ContactLookup.objects.owned_by(owner).filter(kind__in=DUPLICATE_KINDS, digest__in=shared)
                .order_by("kind", "digest").values_list("kind", "digest", "contact_id", "contact__created_at")
                [:MAX_LOOKUPS + 1])
    capped = len(rows) > MAX_LOOKUPS
    groups: dict[tuple[str, str], list[UUID]] = {}
    holds: dict[UUID, set[tuple[str, str]]] = {}  # contact -> the shared values it holds
    created: dict[UUID, datetime] = {}
    for kind, digest, contact_id, created_at in rows[:MAX_LOOKUPS]:
        groups.setdefault((kind, digest), []).append(contact_id)
        holds.setdefault(contact_id, set()).add((kind, digest))
        created[contact_id] = created_at
    dismissed = set(DuplicateDismissal.objects.owned_by(owner).values_list("contact_a_id", "contact_b_id"))
    found: set[tuple[UUID, UUID]] = set()
    for holders in groups.values():
        if len(found) >= MAX_PAIRS:
            capped = True
            break
        for key in combinations(sorted(holders), 2):  # (smaller id, larger id), as dismissals are stored
            if key not in dismissed and key not in found:
                if len(found) >= MAX_PAIRS:
                    capped = True
                    break
                found.add(key)
    pairs = []
    for one, two in found:
        first, second = (one, two) if (created[one], one) <= (created[two], two) else (two, one)
        shared_kinds = {SHARED[kind] for kind, _digest in holds[one] & holds[two]}
        pairs.append(Pair(first, second, created[second], shared_kinds))
    pairs.sort(key=lambda p: (p.newest, p.first_id, p.second_id), reverse=True)
    return pairs, capped


def pair_page(owner, *, offset: int = 0, limit: int = 50) -> PairPage:
    """One page of pairs, with both contacts of each opened (stage and tags fetched with them)."""
    pairs, capped = _pairs(owner)
    items = pairs[offset:offset + limit]
    ids = {i for p in items for i in (p.first_id, p.second_id)}
    contacts = {c.pk: c for c in Contact.objects.owned_by(owner).filter(pk__in=ids)
                .select_related("stage").prefetch_related("tags")}
    for pair in items:
        pair.first, pair.second = contacts.get(pair.first_id), contacts.get(pair.second_id)
    return PairPage(items=[p for p in items if p.first and p.second], count=len(pairs), capped=capped)


def pair_count(owner) -> int:
    """How many pairs the duplicates page lists (for the badge on the contact list)."""
    return len(_pairs(owner)[0])
