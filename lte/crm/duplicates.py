"""Possible duplicates: every pair of a seller's contacts that share an email address or a phone number.

Found through the blind indexes alone (`ContactLookup`: same owner, kind and digest), so nothing is decrypted
to find them; only the contacts of the page shown are opened. The work is bounded for an account of 100,000
contacts: one GROUP BY over the owner's (owner, kind, digest) index finds the shared values, at most
MAX_LOOKUPS of their rows are read, and at most MAX_PAIRS pairs are listed (the seller works through those
first; merging or dismissing them brings the next ones in).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import combinations
from uuid import UUID

from django.db.models import Count

from lte.crm.models import Contact, ContactLookup, DuplicateDismissal
from lte.crm.services import DUPLICATE_KINDS

MAX_LOOKUPS = 20_000
MAX_PAIRS = 5_000
SHARED = {ContactLookup.EMAIL: "email", ContactLookup.PHONE: "phone"}


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
