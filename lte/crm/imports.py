"""Contact import: CSV (our own export, Google Contacts, any CSV with a column mapping) and vCard 3.0/4.0.

The upload never touches the disk in plaintext. The web page and the API install EncryptingUploadHandler,
which seals each chunk as it arrives into `DATA_DIR/imports/` under a fresh random key (the chunk format
of lte.backups.stream, keyed directly); any other upload is sealed the same way by import_start(). The key
is kept only in ImportJob.file_key, itself sealed under the owner's key, and both the file and the key go
when the job ends, done or failed.

import_start() scans the file once (format, text encoding, layout, row count), so that an unreadable or
oversized file is refused at once with a 4xx, then queues lte.crm.tasks.import_contacts, which calls
import_run() acting for the owner. import_run() streams the file again and imports it in batches of BATCH
rows, each batch in one transaction together with the job's progress, so a retried or resumed job carries
on exactly where the last committed batch stopped and never creates a contact twice.

Every row is validated by the CRM services' own rules (services._apply: names, emails, phones in E.164,
address, birthday, source), then new contacts are written in bulk exactly as services.contact_create
writes them (same stage default, tokens, blind-indexed lookups, tags); a row matching an existing contact
by email or phone fills it in through services.contact_update, in a savepoint of its own.

Privacy: row contents are never logged. Report entries say what is wrong and quote at most the offending
value, cut to 60 characters; the plan stored with the job holds column positions, never column names.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import logging
import os
import re
import secrets
import struct
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, models, transaction
from django.utils import timezone

from lte.crm import services
from lte.crm.models import (
    NAME_MAX,
    Contact,
    ContactLookup,
    ContactToken,
    FollowUp,
    ImportJob,
    Note,
    Stage,
    Tag,
)
from lte.crm.services import UNSET, ContactData
from lte.crm.text import fold
from lte.vault.crypto import b64d, b64e

logger = logging.getLogger("lte.crm.imports")

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000
MAX_LINE = 1024 * 1024  # characters in one physical line; longer ones are reported, not read
MAX_CARD = 4 * 1024 * 1024  # characters in one vCard once photos are dropped
MAX_REPORTED_ERRORS = 1000
MAX_ACTIVE_JOBS = 3  # unfinished imports per account
MAX_MAPPING_CHARS = 20_000
BATCH = 1000  # rows per transaction: ~0.3 s of the database's write lock at a time
FILE_FIELD = "file"
QUOTE_MAX = 60

FIELDS = ("first_name", "last_name", "name", "emails", "phones", "address", "birthday", "tags", "source", "notes")
FIELD_LABELS = {
    "first_name": "First name", "last_name": "Last name", "name": "Full name (split into first and last)",
    "emails": "Email(s)", "phones": "Phone(s)", "address": "Address", "birthday": "Birthday", "tags": "Tags",
    "source": "Source", "notes": "Notes",
}
MULTI_FIELDS = {"emails", "phones", "tags", "address", "notes", "first_name", "last_name", "name"}
LTE_COLUMNS = ("first_name", "last_name", "emails", "phones", "address", "birthday", "source", "stage", "tags",
               "notes", "customer_since", "reorder_every_days", "social")

ACTIVE = (ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
FINISHED = (ImportJob.Status.DONE, ImportJob.Status.FAILED)


class ImportTooLarge(Exception):
    """The file is over MAX_FILE_BYTES or MAX_ROWS (the API answers 413)."""


class ImportBusy(Exception):
    """Too many imports of this account are unfinished (the API answers 429)."""


class ImportFileError(Exception):
    """The stored file can't be read at all; the job fails with this message."""


class _Superseded(Exception):
    """Another run of the same job moved on (or the job was cancelled): this run stops, changing nothing."""


# --- The encrypted file ----------------------------------------------------------------------------------
#   b"LTEI1\n" | header length (4 bytes) | header (JSON) | chunks…,  chunk = length (4 bytes) | ciphertext+tag
# As in lte.backups.stream: chunk i is sealed with nonce i and associated data binding the header and whether
# it is the last chunk, so a swapped, dropped or truncated chunk is detected. The key is random per file.

MAGIC = b"LTEI1\n"
CHUNK = 256 * 1024
SUFFIX = ".lteimport"
PART_SUFFIX = ".part"
_LEN = struct.Struct(">I")


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def job_file(job_id) -> Path:
    return imports_dir() / f"{job_id}{SUFFIX}"


def _nonce(index: int) -> bytes:
    return b"\0\0\0\0" + index.to_bytes(8, "big")


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\1" if final else b"\0")


