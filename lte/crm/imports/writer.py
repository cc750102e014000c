"""Writing a batch of validated rows: new contacts in bulk, rows matching a contact fill it in."""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext

from lte.accounts import plans
from lte.crm.fields import FILLED_IN
from lte.crm.imports.readers import RawRow, quote
from lte.crm.imports.rows import Prepared, _Context, _validated, describe, prepare
from lte.crm.models import Contact, ContactLookup, ImportJob, Note, Tag
from lte.crm.services.contacts import ContactData, contact_create, contact_create_many, contact_update, contacts_room
from lte.crm.services.duplicates import DUPLICATE_KINDS
from lte.crm.services.normalise import UNSET, remembered
from lte.crm.services.notes import note_create
from lte.crm.text import fold
from lte.vault.blind import blind_index

logger = logging.getLogger("lte.crm.imports")


class Run(Protocol):
    """What a batch needs of the run writing it (lte.crm.imports.jobs._Run)."""

    job: ImportJob
    ctx: _Context
    plan: dict

    def known_tags(self) -> dict[str, Tag]: ...

    def forget_tags(self) -> None: ...

# Ids of contacts made by an import are derived, so that the same row imported again finds what it made:
# from our export's id (a contact of another account, or of a deleted one) or, for any other row, from a blind
# index of the row's contents (keyed per account, so an id says nothing about what the row held).
ID_NAMESPACE = uuid.UUID("6f1e9a52-2c4b-4f8e-9a57-0d3c1b7e2a41")


def derived_id(owner_id, kind: str, value: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"{owner_id}:{kind}:{value}")


def parse_uuid(text: str) -> uuid.UUID | None:
    """Our export's id of a record, when the text is one."""
    try:
        return uuid.UUID(text) if text else None
    except (ValueError, AttributeError, TypeError):
        return None


def row_digest(owner_id, fields: dict[str, Any]) -> str:
    return blind_index(owner_id, "row", json.dumps(fields, sort_keys=True, ensure_ascii=False, default=list))


