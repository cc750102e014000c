"""Our own export's ZIP, imported back whole: stages, contacts, notes, messages, follow-ups (open and done), orders,
pipeline history, templates and tags, with their times.

The ZIP is read in place from the sealed upload (upload.open_seekable: nothing is unpacked to disk). Its files
are read in an order where everything a row points to comes first (stages, then contacts, then what belongs
to them). contacts.csv goes through the same rows and writer as any CSV in our layout; every other file is a
stream of ArchiveRow, written by ArchiveBatch.

Every record keeps its id when it is this account's own (the same account importing its export again) and
otherwise gets one derived from it (writer.derived_id), so importing the same ZIP twice adds nothing and a
resumed job carries on without doubling anything. A ZIP that is not our export is refused with a clear message.
"""

from __future__ import annotations

import contextlib
import io
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import overload

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from lte.crm.imports import layouts, limits
from lte.crm.imports.readers import RawRow, _RowError, csv_records, extract_cells
from lte.crm.imports.upload import open_seekable
from lte.crm.imports.writer import BatchResult, derived_id, parse_uuid
from lte.crm.models import Contact, FollowUp, Message, MessageTemplate, Note, Order, Stage, StageChange, Tag
from lte.crm.services.followups import MAX_TITLE
from lte.crm.services.messages import MAX_MESSAGE
from lte.crm.services.normalise import clean_text
from lte.crm.services.notes import MAX_NOTE
from lte.crm.services.orders import MAX_PRODUCTS, clean_amount, clean_currency
from lte.crm.services.stages import clean_rule_days, is_default_name, stages_of
from lte.crm.services.tags import TAG_MAX
from lte.lib.spreadsheet import unneutralise

README = "README.txt"
CONTACTS = "contacts.csv"
# What comes back, in an order where what a row points to is already there.
FILES = ("stages.csv", CONTACTS, "notes.csv", "messages.csv", "followups.csv", "orders.csv", "stage_changes.csv",
         "templates.csv", "tags.csv")
MAX_ENTRIES = 1000
MAX_MEMBER_BYTES = 500 * 1024 * 1024  # uncompressed, per file
NOT_OURS = ("This ZIP is not a LeadTrackEngine export. To import contacts from another app, unzip it and upload "
            "the CSV or vCard (.vcf) file inside.")
DAMAGED = "This ZIP file is damaged or cut short: download the export again."
SPREADSHEET = "This is a spreadsheet or document, not a CSV: save it as CSV (comma-separated values) and upload that."
_MODELS = {"notes.csv": Note, "messages.csv": Message, "followups.csv": FollowUp, "orders.csv": Order,
           "stage_changes.csv": StageChange, "templates.csv": MessageTemplate}


@dataclass(slots=True)
class ArchiveRow:
    """One record of a file of the export other than contacts.csv."""

    file: str
    number: int  # the CSV record, header = 1
    cells: dict[str, str]
    error: str | None = None  # the record could not be read (readers.csv_records says why)


def is_zip(head: bytes) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


@contextlib.contextmanager
def open_archive(path: Path, key: bytes) -> Iterator[zipfile.ZipFile]:
    with open_seekable(path, key) as raw:
        try:
            archive = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise ValidationError({"file": DAMAGED}) from None
        with archive:
            yield archive