class SealedWriter:
    """Writes a file as AES-256-GCM chunks under `key`, holding at most one chunk of plaintext in memory."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.size = 0
        self._aead = AESGCM(key)
        header = json.dumps({"v": 1, "chunk": CHUNK}, sort_keys=True).encode()
        self._digest = hashlib.sha256(header).digest()
        self._pending = bytearray()
        self._index = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        self._out.write(MAGIC + _LEN.pack(len(header)) + header)

    @classmethod
    def create(cls) -> tuple[SealedWriter, bytes]:
        key = AESGCM.generate_key(bit_length=256)
        path = imports_dir() / f"upload-{secrets.token_hex(16)}{PART_SUFFIX}"
        return cls(path, key), key

    def _seal(self, plain: bytes, final: bool) -> None:
        assert self._out is not None
        sealed = self._aead.encrypt(_nonce(self._index), plain, _aad(self._digest, self._index, final))
        self._out.write(_LEN.pack(len(sealed)) + sealed)
        self._index += 1

    def write(self, data: bytes) -> None:
        self._pending += data
        self.size += len(data)
        while len(self._pending) > CHUNK:  # strictly more: the final chunk is sealed by close()
            self._seal(bytes(self._pending[:CHUNK]), final=False)
            del self._pending[:CHUNK]

    def close(self) -> None:
        if self._out is None:
            return
        self._seal(bytes(self._pending), final=True)
        self._pending.clear()
        self._out.close()
        self._out = None

    def discard(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._pending.clear()
        remove_file(self.path)


def remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class _PlainReader(io.RawIOBase):
    """The plaintext of a sealed import file, one chunk in memory at a time."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._source = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._buf = b""
        self._pos = 0
        self._chunks = self._read_chunks(AESGCM(key))

    def _read_chunks(self, aead: AESGCM) -> Iterator[bytes]:
        source = self._source
        if source.read(len(MAGIC)) != MAGIC:
            raise ImportFileError("The stored upload is damaged (not an import file).")
        raw = source.read(_LEN.size)
        (length,) = _LEN.unpack(raw) if len(raw) == _LEN.size else (0,)
        header = source.read(length) if 0 < length <= 4096 else b""
        if not header:
            raise ImportFileError("The stored upload is damaged (no header).")
        digest = hashlib.sha256(header).digest()
        index = 0
        while True:
            raw = source.read(_LEN.size)
            if len(raw) != _LEN.size:
                raise ImportFileError("The stored upload is damaged (truncated).")
            (length,) = _LEN.unpack(raw)
            sealed = source.read(length) if length <= CHUNK + 16 else b""
            if len(sealed) != length or not sealed:
                raise ImportFileError("The stored upload is damaged (truncated).")
            for final in (False, True):
                try:
                    plain = aead.decrypt(_nonce(index), sealed, _aad(digest, index, final))
                except InvalidTag:
                    continue
                yield plain
                if final:
                    return
                break
            else:
                raise ImportFileError("The stored upload is damaged (it does not decrypt).")
            index += 1

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        while self._pos >= len(self._buf):
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buf, self._pos = chunk, 0
        n = min(len(buffer), len(self._buf) - self._pos)
        buffer[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        self._source.close()
        super().close()


def open_plaintext(path: Path, key: bytes) -> io.BufferedReader:
    return io.BufferedReader(_PlainReader(path, key), buffer_size=CHUNK)


def open_text(path: Path, key: bytes, encoding: str) -> io.TextIOWrapper:
    # errors="replace": a stray undecodable byte becomes U+FFFD, which marks only its own row as unreadable
    return io.TextIOWrapper(open_plaintext(path, key), encoding=encoding, errors="replace", newline="")


class EncryptedUpload(UploadedFile):
    """An uploaded file that already sits encrypted in the imports directory. Closing it (Django closes
    request files when the response is done) deletes it unless import_start() adopted it."""

    def __init__(self, *, path: Path, key: bytes, name: str, size: int, content_type: str | None = None) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.sealed_path = path
        self.key = key
        self.adopted = False

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        with open_plaintext(self.sealed_path, self.key) as plain:
            while data := plain.read(chunk_size or CHUNK):
                yield data

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def open(self, mode=None):
        return self  # the plaintext is only ever streamed, through chunks()

    def close(self) -> None:
        if not self.adopted:
            remove_file(self.sealed_path)


class EncryptingUploadHandler(FileUploadHandler):
    """Seals the `file` field of a multipart upload as it arrives (no plaintext temporary file, not even
    in memory beyond one chunk) and refuses more than MAX_FILE_BYTES. Install it before anything reads
    request.POST or request.FILES — the CSRF check included."""

    def __init__(self, request=None, *, too_large=None) -> None:
        super().__init__(request)
        self._sink: SealedWriter | None = None
        self._key = b""
        self._taken = False
        self._too_large = too_large or ImportTooLarge

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        if field_name != FILE_FIELD or self._taken:
            raise SkipFile
        if content_length is not None and content_length > MAX_FILE_BYTES:
            raise self._too_large(too_large_message())
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self._sink, self._key = SealedWriter.create()

    def receive_data_chunk(self, raw_data: bytes, start: int):
        if self._sink is None:
            return None
        if start + len(raw_data) > MAX_FILE_BYTES:
            self._sink.discard()
            self._sink = None
            raise self._too_large(too_large_message())
        self._sink.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        if self._sink is None:
            return None
        sink, self._sink = self._sink, None
        sink.close()
        self._taken = True
        return EncryptedUpload(path=sink.path, key=self._key, name=self.file_name or "upload",
                               size=file_size, content_type=self.content_type)

    def upload_interrupted(self) -> None:
        if self._sink is not None:
            self._sink.discard()
            self._sink = None


def too_large_message() -> str:
    return (f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB or has more than {MAX_ROWS:,} rows: "
            "split it into smaller files and import them one after the other.")


def _adopt(upload, path: Path) -> bytes:
    """Moves an EncryptedUpload to `path`, or seals any other file-like upload there; returns the key."""
    if isinstance(upload, EncryptedUpload):
        os.replace(upload.sealed_path, path)
        upload.adopted = True
        return upload.key
    key = AESGCM.generate_key(bit_length=256)
    writer = SealedWriter(path, key)
    try:
        pieces: Iterable[bytes] = upload.chunks() if hasattr(upload, "chunks") else iter(
            lambda: upload.read(CHUNK), b"")
        for piece in pieces:
            if writer.size + len(piece) > MAX_FILE_BYTES:
                raise ImportTooLarge(too_large_message())
            writer.write(piece)
        writer.close()
    except BaseException:
        writer.discard()
        raise
    return key


# --- Recognising the file: binary or text, encoding, vCard or CSV, which CSV -------------------------------

SAMPLE = 64 * 1024
_MAGIC_NUMBERS = [
    (b"PK\x03\x04", "This is a spreadsheet or ZIP file, not a CSV: save it as CSV (comma-separated values) "
                    "and upload that."),
    (b"\xd0\xcf\x11\xe0", "This is an Excel (.xls) file, not a CSV: save it as CSV and upload that."),
    (b"%PDF", "This is a PDF, not a CSV or vCard file."),
    (b"\x89PNG", "This is an image, not a CSV or vCard file."),
    (b"\xff\xd8\xff", "This is an image, not a CSV or vCard file."),
    (b"GIF8", "This is an image, not a CSV or vCard file."),
]
_CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")
_CONTROL_BYTES = bytes(range(0, 9)) + bytes(range(14, 32))


def detect_encoding(path: Path, key: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16/32 (BOM, or plainly visible zero bytes), else cp1252 (or Latin-1
    when the file uses bytes cp1252 leaves undefined). Reads the whole file: a Latin-1 file whose first
    accent is 10 MB in would otherwise be read as broken UTF-8."""
    with open_plaintext(path, key) as plain:
        head = plain.read(SAMPLE)
        if not head:
            raise ValidationError({"file": "The file is empty."})
        for magic, message in _MAGIC_NUMBERS:
            if head.startswith(magic):
                raise ValidationError({"file": message})
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if len(head) >= 8:
            even, odd = head[0::2], head[1::2]
            if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
                return "utf-16-le"
            if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
                return "utf-16-be"
        controls = sum(head.count(bytes([b])) for b in _CONTROL_BYTES)
        if controls > 0.05 * len(head):
            raise ValidationError({"file": "This file is not text: upload a CSV or vCard (.vcf) file."})
        clean = broken = 0  # lines with non-ASCII bytes that are / are not valid UTF-8
        cp1252_ok = True
        carry = b""
        data = head
        while data:
            cp1252_ok = cp1252_ok and not any(b in data for b in _CP1252_UNDEFINED)
            lines = (carry + data).split(b"\n")
            carry = lines.pop()
            if len(carry) > MAX_LINE:
                lines.append(carry)
                carry = b""
            for line in lines:
                if not line.isascii():
                    try:
                        line.decode("utf-8")
                        clean += 1
                    except UnicodeDecodeError:
                        broken += 1
            data = plain.read(CHUNK)
        if carry and not carry.isascii():
            try:
                carry.decode("utf-8")
                clean += 1
            except UnicodeDecodeError:
                broken += 1
    # UTF-8 text with a damaged row stays UTF-8 (that row is reported); in a single-byte encoding nearly
    # every line with an accent is invalid UTF-8.
    if broken == 0 or clean > broken:
        return "utf-8"
    return "cp1252" if cp1252_ok else "latin-1"


def _lines(text: io.TextIOBase, limit: int | None = None) -> Iterator[str]:
    """Physical lines, each at most `limit` characters: a longer one is drained and replaced by a marker
    followed by its first 200 characters."""
    limit = limit or MAX_LINE
    while True:
        line = text.readline(limit)
        if not line:
            return
        if len(line) >= limit and line[-1] not in "\r\n":
            while True:
                more = text.readline(limit)
                if not more or more[-1] in "\r\n":
                    break
            yield LONG_LINE + line[:200].rstrip("\r\n") + "\n"
            continue
        yield line


LONG_LINE = "\x00lte-import:line-too-long\x00"


def _norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(header))


_GOOGLE_VALUE = re.compile(r"^(e-mail|phone) \d+ - value$")


def detect_layout(header: list[str]) -> str:
    names = {_norm(h) for h in header}
    if {"first_name", "last_name", "emails", "phones"} <= names:
        return "lte"
    if ({"first name", "given name"} & names) and any(_GOOGLE_VALUE.match(n) for n in names):
        return "google"
    return "custom"


def _columns_lte(header: list[str]) -> dict[str, list[int]]:
    index = {}
    for i, h in enumerate(header):
        index.setdefault(_norm(h), i)
    return {name: [index[name]] for name in LTE_COLUMNS if name in index}


def _columns_google(header: list[str]) -> dict[str, list[int]]:
    norm = [_norm(h) for h in header]

    def cols(*names: str) -> list[int]:
        return [norm.index(n) for n in names if n in norm]

    def numbered(pattern: str) -> list[int]:
        found = [(int(m.group(1)), i) for i, n in enumerate(norm) if (m := re.fullmatch(pattern, n))]
        return [i for _, i in sorted(found)]

    columns = {
        "first_name": cols("first name", "middle name") or cols("given name", "additional name"),
        "last_name": cols("last name") or cols("family name"),
        "name": cols("name", "nickname", "file as", "organization name", "organization 1 - name"),
        "emails": numbered(r"e-mail (\d+) - value"),
        "phones": numbered(r"phone (\d+) - value"),
        "address": numbered(r"address (\d+) - formatted")[:1],
        "address_parts": [i for part in ("street", "po box", "extended address", "city", "region", "postal code",
                                         "country") for i in cols(f"address 1 - {part}")],
        "birthday": cols("birthday"),
        "notes": cols("notes"),
        "tags": cols("labels", "group membership"),
    }
    return {k: v for k, v in columns.items() if v}


_SYNONYMS = {
    "first_name": {"firstname", "first", "givenname", "given", "forename", "vorname", "nombre", "prenom", "nome",
                   "voornaam"},
    "last_name": {"lastname", "last", "surname", "familyname", "family", "nachname", "apellido", "apellidos",
                  "nom", "sobrenome", "cognome", "achternaam"},
    "name": {"name", "fullname", "contact", "contactname", "displayname", "nombrecompleto", "nomecompleto"},
    "birthday": {"birthday", "birthdate", "dateofbirth", "dob", "bday", "cumpleanos", "geburtstag",
                 "anniversaire", "aniversario"},
    "tags": {"tags", "tag", "labels", "label", "groups", "group", "category", "categories", "groupmembership"},
    "source": {"source", "leadsource", "origin", "fuente", "origem", "quelle"},
    "notes": {"notes", "note", "comments", "comment", "remarks", "description", "memo", "notas", "notizen"},
}
_ADDRESS_PARTS = {"street", "city", "town", "zip", "zipcode", "postcode", "postalcode", "state", "region",
                  "province", "country", "ciudad", "calle", "codigopostal", "pais", "stadt", "strasse", "plz"}


def guess_mapping(header: list[str]) -> dict[str, list[int]]:
    """A best guess at which column is which, from the header row's names (any language we know a bit of)."""
    columns: dict[str, list[int]] = {}
    for i, cell in enumerate(header):
        key = _key(cell)
        bare = key.rstrip("0123456789")
        if not key:
            continue
        target = None
        if "mail" in bare or "correo" in bare or "courriel" in bare:
            target = "emails"
        elif any(word in bare for word in ("phone", "mobile", "cell", "whatsapp", "telefon", "movil")) or \
                bare in {"tel", "telephone", "celular"}:
            target = "phones"
        elif "address" in bare or "direccion" in bare or bare in _ADDRESS_PARTS:
            target = "address"
        else:
            for name, words in _SYNONYMS.items():
                if bare in words or key in words:
                    target = name
                    break
        if target is None:
            continue
        if target in MULTI_FIELDS or target not in columns:
            columns.setdefault(target, []).append(i)
    return columns


def _usable(columns: dict[str, list[int]] | None) -> bool:
    return bool(columns) and any(columns.get(f) for f in ("first_name", "last_name", "name", "emails", "phones"))


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


# --- Reading rows ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class RawRow:
    number: int  # the row (CSV record, header = 1) or card number the seller will look for
    fields: dict[str, Any] | None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


_CSV_ERRORS = [
    ("field larger than field limit", "a cell is longer than 131,072 characters, so this row was not read."),
    ("unexpected end of data", "a quote opened in this row is never closed, so the rest of the file could not "
                               "be read (check the quotes in this row)."),
    ("expected after", "a quoted cell is not closed properly (write \"\" for a quote inside a quoted cell)."),
]
_UNREADABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff]")
_SPLIT = {
    "lte": re.compile(r"\s*[|;]\s*"),
    "google": re.compile(r"\s*:::\s*"),
    "custom": re.compile(r"\s*(?:[|;,]|:::)\s*"),
}


def quote(value: str) -> str:
    value = " ".join(str(value).split())
    return f"“{value[:QUOTE_MAX]}{'…' if len(value) > QUOTE_MAX else ''}”"


def _csv_error(exc: csv.Error) -> str:
    text = str(exc)
    for needle, message in _CSV_ERRORS:
        if needle in text:
            return message
    return "this row could not be read as CSV."


def csv_records(text: io.TextIOBase, delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Every CSV record with its number (1 = the first); blank ones are left out, unreadable ones reported."""
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            number += 1
            yield number, None, _csv_error(exc)
            continue
        number += 1
        if not any(c.strip() for c in cells):
            continue
        if cells[0].startswith(LONG_LINE):
            yield number, None, f"the row is longer than {MAX_LINE:,} characters, so it was not read."
            continue
        yield number, cells, None


def _extract(cells: list[str], plan: dict) -> dict[str, Any]:
    """A CSV record as the contact's raw fields, following the plan's columns."""
    layout, columns, width = plan["layout"], plan["columns"], plan.get("width") or 0
    if plan.get("header", True) and len(cells) > width and any(c.strip() for c in cells[width:]):
        raise _RowError(f"the row has {len(cells):,} cells but the header has {width:,}: check for an unquoted "
                        "comma or semicolon in this row.")
    found: dict[str, list[str]] = {}
    for name, positions in columns.items():
        values = []
        for i in positions:
            value = cells[i].strip() if i < len(cells) else ""
            if not value:
                continue
            if layout == "lte" and value[0] == "'":
                value = value[1:]  # our export starts formula-looking cells with an apostrophe (SECURITY.md 27)
            if _UNREADABLE.search(value):
                raise _RowError("the row contains unreadable characters (binary data, or text in another "
                                "encoding).")
            values.append(value)
        if values:
            found[name] = values
    split = _SPLIT[layout].split

    def many(name: str) -> list[str]:
        return [part for v in found.get(name, ()) for part in split(v) if part]

    def first(name: str) -> str:
        return found[name][0] if name in found else ""

    address = found.get("address", [])
    fields: dict[str, Any] = {
        "first_name": " ".join(found.get("first_name", ())),
        "last_name": " ".join(found.get("last_name", ())),
        "emails": many("emails"),
        "phones": [_unquote_phone(p) for p in many("phones")],
        "address": (address[0] if address else "") if layout == "lte" else
                   ", ".join(", ".join(p.strip() for p in v.splitlines() if p.strip()) for v in address),
        "birthday": first("birthday"),
        "source": first("source"),
        "stage": first("stage"),
        "tags": many("tags"),
        "notes": ["\n".join(found["notes"])] if "notes" in found else [],
    }
    if not fields["address"] and "address_parts" in found:
        fields["address"] = ", ".join(found["address_parts"])
    if not (fields["first_name"] or fields["last_name"]):
        fields["first_name"], fields["last_name"] = split_name(first("name"))
    if layout == "google":
        fields["tags"] = google_labels(fields["tags"])
    if layout == "lte":  # what only our own export carries
        fields["customer_since"] = first("customer_since")
        fields["reorder_every_days"] = first("reorder_every_days")
        fields["social"] = many("social")
    return fields


class _RowError(Exception):
    pass


def _unquote_phone(value: str) -> str:
    # A spreadsheet's text marker ('+34…) is not part of the number.
    return value[1:].strip() if value.startswith("'") else value


def split_name(full: str) -> tuple[str, str]:
    """'García, María' -> ('María', 'García'); 'María José García' -> ('María José', 'García')."""
    full = " ".join(full.split())
    if not full:
        return "", ""
    if "," in full:
        last, _, first = full.partition(",")
        return first.strip(), last.strip()
    first, _, last = full.rpartition(" ")
    return (first, last) if first else (last, "")


def google_labels(labels: list[str]) -> list[str]:
    """Google's own groups ('* myContacts', '* starred', 'System Group: …') are not the seller's tags."""
    out = []
    for label in labels:
        label = label.strip()
        if label.startswith("* "):
            label = label[2:].strip()
        folded = label.casefold()
        if not label or folded in {"mycontacts", "my contacts", "starred"} or folded.startswith("system group:"):
            continue
        out.append(label)
    return out


def csv_rows(text: io.TextIOBase, plan: dict) -> Iterator[RawRow]:
    header_pending = plan.get("header", True)
    for number, cells, error in csv_records(text, plan["delimiter"]):
        if header_pending and error is None:
            header_pending = False
            continue
        if error is not None:
            yield RawRow(number, None, error)
            continue
        assert cells is not None
        try:
            yield RawRow(number, _extract(cells, plan))
        except _RowError as exc:
            yield RawRow(number, None, str(exc))


_SKIPPED_PROPERTIES = ("PHOTO", "LOGO", "SOUND", "KEY")  # big base64 blobs we don't import


def vcard_chunks(text: io.TextIOBase) -> Iterator[tuple[int, str | None, str | None, list[str]]]:
    """Each card's text (number, text, error, warnings), one card in memory at a time, photos dropped.
    Text outside the cards is reported under the number of the card before it."""
    number = 0
    lines: list[str] | None = None
    size = depth = 0
    skipping = too_long = stray = False
    for raw in _lines(text):
        line = raw.rstrip("\r\n")
        long = line.startswith(LONG_LINE)
        if long:
            line = line[len(LONG_LINE):]
        bare = line.strip().upper()
        if lines is None:
            if bare == "BEGIN:VCARD":
                if stray:
                    yield number, None, STRAY_TEXT, []
                    stray = False
                number += 1
                lines, size, depth, skipping, too_long = [line], len(line), 1, False, False
            elif bare:
                stray = True
            continue
        if line[:1] in (" ", "\t"):  # a folded continuation of the line before
            if not skipping:
                too_long = too_long or long
                lines.append(line)
                size += len(line)
        else:
            name = re.split(r"[;:]", bare, maxsplit=1)[0].rpartition(".")[2]
            skipping = name in _SKIPPED_PROPERTIES
            if not skipping:
                too_long = too_long or long
                lines.append(line)
                size += len(line)
            if bare == "BEGIN:VCARD":
                depth += 1
            elif bare == "END:VCARD":
                depth -= 1
        if size > MAX_CARD:  # keep counting BEGIN/END, but stop holding the card
            too_long = True
            lines, size = ["BEGIN:VCARD"], 0
        if depth == 0:
            card = "\n".join(lines) + "\n"
            lines = None
            yield (number, None, CARD_TOO_LONG, []) if too_long else (number, card, None, [])
    if lines is not None:
        if too_long:
            yield number, None, CARD_TOO_LONG, []
        else:
            yield number, "\n".join(lines) + "\nEND:VCARD\n", None, [
                "the card has no END:VCARD line (the file may be cut short); what it holds was imported."]
    elif stray:
        yield number, None, STRAY_TEXT, []


STRAY_TEXT = "text outside BEGIN:VCARD … END:VCARD (after this card) was ignored."
CARD_TOO_LONG = "the card is too large (or has a line too long) to be read."
_PROPERTY_LINE = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?(?:;[^:]*)?:", re.ASCII)


def parse_vcard(text: str) -> tuple[dict[str, Any], list[str]]:
    """One card's raw fields, with vobject; unreadable lines are left out and reported."""
    import vobject

    # vobject's own logger may quote a line of the card: nothing about contacts goes to logs.
    logging.getLogger("vobject.base").disabled = True
    warnings: list[str] = []
    try:
        card = vobject.readOne(text, allowQP="QUOTED-PRINTABLE" in text.upper())
    except Exception:
        # Leave out the lines that are not "NAME;params:value" (and their continuations), then try again.
        kept, dropped, keep = [], 0, True
        for line in text.split("\n"):
            if line[:1] in (" ", "\t"):
                if keep:
                    kept.append(line)
                continue
            keep = bool(_PROPERTY_LINE.match(line)) or line.strip().upper() in ("BEGIN:VCARD", "END:VCARD")
            if keep:
                kept.append(line)
            elif line.strip():
                dropped += 1
        try:
            card = vobject.readOne("\n".join(kept), allowQP=True)
        except Exception:
            raise _RowError("the card could not be read as a vCard.") from None
        if dropped:
            warnings.append(f"{dropped} unreadable line{'s' if dropped > 1 else ''} of the card "
                            f"{'were' if dropped > 1 else 'was'} left out.")

    def text_of(value: Any) -> str:
        if isinstance(value, list | tuple):
            return " ".join(text_of(v) for v in value if v)
        return str(value or "").strip()

    contents = card.contents
    first = last = ""
    if contents.get("n"):
        name = contents["n"][0].value
        if hasattr(name, "given"):
            first = " ".join(p for p in (text_of(name.given), text_of(name.additional)) if p)
            last = text_of(name.family)
    if not (first or last) and contents.get("fn"):
        full = text_of(contents["fn"][0].value)
        company = contents.get("org") and text_of(contents["org"][0].value) == full
        first, last = (full[:NAME_MAX], "") if company else split_name(full)
    if not (first or last) and contents.get("org"):
        first = text_of(contents["org"][0].value)[:NAME_MAX]
    phones = []
    for tel in contents.get("tel", []):
        value = text_of(tel.value)
        if value.lower().startswith("tel:"):
            value = value[4:].split(";", 1)[0]
        if value:
            phones.append(value)
    addresses = []
    for adr in contents.get("adr", []):
        value = adr.value
        if hasattr(value, "street"):
            locality = " ".join(p for p in (text_of(value.code), text_of(value.city)) if p)
            parts = [text_of(value.box), text_of(value.extended), text_of(value.street), locality,
                     text_of(value.region), text_of(value.country)]
            addresses.append(", ".join(p for p in parts if p))
        else:
            addresses.append(text_of(value))
    bday = ""
    if contents.get("bday"):
        bday = text_of(contents["bday"][0].value)
    tags = []
    for cat in contents.get("categories", []):
        value = cat.value
        tags += [text_of(v) for v in (value if isinstance(value, list) else str(value).split(","))]
    fields = {
        "first_name": first,
        "last_name": last,
        "emails": [text_of(e.value) for e in contents.get("email", []) if text_of(e.value)],
        "phones": phones,
        "address": next((a for a in addresses if a), ""),
        "birthday": bday,
        "source": "",
        "stage": "",
        "tags": [t for t in tags if t],
        "notes": [text_of(n.value) for n in contents.get("note", []) if text_of(n.value)],
    }
    for value in _field_values(fields):
        if _UNREADABLE.search(value.replace("\n", " ").replace("\t", " ")):
            raise _RowError("the card contains unreadable characters (binary data, or text in another encoding).")
    return fields, warnings


def _field_values(fields: dict[str, Any]) -> Iterator[str]:
    for value in fields.values():
        if isinstance(value, list):
            yield from value
        elif value:
            yield value


def vcard_rows(text: io.TextIOBase) -> Iterator[RawRow]:
    for number, card, error, warnings in vcard_chunks(text):
        if card is None:
            yield RawRow(number, None, error)
            continue
        try:
            fields, more = parse_vcard(card)
        except _RowError as exc:
            yield RawRow(number, None, str(exc))
            continue
        yield RawRow(number, fields, None, warnings + more)


def rows_of(path: Path, key: bytes, plan: dict) -> Iterator[RawRow]:
    with open_text(path, key, plan["encoding"]) as text:
        if plan["format"] == "vcard":
            yield from vcard_rows(text)
        else:
            yield from csv_rows(text, plan)


# --- Turning a row into validated contact data ----------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ][0-9:.Z+-]*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_SLASHED_ISO = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW", "BZ", "GU", "PR", "AS", "VI", "MP", "UM"}
_NO_YEAR_WARNING = "the birthday {} has no year, so it was left out (the contact was imported)."


def parse_birthday(value: str, *, country: str = "") -> tuple[date | None, str | None]:
    """A date from what spreadsheets, Google and phones write; (None, warning) for a birthday without a year."""
    value = value.strip()
    if not value:
        return None, None
    bad = ValidationError({"birthday": f"{quote(value)} is not a date we understand (use YYYY-MM-DD)."})
    try:
        if m := _ISO_DATE.match(value):
            year, month, day = (int(g) for g in m.groups())
            if year == 1604:  # Apple's "no year"
                return None, _NO_YEAR_WARNING.format(quote(value))
            return date(year, month, day), None
        if _NO_YEAR.match(value):
            return None, _NO_YEAR_WARNING.format(quote(value))
        if m := _SLASHED_ISO.match(value):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))), None
        if m := _NUMERIC_DATE.match(value):
            a, b, year = (int(g) for g in m.groups())
            month_first = b > 12 >= a or (a <= 12 and country.upper() in MONTH_FIRST_COUNTRIES)
            month, day = (a, b) if month_first else (b, a)
            return date(year, month, day), None
    except ValueError:
        raise bad from None
    raise bad


