"""Export everything, one tap: a ZIP of UTF-8 CSV files streamed row by row (memory stays flat), from one
consistent snapshot of the database; plus vCard and JSON variants. Formula-looking cells are neutralised
with a leading apostrophe, which our own import takes off again."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import time
import uuid
import zipfile
from collections.abc import Iterator
from datetime import date, datetime

import vobject
from django.db import connection, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from lte.crm.birthdays import birthday_text
from lte.crm.models import Contact, FollowUp, Message, Note
from lte.lib.spreadsheet import FORMULA_START, neutralise
from lte.privacy import registry
from lte.vault.context import acting_for
from lte.vault.fields import raw_opener

logger = logging.getLogger("lte.privacy.exports")

FLUSH_BYTES = 64 * 1024
CHUNK_ROWS = 2000

# The export's README.txt, in the account's language (gettext_noop: translated when the ZIP is written).
README = gettext_noop("""LeadTrackEngine export
======================

Everything we hold about you and your business, exported on %(when)s (UTC).
Every file is UTF-8 CSV (with a byte-order mark, for Excel) with a header row. Times are ISO 8601 in UTC;
dates are YYYY-MM-DD, and a birthday without a year is --MM-DD.
Several values in one cell (emails, phones, websites, tags) are separated by " | "; their labels (mobile,
work…) stand in the same order in the *_labels column. Addresses beyond the first are JSON in
other_addresses.

A cell that would start with = + - @ ' or a tab or line break starts with an apostrophe (') so that a
spreadsheet shows it as text instead of running it as a formula (phone numbers such as +13125550100 are
written as they are: they are not formulas). LeadTrackEngine's import removes that
apostrophe again: importing contacts.csv (with notes.csv, messages.csv and followups.csv next to it, or
this whole ZIP) into an empty account gives back the same data.