def _members(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The files we read, by name, checked: only the export's own names at the top level, none too big."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise ValidationError({"file": NOT_OURS})
    if any(i.filename.startswith(("xl/", "word/", "ppt/")) or i.filename in ("content.xml", "mimetype")
           for i in infos[:50]):
        raise ValidationError({"file": SPREADSHEET})
    found = {info.filename: info for info in infos if info.filename in (*FILES, README) and not info.is_dir()}
    if CONTACTS not in found or README not in found:
        raise ValidationError({"file": NOT_OURS})
    for info in found.values():
        if info.file_size > MAX_MEMBER_BYTES or info.flag_bits & 0x1:  # too big, or encrypted
            raise ValidationError({"file": NOT_OURS})
    return found


def _records(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """readers.csv_records over one file of the ZIP, read in place."""
    try:
        with archive.open(info) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
            yield from csv_records(text, ",")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        raise _Damaged(info.filename) from None


class _Damaged(Exception):
    pass


def scan_archive(path: Path, key: bytes) -> dict:
    """The plan of our export's ZIP: its files and row counts, and contacts.csv's columns."""
    with open_archive(path, key) as archive:
        members = _members(archive)
        try:
            readme = archive.read(members[README])[:200].decode("utf-8", "replace")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            raise ValidationError({"file": DAMAGED}) from None
        if not readme.startswith("LeadTrackEngine export"):
            raise ValidationError({"file": NOT_OURS})
        files, header, total = [], [], 0
        for name in FILES:
            if name not in members:
                continue
            count = 0
            try:
                for count, (_number, cells, _error) in enumerate(_records(archive, members[name])):
                    if count == 0 and name == CONTACTS and cells is not None:
                        header = cells
                    if total + count > limits.MAX_ROWS + 1:
                        raise ValidationError({"file": f"The export holds more than {limits.MAX_ROWS:,} records: "
                                                       "import it in parts (contacts.csv first)."})
            except _Damaged:
                raise ValidationError({"file": DAMAGED}) from None
            files.append([name, count])  # records after the header
            total += count
    if layouts.detect_layout(header) != "lte":
        raise ValidationError({"file": NOT_OURS})
    return {"format": "zip", "encoding": "utf-8", "layout": "lte", "header": True, "width": len(header),
            "spec": layouts.spec_for("lte", header), "columns": {}, "files": files, "records": total,
            "archive": True}


def archive_rows(path: Path, key: bytes, plan: dict) -> Iterator[RawRow | ArchiveRow]:
    """Every record of the export, file after file: contacts.csv as contact rows, the rest as ArchiveRow."""
    with open_archive(path, key) as archive:
        members = _members(archive)
        for name, _count in plan["files"]:
            header: list[str] = []
            try:
                for number, cells, error in _records(archive, members[name]):
                    if not header and cells is not None:
                        header = [layouts.norm(h) for h in cells]
                        continue
                    if name == CONTACTS:
                        try:
                            yield (RawRow(number, None, f"contacts.csv: {error}") if cells is None
                                   else RawRow(number, extract_cells(cells, plan)))
                        except _RowError as exc:
                            yield RawRow(number, None, f"contacts.csv: {exc}")
                    elif cells is None:
                        yield ArchiveRow(name, number, {}, error)
                    else:
                        yield ArchiveRow(name, number,
                                         {h: unneutralise(c) for h, c in zip(header, cells, strict=False)})
            except _Damaged:
                raise limits.ImportFileError(f"{name} in the ZIP is damaged; what came before it was imported."
                                             ) from None


# --- Writing the records that belong to contacts ------------------------------------------------------------


@overload
def _moment(text: str, fallback: datetime) -> datetime: ...
@overload
def _moment(text: str, fallback: None = None) -> datetime | None: ...
def _moment(text: str, fallback: datetime | None = None) -> datetime | None:
    if not text:
        return fallback
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(gettext("“%(value)s” is not a date and time.") % {"value": text[:40]}) from None
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


class ArchiveBatch:
    """A batch of ArchiveRow of one file, written in the job's transaction (as writer._Batch)."""

    def __init__(self, run, rows: list[ArchiveRow]) -> None:
        self.owner = run.ctx.owner
        self.ctx = run.ctx
        self.rows = rows
        self.result = BatchResult()

    def prepare(self) -> ArchiveBatch:
        return self

    def error(self, row: ArchiveRow, message: str) -> None:
        self.result.errors.append({"row": row.number, "error": f"{row.file}: {message}"})
        self.result.skipped += 1

    def _contacts(self) -> dict[str, uuid.UUID]:
        """Each contact_id of the batch -> the contact it is in this account (its own, or the derived one)."""
        given = {r.cells.get("contact_id", ""): parse_uuid(r.cells.get("contact_id", "")) for r in self.rows}
        wanted = {u for u in given.values() if u is not None}
        derived = {u: derived_id(self.owner.pk, "contact", str(u)) for u in wanted}
        present = set(Contact.objects.owned_by(self.owner).filter(pk__in=wanted | set(derived.values()))
                      .values_list("pk", flat=True))
        found = {}
        for text, u in given.items():
            if u is not None and u in present:
                found[text] = u
            elif u is not None and derived[u] in present:
                found[text] = derived[u]
        return found

    def _ids(self, model, kind: str) -> tuple[dict[int, uuid.UUID], set]:
        """Each row's record id (its own in this account, or derived) and those already there."""
        own_or_derived = {}
        for r in self.rows:
            u = parse_uuid(r.cells.get("id", ""))
            own_or_derived[id(r)] = (u, derived_id(self.owner.pk, kind, str(u) if u else f"{r.file}:{r.cells}"))
        candidates = {x for pair in own_or_derived.values() for x in pair if x is not None}
        present = set(model.objects.owned_by(self.owner).filter(pk__in=candidates).values_list("pk", flat=True))
        ids: dict[int, uuid.UUID] = {}
        for key, (own, derived) in own_or_derived.items():
            ids[key] = own if own is not None and own in present else derived
        return ids, present

    def write(self) -> BatchResult:
        for row in self.rows:
            if row.error is not None:
                self.error(row, row.error)
        self.rows = [r for r in self.rows if r.error is None]
        if not self.rows:
            return self.result
        name = self.rows[0].file
        if name == "stages.csv":
            self._stages()
        elif name == "tags.csv":
            self._tags()
        else:
            self._records(name)
        return self.result

    def _stages(self) -> None:
        """Stages the account lacks are added; one still called by its default name takes the export's."""
        existing = {s.slug: s for s in stages_of(self.owner)}
        for row in self.rows:
            slug, name = row.cells.get("slug", "").strip(), row.cells.get("name", "").strip()
            try:
                position = int(row.cells.get("position") or 0)
                stage_name = clean_text(name, field="name", max_length=40, required=True)
                if not slug or len(slug) > 40 or not 0 <= position <= 1000:
                    raise ValidationError(gettext("not a stage."))
            except (ValueError, ValidationError):
                self.error(row, gettext("this stage could not be read."))
                continue
            try:
                rule = clean_rule_days(row.cells.get("followup_days", "").strip())
            except ValidationError:
                rule = None
            stage = existing.get(slug)
            if stage is None:
                existing[slug] = Stage.objects.create(owner=self.owner, slug=slug, name=stage_name, position=position,
                                                      followup_days=rule)
                self.result.created += 1
                continue
            if rule and not stage.followup_days:  # a rule the account lacks comes back
                stage.followup_days = rule
                stage.save(update_fields=["followup_days"])
            if is_default_name(slug, stage.name) and (stage.name, stage.position) != (stage_name, position):
                stage.name, stage.position = stage_name, position
                stage.save(update_fields=["name", "position"])
                self.result.updated += 1

    def _tags(self) -> None:
        names = [r.cells.get("name", "").strip()[:TAG_MAX] for r in self.rows]
        known = {t.casefold() for t in Tag.objects.owned_by(self.owner).values_list("name", flat=True)}
        missing = list(dict.fromkeys(n for n in names if n and "\x00" not in n and n.casefold() not in known))
        Tag.objects.bulk_create([Tag(owner=self.owner, name=n) for n in missing], ignore_conflicts=True)
        self.result.created += len(missing)  # a tag the account has already is no news

    def _records(self, name: str) -> None:
        model = _MODELS[name]
        kind = name.removesuffix(".csv")
        ids, present = self._ids(model, kind)
        contacts = self._contacts() if name != "templates.csv" else {}
        # A contact has one open stay-in-touch follow-up at most: one it has already stands for the export's.
        in_touch = set(FollowUp.objects.owned_by(self.owner).filter(
            kind=FollowUp.Kind.TOUCH, done_at__isnull=True, contact_id__in=set(contacts.values()))
            .values_list("contact_id", flat=True)) if name == "followups.csv" else set()
        new = []
        for row in self.rows:
            record_id = ids[id(row)]
            if record_id in present:
                self.result.skipped += 1  # already in the account
                continue
            contact_id = contacts.get(row.cells.get("contact_id", ""))
            if name != "templates.csv" and contact_id is None:
                self.error(row, gettext("its contact is not in this import, so it was left out."))
                continue
            if name == "followups.csv" and row.cells.get("kind") == FollowUp.Kind.TOUCH \
                    and not row.cells.get("done_at"):
                if contact_id in in_touch:
                    self.result.skipped += 1
                    continue
                in_touch.add(contact_id)
            try:
                new.append(self._build(name, row, record_id, contact_id))
            except ValidationError as exc:
                self.error(row, " ".join(exc.messages))
                continue
            present.add(record_id)
        model.objects.bulk_create(new)
        self.result.created += len(new)
        touched = {r.contact_id for r in new if name in ("notes.csv", "messages.csv") and hasattr(r, "contact_id")}
        if touched and name == "messages.csv":
            for contact in Contact.objects.owned_by(self.owner).filter(pk__in=touched):
                last = Message.objects.owned_by(self.owner).filter(contact=contact, direction="out") \
                    .order_by("-sent_at").values_list("sent_at", flat=True).first()
                if last and (contact.last_contacted_at is None or last > contact.last_contacted_at):
                    Contact.objects.filter(pk=contact.pk).update(last_contacted_at=last)

    def _build(self, name: str, row: ArchiveRow, record_id: uuid.UUID, contact_id):
        c = row.cells
        owner = self.owner
        now = timezone.now()
        if name == "notes.csv":
            created = _moment(c.get("created_at", ""), now)
            return Note(pk=record_id, owner=owner, contact_id=contact_id, created_at=created,
                        updated_at=_moment(c.get("updated_at", ""), created),
                        body=clean_text(c.get("body", ""), field="body", max_length=MAX_NOTE,
                                                 required=True))
        if name == "messages.csv":
            channel = c.get("channel", "")
            if channel not in Message.Channel.values:
                raise ValidationError(gettext("“%(value)s” is not a channel.") % {"value": channel[:20]})
            sent = _moment(c.get("sent_at", ""), now)
            direction = c.get("direction", "")
            return Message(pk=record_id, owner=owner, contact_id=contact_id, channel=channel,
                           direction=direction if direction in Message.Direction.values else "out",
                           body=clean_text(c.get("body", ""), field="body", max_length=MAX_MESSAGE),
                           sent_at=sent, created_at=sent)
        if name == "followups.csv":
            due = _moment(c.get("due_at", ""))
            if due is None:
                raise ValidationError(gettext("it has no due date."))
            kind = c.get("kind", "")
            return FollowUp(pk=record_id, owner=owner, contact_id=contact_id,
                            title=clean_text(c.get("title", ""), field="title", max_length=MAX_TITLE,
                                                      required=True),
                            kind=kind if kind in FollowUp.Kind.values else FollowUp.Kind.FOLLOW_UP,
                            due_at=due, done_at=_moment(c.get("done_at", "")),
                            created_at=_moment(c.get("created_at", ""), now))
        if name == "orders.csv":
            try:
                ordered_on = date.fromisoformat(c.get("ordered_on", "").strip())
            except ValueError:
                raise ValidationError("it has no order date (YYYY-MM-DD).") from None
            amount = clean_amount(c.get("amount", ""))
            return Order(pk=record_id, owner=owner, contact_id=contact_id, ordered_on=ordered_on,
                         products=clean_text(c.get("products", ""), field="products", max_length=MAX_PRODUCTS),
                         amount=amount, currency=clean_currency(c.get("currency", ""), owner=owner, amount=amount),
                         created_at=_moment(c.get("created_at", ""), now))
        if name == "stage_changes.csv":
            return StageChange(pk=record_id, owner=owner, contact_id=contact_id,
                               from_name=c.get("from", "")[:40], to_name=c.get("to", "")[:40] or "?",
                               at=_moment(c.get("at", ""), now))
        channel = c.get("channel", "") if c.get("channel") in Message.Channel.values else Message.Channel.SMS
        try:
            position = min(max(int(c.get("position") or 0), 0), 32767)
        except ValueError:
            position = 0
        return MessageTemplate(pk=record_id, owner=owner, channel=channel, position=position,
                               name=clean_text(c.get("name", ""), field="name", max_length=80, required=True),
                               subject=clean_text(c.get("subject", ""), field="subject", max_length=200),
                               body=clean_text(c.get("body", ""), field="body", max_length=5000,
                                                        required=True),
                               created_at=_moment(c.get("created_at", ""), now))