_FIELD_NAMES = {"first_name": "first name", "last_name": "last name", "emails": "email", "phones": "phone",
                "address": "address", "birthday": "birthday", "source": "source", "stage": "stage", "tags": "tag",
                "notes": "note", "body": "note", "customer_since": "customer since",
                "reorder_every_days": "reorder every (days)", "social": "social"}


def describe(exc: ValidationError) -> str:
    """A service's ValidationError as one short sentence for the report (the services quote ≤ 60 chars)."""
    parts = []
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
    for name, messages in items:
        label = _FIELD_NAMES.get(name, name.replace("_", " "))
        for message in messages:
            message = str(message)
            parts.append(f"{label} {message}" if label and message[:1].islower() else message)
    return " ".join(parts)[:300]


@dataclass
class Prepared:
    """A row validated by the services' rules: what contact_create would store, not yet written."""

    number: int
    data: ContactData  # the input, kept for merging and for the one-by-one fallback
    contact: Contact  # validated by services._apply (names, reach, address, birthday, source, search keys)
    stage: Stage
    tags: list[str]
    notes: list[str]
    warnings: list[str]

    @cached_property
    def index(self) -> tuple[list[str], list[tuple[str, str]]]:
        return index_values(self.contact)

    def digests(self) -> list[str]:
        """The blind indexes other rows and contacts are matched by (emails and E.164 phones)."""
        return [digest for kind, digest in self.index[1] if kind != ContactLookup.NATIONAL]