Files
-----
%(files)s
""")


class _Sink(io.RawIOBase):
    """Collects what zipfile writes so the generator can hand it out in pieces (unseekable: zipfile streams)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._size = 0
        self._pos = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._size += len(chunk)
        self._pos += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._pos

    def pending(self) -> int:
        return self._size

    def drain(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        self._size = 0
        return data


@contextlib.contextmanager
def snapshot() -> Iterator[None]:
    """One consistent view of the data for the whole export, without blocking writers."""
    if connection.in_atomic_block:  # already inside a transaction (the test suite): that is the snapshot
        yield
    elif connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")  # WAL: readers see one snapshot and never block writers
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield


def exported_entries():
    return [(model, entry) for model, entry in registry.entries() if entry.export_file]


# --- Fast paths for the big tables: one query each in its index's order, the database's own values ---------
#
# Each reads its rows as the database gives them (no model instances, and none of Django's converters: a UUID
# and a time parsed only to be printed again, per cell), in chunks (a server-side cursor on PostgreSQL), and
# opens each sealed column through one opener per column (the read check and the owner's keys once).


def _rows(query) -> Iterator[tuple]:
    sql, params = query.query.sql_with_params()
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield from rows


def _id_text(value) -> str:
    """A UUID column's cell: SQLite holds its 32 hex digits, PostgreSQL gives a UUID."""
    if value.__class__ is str and len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(value) if value is not None else ""


def _time_text(value) -> str | None:
    """A time column's cell, as an aware datetime's isoformat() writes it: Django's SQLite connection gives a
    naive datetime in UTC (its text, without a declared type), PostgreSQL an aware one. None stays None (an
    empty cell; null in the JSON export)."""
    if value is None:
        return None
    if value.__class__ is str:
        return value.replace(" ", "T", 1) + "+00:00"
    return value.isoformat() + "+00:00" if value.tzinfo is None else value.isoformat()


def _date_text(value) -> str | None:
    if value is None:
        return None
    return value if value.__class__ is str else value.isoformat()


def _opener(model, name: str, user_id):
    return raw_opener(model._meta.get_field(name), user_id if isinstance(user_id, uuid.UUID) else
                      uuid.UUID(str(user_id)))


def _contact_rows(user_id) -> Iterator[list]:
    """contacts.csv, as lte.privacy.declarations declares its columns (a test holds the two to the same rows)."""
    tags: dict = {}
    for contact_id, name in _rows(Contact.tags.through.objects.filter(contact__owner_id=user_id)
                                  .values_list("contact_id", "tag__name")):
        tags.setdefault(contact_id, []).append(name)
    reach, address, birthday, social, details = (_opener(Contact, f, user_id) for f in (
        "reach", "address", "birthday", "social", "details"))
    query = (Contact.objects.filter(owner_id=user_id).order_by("sort_name", "id")
             .values_list("id", "first_name", "last_name", "company", "reach", "address", "birthday",
                          "source", "stage__slug", "customer_since", "reorder_every_days", "stay_in_touch_days",
                          "social", "details", "last_contacted_at", "created_at", "updated_at"))
    for (pk, first, last, company, reach_t, address_t, birthday_t, source, stage, since, every, touch, social_t,
         details_t, last_c, created, updated) in _rows(query):
        points = reach(pk, reach_t) or {"emails": [], "phones": []}
        soc = social(pk, social_t) or {}
        more = details(pk, details_t) or {}
        emails, phones = points["emails"], points["phones"]
        urls = more.get("urls", [])
        place = address(pk, address_t) or ""
        yield [_id_text(pk), first, last, company, more.get("job_title", ""), " | ".join(emails),
               _labels(more.get("email_labels", []), len(emails)), " | ".join(phones),
               _labels(more.get("phone_labels", []), len(phones)), place,
               more.get("address_label", "") if place else "",
               json.dumps(more["addresses"], ensure_ascii=False) if more.get("addresses") else "",
               " | ".join(u["value"] for u in urls), _labels([u["label"] for u in urls], len(urls)),
               birthday_text(birthday(pk, birthday_t)) or "", source, stage or "",
               " | ".join(sorted(tags.get(pk, []))), _date_text(since), every or "", touch or "",
               " | ".join(f"{k}:{v}" for k, v in sorted(soc.items())), _time_text(last_c), _time_text(created),
               _time_text(updated)]


def _labels(labels: list[str], count: int) -> str:
    labels = (list(labels) + [""] * count)[:count]
    return " | ".join(labels) if any(labels) else ""


def _note_rows(user_id) -> Iterator[list]:
    body = _opener(Note, "body", user_id)
    query = (Note.objects.filter(owner_id=user_id).order_by("created_at", "id")
             .values_list("id", "contact_id", "body", "created_at", "updated_at"))
    for pk, contact, token, created, updated in _rows(query):
        yield [_id_text(pk), _id_text(contact), body(pk, token), _time_text(created), _time_text(updated)]


def _message_rows(user_id) -> Iterator[list]:
    body = _opener(Message, "body", user_id)
    query = (Message.objects.filter(owner_id=user_id).order_by("sent_at", "id")
             .values_list("id", "contact_id", "channel", "direction", "body", "sent_at"))
    for pk, contact, channel, direction, token, sent in _rows(query):
        yield [_id_text(pk), _id_text(contact), channel, direction, body(pk, token), _time_text(sent)]


def _followup_rows(user_id) -> Iterator[list]:
    title = _opener(FollowUp, "title", user_id)
    query = (FollowUp.objects.filter(owner_id=user_id).order_by("due_at", "id")
             .values_list("id", "contact_id", "title", "kind", "due_at", "done_at", "created_at"))
    for pk, contact, token, kind, due, done, created in _rows(query):
        yield [_id_text(pk), _id_text(contact), title(pk, token), kind, _time_text(due), _time_text(done),
               _time_text(created)]


FAST_ROWS = {"crm.contact": _contact_rows, "crm.note": _note_rows, "crm.message": _message_rows,
             "crm.followup": _followup_rows}


def entry_rows(model, entry, user_id) -> Iterator[list]:
    """The export rows of one registered model, through its fast path when it has one."""
    fast = FAST_ROWS.get(model._meta.label_lower)
    if fast is not None:
        yield from fast(user_id)
        return
    for row in registry.queryset(model, entry, user_id).iterator(chunk_size=CHUNK_ROWS):
        yield [get(row) for _, get in entry.columns]


def logged_stream(chunks: Iterator[bytes], fmt: str) -> Iterator[bytes]:
    """An export's bytes as they go out, and one log line when it ends: sent whole, or cut (the client left, or
    the server stopped before it finished: a stop lets a download run on for gunicorn's 60 s graceful timeout;
    past that the worker is killed, and the log shows the start without an end). Sizes only, never contents."""
    started, sent, whole = time.monotonic(), 0, False
    logger.info("export %s started", fmt)
    try:
        for chunk in chunks:
            sent += len(chunk)
            yield chunk
        whole = True
    finally:
        seconds = time.monotonic() - started
        if whole:
            logger.info("export %s sent: %d bytes in %.1f s", fmt, sent, seconds)
        else:
            logger.warning("export %s cut after %d bytes and %.1f s: the download did not finish", fmt, sent,
                           seconds)


def _cell(value) -> str:
    """neutralise(value), its common cases first: text that can't start a formula as it is."""
    if value.__class__ is str and (not value or value[0] not in FORMULA_START):
        return value
    return neutralise(value)


def zip_stream(user) -> Iterator[bytes]:
    """Yields the export ZIP piece by piece (its README in the account's language: the download goes on after
    the request's language is gone)."""
    sink = _Sink()
    with (acting_for(user.pk), snapshot(), translation.override(user.language or "en"),
          zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive):
        files = []
        for model, entry in exported_entries():
            files.append(f"- {entry.export_file}: {gettext(entry.label)}")
            info = zipfile.ZipInfo(entry.export_file, date_time=timezone.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as raw:
                raw.write(codecs.BOM_UTF8)  # so that Excel reads the file as UTF-8 (accents, emoji)
                # The CSV goes through a text buffer, encoded and compressed FLUSH_BYTES at a time (per row,
                # the encoder and zlib measured a sixth of an export).
                text = io.StringIO()
                writer = csv.writer(text, lineterminator="\r\n")
                writer.writerow([name for name, _ in entry.columns])
                for values in entry_rows(model, entry, user.pk):
                    writer.writerow([_cell(v) for v in values])
                    if text.tell() >= FLUSH_BYTES:
                        raw.write(text.getvalue().encode("utf-8"))
                        text.seek(0)
                        text.truncate()
                        if sink.pending() >= FLUSH_BYTES:
                            yield sink.drain()
                raw.write(text.getvalue().encode("utf-8"))
            if sink.pending():
                yield sink.drain()
        archive.writestr("README.txt", gettext(README) % {"when": timezone.now().isoformat(timespec="seconds"),
                                                          "files": "\n".join(files)})
    yield sink.drain()


def vcard_stream(user) -> Iterator[bytes]:
    """Every contact as a vCard 3.0: names, company, title, labelled phones and emails, every address,
    websites, birthday (--MM-DD without a year), tags and notes, which our import reads back to the same."""
    with acting_for(user.pk), snapshot():
        notes = Prefetch("notes", queryset=Note.objects.owned_by(user).order_by("created_at", "id"))
        query = Contact.objects.owned_by(user).prefetch_related("tags", notes).order_by("sort_name", "id")
        for contact in query.iterator(chunk_size=CHUNK_ROWS):
            card = vobject.vCard()
            card.add("n").value = vobject.vcard.Name(family=contact.last_name, given=contact.first_name)
            card.add("fn").value = f"{contact.first_name} {contact.last_name}".strip() or contact.company or (
                (contact.emails or contact.phones or ["?"])[0])
            if contact.company:
                card.add("org").value = [contact.company]
            if contact.job_title:
                card.add("title").value = contact.job_title
            for email, label in zip(contact.emails, contact.email_labels, strict=True):
                _typed(card.add("email"), label).value = email
            for phone, label in zip(contact.phones, contact.phone_labels, strict=True):
                _typed(card.add("tel"), label).value = phone
            for place in contact.addresses:
                _typed(card.add("adr"), place["label"]).value = vobject.vcard.Address(street=place["value"])
            for url in contact.urls:
                _typed(card.add("url"), url["label"]).value = url["value"]
            if contact.birthday:
                card.add("bday").value = birthday_text(contact.birthday)
            tags = [t.name for t in contact.tags.all()]
            if tags:
                card.add("categories").value = tags
            for note in contact.notes.all():
                card.add("note").value = note.body
            yield card.serialize().encode("utf-8")


def _typed(line, label: str):
    if label:
        line.type_param = label
    return line


def json_stream(user) -> Iterator[bytes]:
    """The same records as the ZIP, as one JSON object of arrays, for developers."""
    with acting_for(user.pk), snapshot():
        yield b"{"
        for index, (model, entry) in enumerate(exported_entries()):
            name = entry.export_file.removesuffix(".csv")
            yield (b"," if index else b"") + json.dumps(name).encode() + b":["
            columns = [col for col, _ in entry.columns]
            for position, values in enumerate(entry_rows(model, entry, user.pk)):
                record = {col: _jsonable(v) for col, v in zip(columns, values, strict=True)}
                yield (b"," if position else b"") + json.dumps(record, ensure_ascii=False).encode("utf-8")
            yield b"]"
        yield b"}"


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