def same_name(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """The import's rule for one person: names equal, ignoring case, accents and spacing."""
    return fold(f"{a[0]} {a[1]}") == fold(f"{b[0]} {b[1]}")


@dataclass
class _Snapshot:
    """What an existing contact holds, to fill in rather than overwrite."""

    first_name: str
    last_name: str
    company: str
    job_title: str
    emails: list[str]
    email_labels: list[str]
    phones: list[str]
    phone_labels: list[str]
    addresses: list[dict]
    urls: list[dict]
    birthday: date | None
    source: str
    tags: list[str]
    created_at: datetime
    customer_since: date | None = None
    reorder_every_days: int | None = None
    stay_in_touch_days: int | None = None
    social: dict | None = None
    notes: set[str] | None = None

    @classmethod
    def of(cls, contact: Contact, tags: list[str] | None = None) -> _Snapshot:
        return cls(contact.first_name, contact.last_name, contact.company, contact.job_title, list(contact.emails),
                   list(contact.email_labels), list(contact.phones), list(contact.phone_labels),
                   contact.addresses, contact.urls, contact.birthday, contact.source,
                   tags if tags is not None else [t.name for t in contact.tags.all()], contact.created_at,
                   contact.customer_since, contact.reorder_every_days, contact.stay_in_touch_days,
                   contact.social)


# Filled in as the row gives them, not as validated: _validated dates a customer from today when the row doesn't.
_AS_GIVEN = ("customer_since", "reorder_every_days", "stay_in_touch_days", "social")


def _fill(snap: _Snapshot, p: Prepared) -> ContactData:
    """Only what the contact lacks: empty fields filled; new emails, phones, addresses, websites and tags added
    with their labels; nothing overwritten, nothing of either side dropped."""
    data = ContactData()
    c = p.contact
    for name in FILLED_IN:
        given = getattr(p.data, name) if name in _AS_GIVEN else getattr(c, name)
        if not getattr(snap, name) and given is not UNSET and given:
            setattr(data, name, given)
    known = {e.casefold() for e in snap.emails}
    new_emails = [(e, label) for e, label in zip(c.emails, c.email_labels, strict=True) if e.casefold() not in known]
    if new_emails:
        data.emails = snap.emails + [e for e, _ in new_emails]
        data.email_labels = snap.email_labels + [label for _, label in new_emails]
    new_phones = [(x, label) for x, label in zip(c.phones, c.phone_labels, strict=True) if x not in snap.phones]
    if new_phones:
        data.phones = snap.phones + [x for x, _ in new_phones]
        data.phone_labels = snap.phone_labels + [label for _, label in new_phones]
    known_places = {a["value"] for a in snap.addresses}
    new_places = [a for a in c.addresses if a["value"] not in known_places]
    if new_places:
        data.addresses = snap.addresses + new_places
    known_urls = {u["value"] for u in snap.urls}
    new_urls = [u for u in c.urls if u["value"] not in known_urls]
    if new_urls:
        data.urls = snap.urls + new_urls
    known_tags = {t.casefold() for t in snap.tags}
    new_tags = [t for t in p.tags if t.casefold() not in known_tags]
    if new_tags:
        data.tags = snap.tags + new_tags
    return data


def _changes(data: ContactData) -> bool:
    return any(getattr(data, f) is not UNSET for f in ContactData.__dataclass_fields__)


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[dict] = field(default_factory=list)


class _Batch:
    """One batch of rows: validated first (no transaction held), then written in the job's transaction.

    The contract's rule: a row updates a contact only when it carries that contact's id (our own export of
    this account) or has the same name and shares an email or phone with it; every other row is a new contact,
    even one sharing a phone (a household's landline) — those are listed as possible duplicates, and nothing
    merges without the seller's tap. A row of our export (it has an id) is matched by that id alone: two
    contacts of the export are two contacts after the import, whatever they share, so that export → import →
    export gives the same data."""

    def __init__(self, run: Run, rows: list[RawRow]) -> None:
        self.run = run
        self.owner = run.ctx.owner
        self.rows = rows
        self.result = BatchResult()
        self.valid: list[Prepared] = []
        self.existing: dict[str, list] = {}
        self.fingerprints: dict[int, str] = {}
        self.identified: set[int] = set()  # rows carrying a contact id of our export

    def error(self, number: int | None, message: str, contact: str = "") -> None:
        self.result.errors.append({"row": number, "error": message, **({"contact": contact} if contact else {})})

    def prepare(self) -> _Batch:
        with remembered():  # each distinct email and phone of the batch validated once
            self._prepare()
        return self

    def _prepare(self) -> None:
        for row in self.rows:
            if row.fields is None:
                self.error(row.number, row.error or gettext("the row could not be read."))
                self.result.skipped += 1
                continue
            try:
                item = prepare(self.run.ctx, row)
            except ValidationError as exc:
                self.error(row.number, describe(exc))
                self.result.skipped += 1
                continue
            for warning in item.warnings:
                self.error(row.number, warning, item.display)
            for what, value in item.rejected:
                self.error(row.number, gettext("%(contact)s: %(what)s %(value)s could not be read; it is kept in a "
                                               "note on the contact.") % {
                    "contact": item.display, "what": what, "value": quote(value)}, item.display)
            if parse_uuid(item.source_id) is None:  # a row that isn't our export's is known again by its contents
                self.fingerprints[id(item)] = row_digest(self.owner.pk, row.fields)
            self.valid.append(item)

    def _targets(self) -> dict[int, uuid.UUID]:
        """Each row's contact id: its own (our export of this account), or one derived from it."""
        given = {id(p): parse_uuid(p.source_id) for p in self.valid}
        sources = [u for u in given.values() if u is not None]
        own = set(Contact.objects.owned_by(self.owner).filter(pk__in=sources).values_list("pk", flat=True)
                  ) if sources else set()
        self.identified = {key for key, source in given.items() if source is not None}
        targets = {}
        for p in self.valid:
            source = given[id(p)]
            if source is not None:
                targets[id(p)] = source if source in own else derived_id(self.owner.pk, "contact", str(source))
            else:
                targets[id(p)] = derived_id(self.owner.pk, "row", self.fingerprints[id(p)])
        return targets

    def write(self) -> BatchResult:
        targets = self._targets()
        made = set(Contact.objects.owned_by(self.owner).filter(pk__in=list(targets.values()))
                   .values_list("pk", flat=True))
        digests = {id(p): p.digests() for p in self.valid}
        self.existing = self._existing({d for ds in digests.values() for d in ds})
        snapshots = self._snapshots(made | {c for ids in self.existing.values() for c in ids})
        by_target: dict[uuid.UUID, Prepared] = {}
        pending: dict[str, list[Prepared]] = {}
        new: list[Prepared] = []
        for p in self.valid:
            target = targets[id(p)]
            name = (p.contact.first_name, p.contact.last_name)
            if target in made:  # this very row (or this contact of our export) came in before
                self._update(snapshots, target, p)
                continue
            if target in by_target:  # the same row earlier in this batch
                self._fold_twin(by_target[target], p, new, pending)
                continue
            if id(p) in self.identified:  # a contact of our export is that contact, never another one
                self._add(p, target, by_target, new, pending, digests[id(p)])
                continue
            match = next((c for d in digests[id(p)] for c in self.existing.get(d, ())
                          if c in snapshots and same_name(name, (snapshots[c].first_name, snapshots[c].last_name))),
                         None)
            if match is not None:
                self._update(snapshots, match, p)
                continue
            twin = next((q for d in digests[id(p)] for q in pending.get(d, ())
                         if same_name(name, (q.contact.first_name, q.contact.last_name))), None)
            if twin is not None:
                self._fold_twin(twin, p, new, pending)
                continue
            self._add(p, target, by_target, new, pending, digests[id(p)])
        self._create(new)
        return self.result

    @staticmethod
    def _add(p: Prepared, target, by_target: dict, new: list, pending: dict, digests: list[str]) -> None:
        p.contact.pk = target
        by_target[target] = p
        new.append(p)
        for d in digests:
            pending.setdefault(d, []).append(p)

    def _fold_twin(self, twin: Prepared, p: Prepared, new: list[Prepared], pending: dict[str, list[Prepared]]):
        merged = self._merge(twin, p)
        if merged is None:
            return
        new[next(i for i, q in enumerate(new) if q is twin)] = merged
        for items in pending.values():
            for i, q in enumerate(items):
                if q is twin:
                    items[i] = merged
        for d in merged.digests():
            if merged not in pending.setdefault(d, []):
                pending[d].append(merged)

    def _existing(self, digests: set[str]) -> dict[str, list]:
        """digest -> ids of the owner's contacts holding it (find_duplicates, for many rows at once)."""
        found: dict[str, list] = {}
        wanted = sorted(digests)
        for start in range(0, len(wanted), 900):
            query = ContactLookup.objects.owned_by(self.owner).filter(
                kind__in=DUPLICATE_KINDS, digest__in=wanted[start:start + 900])
            for digest, contact_id in query.order_by("contact__created_at").values_list("digest", "contact_id"):
                if contact_id not in found.setdefault(digest, []):
                    found[digest].append(contact_id)
        return found

    def _snapshots(self, ids: set) -> dict[Any, _Snapshot]:
        if not ids:
            return {}
        contacts = Contact.objects.owned_by(self.owner).filter(pk__in=ids).prefetch_related("tags")
        return {c.pk: _Snapshot.of(c) for c in contacts}

    def _update(self, snapshots: dict[Any, _Snapshot], contact_id, p: Prepared) -> None:
        """Fills in an existing contact through contact_update (and note_create), in a savepoint."""
        snap = snapshots[contact_id]
        data = _fill(snap, p)
        if p.notes and snap.notes is None:
            snap.notes = {n.body for n in Note.objects.owned_by(self.owner).filter(contact_id=contact_id)}
        notes = [n for n in p.notes if n not in (snap.notes or set())]
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                if _changes(data):
                    contact = contact_update(owner=self.owner, contact_id=contact_id, data=data)
                for body in notes:
                    note_create(owner=self.owner, contact_id=contact_id, body=body)
        except ValidationError as exc:
            self.error(p.number, describe(exc), p.display)
            self.result.skipped += 1
            return
        except Contact.DoesNotExist:  # deleted by the seller while the import ran
            self.error(p.number, gettext("the contact this row matched was deleted meanwhile, so the row was skipped."))
            self.result.skipped += 1
            return
        if _changes(data):
            snapshots[contact_id] = replace(_Snapshot.of(contact), notes=snap.notes)
            for d in p.digests():  # later rows holding the new email or phone find this contact too
                if contact_id not in self.existing.setdefault(d, []):
                    self.existing[d].append(contact_id)
        snapshots[contact_id].notes = (snap.notes or set()) | set(notes)
        if _changes(data) or notes:
            self.result.updated += 1
        else:
            self.result.skipped += 1  # nothing in the row that the contact doesn't already hold

    def _merge(self, twin: Prepared, p: Prepared) -> Prepared | None:
        """A row for a contact made earlier in this batch: fill that one in (nothing is written yet)."""
        c = twin.contact
        snap = _Snapshot.of(c, tags=list(twin.tags))
        fill = _fill(snap, p)
        notes = [n for n in p.notes if n not in twin.notes]
        if not _changes(fill) and not notes:
            self.result.skipped += 1
            return None
        merged = ContactData(**{f: getattr(fill, f) if getattr(fill, f) is not UNSET else getattr(twin.data, f)
                                for f in ContactData.__dataclass_fields__})
        result = _validated(self.run.ctx, twin.number, merged, twin.notes + notes, twin.warnings, [])
        result.contact.pk = c.pk
        result.contact.created_at = c.created_at
        result.source_id = twin.source_id
        self.result.updated += 1
        return result

    def _create(self, new: list[Prepared]) -> None:
        if not new:
            return
        room = contacts_room(self.owner)
        if room is not None and len(new) > room:  # the plan's limit: stop adding, say so once per batch
            held, new = new[room:], new[:room]
            self.result.skipped += len(held)
            self.error(held[0].number, f"the plan's limit of {plans.contact_limit(self.owner)} contacts is reached: "
                       f"this row and {len(held) - 1} more new contacts of this batch were not added (rows updating "
                       "contacts you have still were). Upgrade in Settings → Billing, then import the file again: "
                       "the contacts already in are found again, not doubled.")
            if not new:
                return
        try:
            with transaction.atomic():
                self._bulk_create(new)
            self.result.created += len(new)
        except DatabaseError:
            # Something in the batch upset the database: write the rows one by one through the service,
            # each in its own savepoint, so that only the culprit is refused.
            logger.warning("import %s: bulk insert refused, writing %s rows one by one", self.run.job.pk, len(new))
            self.run.forget_tags()
            for p in new:
                try:
                    with transaction.atomic():
                        contact = contact_create(owner=self.owner, data=p.data, contact_id=p.contact.pk)
                        if p.times:
                            Contact.objects.filter(pk=contact.pk).update(**p.times)
                        for body in p.notes:
                            note_create(owner=self.owner, contact=contact, body=body)
                except (ValidationError, DatabaseError) as exc:
                    self.error(p.number, describe(exc) if isinstance(exc, ValidationError)
                               else "the row could not be saved.", p.display)
                    self.result.skipped += 1
                else:
                    self.result.created += 1

    def _bulk_create(self, new: list[Prepared]) -> None:
        """contact_create_many: what contact_create writes, for the whole batch at once."""
        archive = self.run.plan.get("archive", False)
        for p in new:
            for name, value in p.times.items():  # our export's own times come back with the contact
                setattr(p.contact, name, value)
        # A customer's reorder reminder is made as contact_create makes it, except from our ZIP, whose
        # followups.csv brings the reminders back themselves.
        contact_create_many(owner=self.owner, contacts=[p.contact for p in new],
                                     tags=[p.tags for p in new], notes=[p.notes for p in new],
                                     reminders=not archive, known_tags=self.run.known_tags(),
                                     indexes=[p.index for p in new])