class _Context:
    """Per-run caches: stages by slug and the owner's tags."""

    def __init__(self, owner) -> None:
        self.owner = owner
        self._stages: dict[str, Stage | ValidationError] = {}

    def stage(self, slug: str) -> Stage:
        if slug not in self._stages:
            try:
                self._stages[slug] = services.stage_by_slug(self.owner, slug)
            except ValidationError as exc:  # a stage's name ("Customer") is fine too
                by_name = {s.name.casefold(): s for s in services.stages_of(self.owner)}
                self._stages[slug] = by_name.get(slug.casefold(), exc)
        found = self._stages[slug]
        if isinstance(found, ValidationError):
            raise found
        return found


def clean_tags(names: Iterable[str]) -> list[str]:
    """services._tags' validation, without touching the database."""
    cleaned = [n for n in services._unique(
        (services.clean_text(n, field="tags", max_length=services.TAG_MAX) for n in names), key=str.casefold) if n]
    if len(cleaned) > services.MAX_TAGS:
        raise ValidationError({"tags": f"A contact has at most {services.MAX_TAGS} tags."})
    return cleaned


def clean_notes(bodies: Iterable[str]) -> list[str]:
    return services._unique(services.clean_text(b, field="body", max_length=services.MAX_NOTE, required=True)
                            for b in bodies if b and b.strip())


def prepare(ctx: _Context, row: RawRow) -> Prepared:
    """Validates a row exactly as contact_create would; raises ValidationError (nothing is written)."""
    fields = row.fields or {}
    warnings = list(row.warnings)
    birthday, warning = parse_birthday(fields.get("birthday", ""), country=ctx.owner.country or "")
    if warning:
        warnings.append(warning)
    data = ContactData(
        first_name=fields["first_name"] or UNSET, last_name=fields["last_name"] or UNSET,
        emails=fields["emails"] or UNSET, phones=fields["phones"] or UNSET, address=fields["address"] or UNSET,
        birthday=birthday or UNSET, source=fields["source"] or UNSET,
        stage=fields["stage"] or UNSET, tags=fields["tags"] or UNSET,
        **_export_extras(fields),
    )
    return _validated(ctx, row.number, data, fields.get("notes") or [], warnings)


def _export_extras(fields: dict[str, Any]) -> dict[str, Any]:
    """customer_since, reorder_every_days and social, as our own export writes them."""
    extras: dict[str, Any] = {}
    if since := fields.get("customer_since"):
        try:
            extras["customer_since"] = date.fromisoformat(since)
        except ValueError:
            raise ValidationError({"customer_since": f"{quote(since)} is not a date (YYYY-MM-DD)."}) from None
    if days := fields.get("reorder_every_days"):
        if not days.isdigit():
            raise ValidationError({"reorder_every_days": f"{quote(days)} is not a number of days."})
        extras["reorder_every_days"] = int(days)
    if social := fields.get("social"):
        pairs = [item.split(":", 1) for item in social]
        if any(len(pair) != 2 for pair in pairs):
            raise ValidationError({"social": "is written network:handle."})
        extras["social"] = {k.strip(): v.strip() for k, v in pairs}
    return extras


def _validated(ctx: _Context, number: int, data: ContactData, notes: list[str], warnings: list[str]) -> Prepared:
    contact = Contact(owner_id=ctx.owner.pk)
    errors: list[ValidationError] = []
    stage_slug, tag_names = data.stage, data.tags
    data.stage = data.tags = UNSET  # stage and tags are resolved here, once per run, not per row
    try:
        services._apply(contact, ctx.owner, data)
    except ValidationError as exc:
        errors.append(exc)
    finally:
        data.stage, data.tags = stage_slug, tag_names
    stage = tags = cleaned_notes = None
    try:
        stage = ctx.stage(stage_slug if stage_slug is not UNSET else "new-lead")
    except ValidationError as exc:
        errors.append(exc)
    try:
        tags = clean_tags(tag_names) if tag_names is not UNSET and tag_names else []
    except ValidationError as exc:
        errors.append(exc)
    try:
        cleaned_notes = clean_notes(notes) if notes else []
    except ValidationError as exc:
        errors.append(exc)
    if errors:
        raise ValidationError(" ".join(describe(e) for e in errors)[:300])
    assert stage is not None and tags is not None and cleaned_notes is not None
    data.stage = stage.slug  # a stage given by its name, resolved (for the one-by-one fallback)
    contact.stage = stage
    if stage.slug == services.CUSTOMER_STAGE and contact.customer_since is None:
        contact.customer_since = timezone.localdate()  # as services._customer_started
    return Prepared(number, data, contact, stage, tags, cleaned_notes, warnings)


def reorder_followup(contact: Contact) -> FollowUp | None:
    """The reorder reminder services._schedule_reorder gives a new customer with a reorder interval."""
    if contact.stage.slug != services.CUSTOMER_STAGE or not contact.reorder_every_days:
        return None
    return FollowUp(owner_id=contact.owner_id, contact=contact, kind=FollowUp.Kind.REORDER, title="Time to reorder?",
                    due_at=timezone.now() + timedelta(days=contact.reorder_every_days))


def index_values(contact: Contact) -> tuple[list[str], list[tuple[str, str]]]:
    """What services._index_contact writes for a new contact: its name tokens, and its blind-indexed
    lookups as (kind, digest) pairs."""
    owner_id = contact.owner_id
    words = [w[:NAME_MAX] for w in services._unique(fold(f"{contact.first_name} {contact.last_name}").split())]
    lookups = (
        [(ContactLookup.EMAIL, services.email_digest(owner_id, e)) for e in contact.emails]
        + [(ContactLookup.PHONE, services.phone_digest(owner_id, p)) for p in contact.phones]
        + [(ContactLookup.NATIONAL, services.national_digest(owner_id, national_digits(p)))
           for p in contact.phones]
    )
    return words, lookups


def national_digits(e164: str) -> str:
    """services.national_digits for an E.164 number, without parsing it again: country codes are
    prefix-free, so the first 1–3 digits that are one are it (checked against services in the tests)."""
    import phonenumbers

    digits = e164[1:]
    if e164.startswith("+") and digits.isdigit():
        for length in (1, 2, 3):
            if int(digits[:length]) in phonenumbers.COUNTRY_CODE_TO_REGION_CODE and digits[length:]:
                return str(int(digits[length:]))
    return services.national_digits(e164)


def insert_rows(model, names: list[str], rows: list[tuple], *, ready: bool = False) -> None:
    """INSERTs many rows through one prepared statement: what bulk_create writes, each value prepared by
    its own field for the database, without building a model instance and compiling SQL for every row
    (80% of an import's time with bulk_create). The values must not need their field's pre_save;
    `ready` ones are database values already (see _DbIds)."""
    if not rows:
        return
    db = connections[DEFAULT_DB_ALIAS]  # the object itself: the `connection` proxy costs a lookup per use
    fields = [model._meta.get_field(name) for name in names]
    quote = db.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")  # only the model's quoted names; values are parameters
    prepare = [_db_value(f, db) for f in fields]
    with db.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            chunk = rows[start:start + 2000]
            cursor.executemany(sql, chunk if ready else [tuple(p(v) for p, v in zip(prepare, row, strict=True))
                                                         for row in chunk])


class _DbIds:
    """UUIDs as this database stores them (a UUID, or 32 hex digits where there is no UUID type), and new
    random (version 4) ones, made without building a UUID object for each."""

    def __init__(self) -> None:
        self.native = connections[DEFAULT_DB_ALIAS].features.has_native_uuid_field

    def of(self, value: uuid.UUID):
        return value if self.native else value.hex

    def new(self):
        if self.native:
            return uuid.uuid4()
        raw = bytearray(os.urandom(16))
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        return raw.hex()


def _db_value(field, db):
    """The field's get_db_prep_save, taking the direct route for the two types an import writes most."""
    target = field.target_field if field.is_relation else field
    if isinstance(target, models.UUIDField):
        if db.features.has_native_uuid_field:
            return lambda v: v
        return lambda v: v.hex if isinstance(v, uuid.UUID) else (None if v is None else uuid.UUID(str(v)).hex)
    if type(target) in (models.CharField, models.TextField, models.SlugField):
        return lambda v: v if v is None or type(v) is str else target.get_db_prep_save(v, db)
    return lambda v: field.get_db_prep_save(v, db)


def insert_instances(model, objects: list) -> None:
    """INSERTs model instances as bulk_create does (every concrete field's pre_save: encrypted fields are
    sealed here), through insert_rows' one prepared statement."""
    fields = list(model._meta.concrete_fields)
    rows = [tuple(f.pre_save(obj, True) for f in fields) for obj in objects]
    insert_rows(model, [f.name for f in fields], rows)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = DEFAULT_DB_ALIAS


# --- Writing a batch -------------------------------------------------------------------------------------


@dataclass
class _Snapshot:
    """What an existing contact holds, to fill in rather than overwrite."""

    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    address: str | None
    birthday: date | None
    source: str
    tags: list[str]
    created_at: datetime
    customer_since: date | None = None
    reorder_every_days: int | None = None
    social: dict | None = None
    notes: set[str] | None = None

    @classmethod
    def of(cls, contact: Contact) -> _Snapshot:
        return cls(contact.first_name, contact.last_name, list(contact.emails), list(contact.phones),
                   contact.address, contact.birthday, contact.source, [t.name for t in contact.tags.all()],
                   contact.created_at, contact.customer_since, contact.reorder_every_days, contact.social)


def _fill(snap: _Snapshot, p: Prepared) -> ContactData:
    """Only what the contact lacks: empty fields filled, new emails, phones and tags added; nothing overwritten."""
    data = ContactData()
    c = p.contact
    if not snap.first_name and c.first_name:
        data.first_name = c.first_name
    if not snap.last_name and c.last_name:
        data.last_name = c.last_name
    known = {e.casefold() for e in snap.emails}
    new_emails = [e for e in c.emails if e.casefold() not in known]
    if new_emails:
        data.emails = snap.emails + new_emails
    new_phones = [x for x in c.phones if x not in snap.phones]
    if new_phones:
        data.phones = snap.phones + new_phones
    if not snap.address and c.address:
        data.address = c.address
    if snap.birthday is None and c.birthday is not None:
        data.birthday = c.birthday
    if not snap.source and c.source:
        data.source = c.source
    for name in ("customer_since", "reorder_every_days", "social"):  # as given in the row, not defaults
        given = getattr(p.data, name)
        if not getattr(snap, name) and given is not UNSET and given:
            setattr(data, name, given)
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
    """One batch of rows: validated first (no transaction held), then written in the job's transaction."""

    def __init__(self, run: _Run, rows: list[RawRow]) -> None:
        self.run = run
        self.owner = run.ctx.owner
        self.rows = rows
        self.result = BatchResult()
        self.valid: list[Prepared] = []
        self.existing: dict[str, Any] = {}

    def error(self, number: int, message: str) -> None:
        self.result.errors.append({"row": number, "error": message})

    def prepare(self) -> _Batch:
        for row in self.rows:
            if row.fields is None:
                self.error(row.number, row.error or "the row could not be read.")
                self.result.skipped += 1
                continue
            try:
                item = prepare(self.run.ctx, row)
            except ValidationError as exc:
                self.error(row.number, describe(exc))
                self.result.skipped += 1
                continue
            for warning in item.warnings:
                self.error(row.number, warning)
            self.valid.append(item)
        return self

    def write(self) -> BatchResult:
        digests = {id(p): p.digests() for p in self.valid}
        self.existing = self._existing({d for ds in digests.values() for d in ds})
        snapshots = self._snapshots(set(self.existing.values()))
        pending: dict[str, Prepared] = {}
        new: list[Prepared] = []
        for p in self.valid:
            fingerprint = self.run.fingerprints.get(p.number)
            if fingerprint is not None and fingerprint in self.run.seen:
                self.result.skipped += 1  # the very same row earlier in the file
                continue
            match = next((self.existing[d] for d in digests[id(p)] if d in self.existing), None)
            twin = next((pending[d] for d in digests[id(p)] if d in pending), None)
            if match is not None:
                self._update(snapshots, match, p)
            elif twin is not None:
                merged = self._merge(twin, p)
                if merged is not None:
                    new[next(i for i, q in enumerate(new) if q is twin)] = merged
                    for d, q in list(pending.items()):
                        if q is twin:
                            pending[d] = merged
                    for d in merged.digests():
                        pending.setdefault(d, merged)
            else:
                new.append(p)
                for d in digests[id(p)]:
                    pending.setdefault(d, p)
            if fingerprint is not None:
                self.run.seen.add(fingerprint)
        self._create(new)
        return self.result

    def _existing(self, digests: set[str]) -> dict[str, Any]:
        """digest -> id of the owner's contact holding it (services.find_duplicates, for many rows at once)."""
        found: dict[str, Any] = {}
        wanted = sorted(digests)
        for start in range(0, len(wanted), 900):
            query = ContactLookup.objects.owned_by(self.owner).filter(
                kind__in=(ContactLookup.EMAIL, ContactLookup.PHONE), digest__in=wanted[start:start + 900])
            for digest, contact_id in query.order_by("contact__created_at").values_list("digest", "contact_id"):
                found.setdefault(digest, contact_id)
        return found

    def _snapshots(self, ids: set) -> dict[Any, _Snapshot]:
        if not ids:
            return {}
        contacts = Contact.objects.owned_by(self.owner).filter(pk__in=ids).prefetch_related("tags")
        return {c.pk: _Snapshot.of(c) for c in contacts}

    def _update(self, snapshots: dict[Any, _Snapshot], contact_id, p: Prepared) -> None:
        """Fills in an existing contact through services.contact_update (and note_create), in a savepoint."""
        snap = snapshots[contact_id]
        data = _fill(snap, p)
        if p.notes and snap.notes is None:
            snap.notes = {n.body for n in Note.objects.owned_by(self.owner).filter(contact_id=contact_id)}
        notes = [n for n in p.notes if n not in (snap.notes or set())]
        try:
            with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
                if _changes(data):
                    contact = services.contact_update(owner=self.owner, contact_id=contact_id, data=data)
                for body in notes:
                    services.note_create(owner=self.owner, contact_id=contact_id, body=body)
        except ValidationError as exc:
            self.error(p.number, describe(exc))
            self.result.skipped += 1
            return
        except Contact.DoesNotExist:  # deleted by the seller while the import ran
            self.error(p.number, "the contact this row matched was deleted meanwhile, so the row was skipped.")
            self.result.skipped += 1
            return
        if _changes(data):
            snapshots[contact_id] = replace(_Snapshot.of(contact), notes=snap.notes)
            for d in p.digests():  # later rows holding the new email or phone find this contact too
                self.existing.setdefault(d, contact_id)
        snapshots[contact_id].notes = (snap.notes or set()) | set(notes)
        made_by_this_import = snap.created_at >= self.run.job.created_at
        if made_by_this_import and not (_changes(data) or notes):
            self.result.skipped += 1  # the same contact again, further down the file
        else:
            self.result.updated += 1

    def _merge(self, twin: Prepared, p: Prepared) -> Prepared | None:
        """A row matching a contact made earlier in this batch: fill that one in (nothing is written yet)."""
        c = twin.contact
        snap = _Snapshot(c.first_name, c.last_name, list(c.emails), list(c.phones), c.address, c.birthday,
                         c.source, list(twin.tags), c.created_at, c.customer_since, c.reorder_every_days, c.social)
        fill = _fill(snap, p)
        notes = [n for n in p.notes if n not in twin.notes]
        if not _changes(fill) and not notes:
            self.result.skipped += 1
            return None
        merged = ContactData(**{f: getattr(fill, f) if getattr(fill, f) is not UNSET else getattr(twin.data, f)
                                for f in ContactData.__dataclass_fields__})
        try:
            result = _validated(self.run.ctx, twin.number, merged, twin.notes + notes, twin.warnings)
        except ValidationError as exc:
            self.error(p.number, describe(exc))
            self.result.skipped += 1
            return None
        result.contact.pk = c.pk
        result.contact.created_at = c.created_at
        self.result.updated += 1
        return result

    def _create(self, new: list[Prepared]) -> None:
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
                        contact = services.contact_create(owner=self.owner, data=p.data)
                        for body in p.notes:
                            services.note_create(owner=self.owner, contact=contact, body=body)
                except (ValidationError, DatabaseError) as exc:
                    self.error(p.number, describe(exc) if isinstance(exc, ValidationError)
                               else "the row could not be saved.")
                    self.result.skipped += 1
                else:
                    self.result.created += 1

    def _bulk_create(self, new: list[Prepared]) -> None:
        """What services.contact_create writes (the contact, its tokens, lookups and tags, a customer's
        reorder reminder), for many contacts at once; plus their notes, as note_create writes them."""
        tags_by_name = self.run.tags_for({t for p in new for t in p.tags})
        ids = _DbIds()
        owner = ids.of(self.owner.pk)
        tokens, lookups, links, notes, followups = [], [], [], [], []
        for p in new:
            contact = p.contact
            contact_id = ids.of(contact.pk)
            words, pairs = p.index
            tokens += [(ids.new(), owner, contact_id, word) for word in words]
            lookups += [(ids.new(), owner, contact_id, kind, digest) for kind, digest in pairs]
            links += [(contact_id, ids.of(tags_by_name[t.casefold()].pk)) for t in p.tags
                      if t.casefold() in tags_by_name]
            notes += [Note(owner_id=contact.owner_id, contact=contact, body=body) for body in p.notes]
            if (followup := reorder_followup(contact)) is not None:
                followups.append(followup)
        insert_instances(Contact, [p.contact for p in new])
        insert_rows(ContactToken, ["id", "owner", "contact", "token"], tokens, ready=True)
        insert_rows(ContactLookup, ["id", "owner", "contact", "kind", "digest"], lookups, ready=True)
        insert_rows(Contact.tags.through, ["contact", "tag"], links, ready=True)
        Note.objects.bulk_create(notes)
        FollowUp.objects.bulk_create(followups)


# --- Running a job ---------------------------------------------------------------------------------------


class _Run:
    def __init__(self, job: ImportJob, key: bytes) -> None:
        self.job = job
        self.key = key
        self.ctx = _Context(job.owner)
        self.plan = job.mapping
        self.seen: set[int] = set()
        self.fingerprints: dict[int, int] = {}
        self._tags: dict[str, Tag] | None = None

    def tags_for(self, names: set[str]) -> dict[str, Tag]:
        """The owner's tags by folded name, creating the missing ones (as services._tags does)."""
        if self._tags is None:
            self._tags = {}
            for tag in Tag.objects.owned_by(self.job.owner).order_by("name"):
                self._tags.setdefault(tag.name.casefold(), tag)
        missing = {}
        for name in sorted(names):
            if name.casefold() not in self._tags:
                missing.setdefault(name.casefold(), name)
        if missing:
            Tag.objects.bulk_create([Tag(owner=self.job.owner, name=n) for n in missing.values()],
                                    ignore_conflicts=True)
            for tag in Tag.objects.owned_by(self.job.owner).filter(name__in=list(missing.values())):
                self._tags.setdefault(tag.name.casefold(), tag)
        return self._tags

    def forget_tags(self) -> None:
        self._tags = None

    def run(self) -> None:
        path = job_file(self.job.pk)
        if not path.exists():
            raise ImportFileError("The uploaded file is no longer there; upload it again.")
        done = expected = self.job.processed
        batch: list[RawRow] = []
        started = time.monotonic()
        with _bulk_writes(), contextlib.closing(rows_of(path, self.key, self.plan)) as rows:
            for index, row in enumerate(rows):
                if index >= MAX_ROWS:
                    raise ImportFileError(too_large_message())
                fingerprint = _fingerprint(row)
                if index < done:  # imported by an earlier run of this job
                    if fingerprint is not None:
                        self.seen.add(fingerprint)
                    continue
                if fingerprint is not None:
                    self.fingerprints[row.number] = fingerprint
                batch.append(row)
                if len(batch) >= BATCH:
                    expected = self._commit(batch, expected)
                    batch = []
            if batch:
                expected = self._commit(batch, expected)
        logger.info("import %s: %s rows in %.1f s", self.job.pk, expected - done, time.monotonic() - started)

    def _commit(self, rows: list[RawRow], expected: int) -> int:
        batch = _Batch(self, rows).prepare()  # the CPU-bound part, before taking the database's write lock
        try:
            with transaction.atomic():
                job = ImportJob.objects.select_for_update().get(pk=self.job.pk)
                if job.status != ImportJob.Status.RUNNING or job.processed != expected:
                    raise _Superseded
                result = batch.write()
                job.processed += len(rows)
                job.created += result.created
                job.updated += result.updated
                job.skipped += result.skipped
                job.errors = _capped(job.errors, result.errors)
                job.total = max(job.total, job.processed)
                job.save(update_fields=["processed", "created", "updated", "skipped", "errors", "total"])
        except BaseException:
            self.forget_tags()  # tags made in the rolled-back batch are gone
            raise
        self.fingerprints.clear()
        return job.processed


@contextlib.contextmanager
def _bulk_writes() -> Iterator[None]:
    """On SQLite, while an import writes: a 64 MB page cache (random-key index inserts miss the default
    2 MB one at 100,000 contacts) and a WAL checkpoint every 40 MB rather than every commit; both put back
    afterwards, then one passive checkpoint. Only this connection is affected."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite" or db.in_atomic_block:
        yield
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA wal_autocheckpoint")
        autocheckpoint = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -65536")
        cursor.execute("PRAGMA wal_autocheckpoint = 10000")
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {autocheckpoint}")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _fingerprint(row: RawRow) -> int | None:
    if row.fields is None:
        return None
    return hash(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(row.fields.items())))


def _capped(errors: list[dict], more: list[dict]) -> list[dict]:
    """The report keeps MAX_REPORTED_ERRORS entries, the last saying there were more."""
    if not more or len(errors) >= MAX_REPORTED_ERRORS:
        return errors
    if len(errors) + len(more) < MAX_REPORTED_ERRORS:
        return errors + more
    room = MAX_REPORTED_ERRORS - 1 - len(errors)
    return [*errors, *more[:room],
            {"row": None, "error": f"More rows have problems; only the first {MAX_REPORTED_ERRORS:,} are listed."}]


# --- Services ---------------------------------------------------------------------------------------------


def _owned(owner, job_id) -> ImportJob:
    return ImportJob.objects.owned_by(owner).get(pk=job_id)


def awaiting_mapping(job: ImportJob) -> bool:
    plan = job.mapping or {}
    return job.status == ImportJob.Status.QUEUED and plan.get("layout") == "custom" and plan.get("columns") is None


def scan(path: Path, key: bytes, *, file_format: str | None = None) -> tuple[dict, list[str]]:
    """The plan of a stored upload (format, encoding, layout, columns, rows) and, for a CSV, its header
    (kept in memory only). Raises ValidationError for a file we can't read, ImportTooLarge over MAX_ROWS."""
    encoding = detect_encoding(path, key)
    with open_text(path, key, encoding) as text:
        head = text.read(4096)
    stripped = head.lstrip("\ufeff \t\r\n")
    detected = "vcard" if stripped[:11].upper() == "BEGIN:VCARD" else "csv"
    fmt = file_format or detected
    if fmt == "vcard":
        if detected != "vcard":
            raise ValidationError({"file": "This is not a vCard file (it does not start with BEGIN:VCARD)."})
        plan = {"format": "vcard", "encoding": encoding, "layout": "vcard", "columns": {}}
        count = sum(1 for _ in _limited(vcard_rows_count(path, key, encoding)))
        plan["records"] = count
        return plan, []
    first_line = head.splitlines()[0] if head else ""
    delimiter = _delimiter(first_line)
    plan = {"format": "csv", "encoding": encoding, "delimiter": delimiter}
    header: list[str] = []
    records = 0
    with open_text(path, key, encoding) as text:
        for _number, cells, error in csv_records(text, delimiter):
            if records == 0 and error is None and cells is not None:
                header = cells
            records += 1
            if records > MAX_ROWS + 1:
                raise ImportTooLarge(too_large_message())
    if not header:
        raise ValidationError({"file": "We could not find a header row in this CSV file."})
    layout = detect_layout(header)
    plan |= {"layout": layout, "header": True, "width": len(header), "records": records}
    plan["columns"] = (_columns_lte(header) if layout == "lte" else _columns_google(header) if layout == "google"
                       else None)
    return plan, header


def vcard_rows_count(path: Path, key: bytes, encoding: str) -> Iterator[int]:
    with open_text(path, key, encoding) as text:
        for number, *_rest in vcard_chunks(text):
            yield number


def _limited(items: Iterator[Any]) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        if count > MAX_ROWS:
            raise ImportTooLarge(too_large_message())
        yield item


def _total(plan: dict) -> int:
    records = plan.get("records", 0)
    return max(records - 1, 0) if plan["format"] == "csv" and plan.get("header", True) else records


def parse_mapping(raw: str | dict | None) -> dict | None:
    """The API's `mapping` form field: JSON {field: column name or 0-based position, or a list of them}."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        if len(raw) > MAX_MAPPING_CHARS:
            raise ValidationError({"mapping": "is too long."})
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ValidationError({"mapping": "is not JSON."}) from None
    if not isinstance(raw, dict):
        raise ValidationError({"mapping": "is a JSON object such as {\"first_name\": \"Given\", \"emails\": "
                                          "[\"Mail 1\", \"Mail 2\"]}."})
    unknown = [k for k in raw if k not in (*FIELDS, "header")]
    if unknown:
        raise ValidationError({"mapping": f"knows only {', '.join(FIELDS)} and header; not {quote(unknown[0])}."})
    return raw


def resolve_mapping(mapping: dict, header: list[str]) -> tuple[dict[str, list[int]], bool]:
    """Column names or positions to positions, checked against the file's header."""
    by_name: dict[str, int] = {}
    for i, name in enumerate(header):
        by_name.setdefault(name.strip(), i)
        by_name.setdefault(_norm(name), i)
    header_flag = mapping.get("header", True)
    if not isinstance(header_flag, bool):
        raise ValidationError({"mapping": "header is true or false."})
    columns: dict[str, list[int]] = {}
    for name in FIELDS:
        given = mapping.get(name)
        if given is None or given == "" or given == []:
            continue
        items = given if isinstance(given, list) else [given]
        if len(items) > 50:
            raise ValidationError({"mapping": f"{name} takes at most 50 columns."})
        for item in items:
            if isinstance(item, bool) or not isinstance(item, int | str):
                raise ValidationError({"mapping": f"{name}: give column names or 0-based positions."})
            if isinstance(item, int) or (isinstance(item, str) and item.isdigit() and item.strip() not in by_name):
                position = int(item)
                if not 0 <= position < len(header):
                    raise ValidationError({"mapping": f"{name}: there is no column {position} (the file has "
                                                      f"{len(header)})."})
            else:
                position = by_name.get(item.strip(), by_name.get(_norm(item), -1))
                if position < 0:
                    raise ValidationError({"mapping": f"{name}: there is no column {quote(item)} in the file."})
            columns.setdefault(name, [])
            if position not in columns[name]:
                columns[name].append(position)
    if not _usable(columns):
        raise ValidationError({"mapping": "Choose at least one column for a name, an email or a phone number."})
    return columns, header_flag


def _cap_active(owner) -> None:
    # A web upload waiting for its column mapping is dropped when a newer file comes in.
    for job in ImportJob.objects.owned_by(owner).filter(status=ImportJob.Status.QUEUED):
        if awaiting_mapping(job):
            import_fail(job.pk, "Replaced by a newer upload.")
    if ImportJob.objects.owned_by(owner).filter(status__in=ACTIVE).count() >= MAX_ACTIVE_JOBS:
        raise ImportBusy("Several imports are still running: wait for one to finish, then try again.")


def import_start(*, owner, upload, file_format: str | None = None, mapping: dict | None = None,
                 await_mapping: bool = False) -> ImportJob:
    """Stores the upload encrypted, checks it can be read, and queues its import.

    A CSV in our export's or Google's layout needs no mapping. Any other CSV takes `mapping` (see
    parse_mapping); without one, the columns are guessed from the header row, or — with
    `await_mapping`, for the web page's mapping step — the job waits for import_map().
    Raises ValidationError (unreadable file, bad mapping), ImportTooLarge or ImportBusy.
    """
    if file_format not in (None, "csv", "vcard"):
        raise ValidationError({"file_format": "is csv or vcard."})
    _cap_active(owner)
    job = ImportJob(owner=owner)
    path = job_file(job.pk)
    try:
        key = _adopt(upload, path)
        plan, header = scan(path, key, file_format=file_format)
        if plan["format"] == "csv":
            if mapping is not None:
                plan["columns"], plan["header"] = resolve_mapping(mapping, header)
                plan["layout"] = "custom"
            elif plan["layout"] == "custom" and not await_mapping:
                plan["columns"] = guess_mapping(header)
                if not _usable(plan["columns"]):
                    raise ValidationError({"mapping": "We could not tell which column is which in this CSV: send "
                                                      "a mapping, e.g. {\"first_name\": \"Name\", \"phones\": "
                                                      "[\"Mobile\"]}."})
        total = _total(plan)
        if total > MAX_ROWS:
            raise ImportTooLarge(too_large_message())
        job.file_format = plan["format"]
        job.mapping = plan
        job.total = total
        job.file_key = b64e(key)
        with transaction.atomic():
            job.save()
            if not awaiting_mapping(job):
                transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        remove_file(path)
        raise
    logger.info("import %s queued: %s, %s rows", job.pk, plan["format"], total)
    return job


def _enqueue(job_id) -> None:
    from lte.crm.tasks import import_contacts

    import_contacts(str(job_id))


def import_columns(*, owner, job_id, samples: int = 3) -> tuple[list[str], list[list[str]]]:
    """The header and the first rows of a CSV waiting for its mapping, for the seller to choose from.
    Read from the encrypted file on demand; nothing of it is stored."""
    job = _owned(owner, job_id)
    if not awaiting_mapping(job):
        raise ValidationError({"mapping": "This import is not waiting for a column mapping."})
    plan = job.mapping
    header: list[str] = []
    rows: list[list[str]] = []
    with open_text(job_file(job.pk), b64d(job.file_key), plan["encoding"]) as text:
        for _number, cells, error in csv_records(text, plan["delimiter"]):
            if error is not None or cells is None:
                continue
            if not header:
                header = cells
                continue
            if len(rows) >= samples:
                break
            rows.append(cells)
    return header, rows


def import_map(*, owner, job_id, mapping: dict) -> ImportJob:
    """Sets the column mapping of a CSV import waiting for one (the web page's second step) and queues it."""
    job = _owned(owner, job_id)
    if not awaiting_mapping(job):
        raise ValidationError({"mapping": "This import is not waiting for a column mapping."})
    header, _rows = import_columns(owner=owner, job_id=job_id, samples=0)
    columns, header_flag = resolve_mapping(parse_mapping(mapping) or {}, header)
    plan = {**job.mapping, "columns": columns, "header": header_flag}
    if _total(plan) > MAX_ROWS:
        raise ImportTooLarge(too_large_message())
    with transaction.atomic():
        updated = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(
            mapping=plan, total=_total(plan))
        if updated:
            transaction.on_commit(lambda: _enqueue(job.pk))
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_cancel(*, owner, job_id) -> ImportJob:
    """Stops an unfinished import (rows already imported stay) and deletes its file."""
    job = _owned(owner, job_id)
    if job.status in ACTIVE:
        import_fail(job.pk, "Stopped by you; the rows imported before that are kept.")
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_fail(job_id, message: str) -> None:
    """Ends a job as failed with a message for its report; its file and key are destroyed."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            return
        if job.status not in FINISHED:
            job.status = ImportJob.Status.FAILED
            job.errors = [*job.errors, {"row": None, "error": message}]  # always shown, even on a full report
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "errors", "finished_at"])
        ImportJob.objects.filter(pk=job_id).update(file_key=None)
    remove_file(job_file(job_id))
    logger.info("import %s failed", job_id)


def _finish(job_id) -> None:
    with transaction.atomic():
        ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).update(
            status=ImportJob.Status.DONE, finished_at=timezone.now(), file_key=None)
    remove_file(job_file(job_id))


def import_run(job_id) -> ImportJob | None:
    """Runs (or resumes) an import. Call it acting for the job's owner (lte.crm.tasks does). Safe to call
    again at any time: a finished job is left alone; an interrupted one carries on after its last
    committed batch; two runs of one job never both write a batch."""
    job = ImportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None:
        return None
    if job.status in FINISHED:
        remove_file(job_file(job.pk))
        return job
    if awaiting_mapping(job):
        return job
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(status=ImportJob.Status.RUNNING)
    job = ImportJob.objects.select_related("owner").get(pk=job.pk)
    if job.status != ImportJob.Status.RUNNING:
        return job
    try:
        if not job.file_key:
            raise ImportFileError("The uploaded file's key is gone; upload the file again.")
        _Run(job, b64d(job.file_key)).run()
    except _Superseded:
        logger.info("import %s: another run took over or it was stopped", job.pk)
    except ImportFileError as exc:
        import_fail(job.pk, str(exc))
    else:
        _finish(job.pk)
    return ImportJob.objects.get(pk=job.pk)  # re-read: refresh_from_db() would open file_key


def import_housekeeping(*, now: datetime | None = None) -> list:
    """Fails abandoned or overlong imports, deletes stray files, and returns the ids of jobs that made no
    progress since the last call (their worker died: the caller queues them again, and they resume)."""
    from django.core.cache import cache

    now = now or timezone.now()
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=now - timedelta(days=1)):
        if awaiting_mapping(job):
            import_fail(job.pk, "The column mapping was never chosen; upload the file again.")
    for job_id in ImportJob.objects.filter(status__in=ACTIVE, created_at__lt=now - timedelta(hours=12)) \
            .values_list("pk", flat=True):
        import_fail(job_id, "The import took too long and was stopped; the rows imported so far are kept.")
    stalled = []
    for job in ImportJob.objects.filter(status__in=ACTIVE, created_at__lt=now - timedelta(minutes=10)):
        if awaiting_mapping(job):
            continue
        key = f"lte:import-progress:{job.pk}"
        if cache.get(key) == job.processed:
            stalled.append(job.pk)
        cache.set(key, job.processed, 3600)
    live = {str(pk) for pk in ImportJob.objects.filter(status__in=ACTIVE).values_list("pk", flat=True)}
    for path in imports_dir().iterdir():
        try:
            old = now.timestamp() - path.stat().st_mtime > 3600
        except FileNotFoundError:
            continue
        orphan = path.name.endswith(SUFFIX) and path.name[: -len(SUFFIX)] not in live
        if old and (path.name.endswith(PART_SUFFIX) or orphan):
            remove_file(path)
    return stalled
