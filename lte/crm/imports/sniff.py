"""Recognising a file: binary or text, its encoding, vCard or CSV, which CSV layout, and the column plan."""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import charset_normalizer
from django.core.exceptions import ValidationError

from lte.crm.imports import layouts, limits
from lte.crm.imports.archive import is_zip, scan_archive
from lte.crm.imports.limits import FIELDS, MAX_MAPPING_CHARS, MULTI_FIELDS, ImportTooLarge
from lte.crm.imports.readers import csv_records, quote, vcard_chunks
from lte.crm.imports.upload import CHUNK, open_plaintext, open_text, too_large_message

SAMPLE = 64 * 1024
HEAD_CHARS = 4096  # what the format and the delimiter are judged on
DELIMITERS = ",;\t|"
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
    """The file's encoding. The certain tests first: a BOM; UTF-16 without one (a zero in every other byte);
    UTF-8 (every line with an accent decodes, or nearly every one: a damaged row stays that row's problem).
    Only a file that is none of these is left to charset-normalizer, to tell a Cyrillic, Greek, Hebrew or
    Arabic code page from a Western one; between the Latin code pages it can't tell apart on a few names (it
    reads a Spanish "Muñoz" in Windows-1250 as "Muńoz"), so a Latin text is read as Windows-1252, or Latin-1
    when it holds bytes Windows-1252 leaves undefined. Reads the whole file: a Latin-1 file whose first accent
    is 10 MB in would otherwise be read as broken UTF-8."""
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
        clean = 0  # lines with non-ASCII bytes that are valid UTF-8
        broken: list[bytes] = []  # the first of those that are not, for charset-normalizer
        broken_count = broken_size = 0
        cp1252_ok = True
        carry = b""
        data = head
        while data:
            cp1252_ok = cp1252_ok and not any(b in data for b in _CP1252_UNDEFINED)
            lines = (carry + data).split(b"\n")
            carry = lines.pop()
            if len(carry) > limits.MAX_LINE:
                lines.append(carry)
                carry = b""
            for line in lines:
                if not line.isascii():
                    try:
                        line.decode("utf-8")
                        clean += 1
                    except UnicodeDecodeError:
                        broken_count += 1
                        if broken_size < SAMPLE:
                            broken.append(line)
                            broken_size += len(line) + 1
            data = plain.read(CHUNK)
        if carry and not carry.isascii():
            try:
                carry.decode("utf-8")
                clean += 1
            except UnicodeDecodeError:
                broken_count += 1
                broken.append(carry)
    # UTF-8 text with a damaged row stays UTF-8 (that row is reported); in a single-byte encoding nearly
    # every line with an accent is invalid UTF-8.
    if broken_count == 0 or clean > broken_count:
        return "utf-8"
    return _code_page(b"\n".join(broken), cp1252_ok=cp1252_ok)


# The single-byte code pages a contact file comes in (Windows' and the older Cyrillic ones).
_CODE_PAGES = ["cp1252", "latin_1", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257",
               "cp1258", "koi8_r", "koi8_u", "mac_roman"]
# The scripts other than Latin those code pages hold; a file in Turkish, Baltic or Central European code pages
# can't be told from a Western one on a few names, and is read as Windows-1252.
_OTHER_SCRIPTS = {"Cyrillic", "Greek and Coptic", "Hebrew", "Arabic"}


def _code_page(lines: bytes, *, cp1252_ok: bool) -> str:
    """The code page of the lines that are not UTF-8: charset-normalizer's reading in another script than
    Latin when it is less of a mess than every Latin one (on a few short names they all score the same, and
    those stay Western, as before), else Windows-1252 (or Latin-1, when the file has bytes Windows-1252 leaves
    undefined). Between scripts, the one whose letters read most like a language wins: the library's own
    first choice can be Hebrew for a Russian file whose cells end in "€"."""
    matches = charset_normalizer.from_bytes(lines, cp_isolation=_CODE_PAGES)
    latin = [m for m in matches if not _OTHER_SCRIPTS.intersection(m.alphabets)]
    other = sorted((m for m in matches if _OTHER_SCRIPTS.intersection(m.alphabets)),
                   key=lambda m: (-m.coherence, m.chaos))
    if other and (not latin or other[0].chaos < min(m.chaos for m in latin)):
        return codecs.lookup(other[0].encoding).name
    return "cp1252" if cp1252_ok else "latin-1"


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
        key = layouts.key(cell)
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
    return columns is not None and any(columns.get(f) for f in ("first_name", "last_name", "name", "emails", "phones"))


def _delimiter(head: str) -> str:
    """The CSV's delimiter, from its first lines (the last one dropped when the sample cuts it short)."""
    lines = head.splitlines(keepends=True)
    sample = "".join(lines[:-1]) if len(lines) > 1 and len(head) >= HEAD_CHARS else head
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or nothing consistent enough to tell
        return ","


def scan(path: Path, key: bytes, *, file_format: str | None = None) -> tuple[dict, list[str]]:
    """The plan of a stored upload (format, encoding, layout, columns, rows) and, for a CSV, its header
    (kept in memory only). Raises ValidationError for a file we can't read, ImportTooLarge over limits.MAX_ROWS."""
    with open_plaintext(path, key) as plain:
        if is_zip(plain.read(4)):
            return scan_archive(path, key), []
    encoding = detect_encoding(path, key)
    with open_text(path, key, encoding) as text:
        head = text.read(HEAD_CHARS)
    stripped = head.lstrip("\ufeff \t\r\n")
    detected = "vcard" if stripped[:11].upper() == "BEGIN:VCARD" else "csv"
    fmt = file_format or detected
    if fmt == "vcard":
        if detected != "vcard":
            raise ValidationError({"file": "This is not a vCard file (it does not start with BEGIN:VCARD)."})
        plan: dict[str, Any] = {"format": "vcard", "encoding": encoding, "layout": "vcard", "columns": {}}
        count = sum(1 for _ in _limited(vcard_rows_count(path, key, encoding)))
        plan["records"] = count
        return plan, []
    delimiter = _delimiter(head)
    plan = {"format": "csv", "encoding": encoding, "delimiter": delimiter}  # grows with what the scan finds
    header: list[str] = []
    records = 0
    with open_text(path, key, encoding) as text:
        for _number, cells, error in csv_records(text, delimiter):
            if records == 0 and error is None and cells is not None:
                header = cells
            records += 1
            if records > limits.MAX_ROWS + 1:
                raise ImportTooLarge(too_large_message())
    if not header:
        raise ValidationError({"file": "We could not find a header row in this CSV file."})
    layout = layouts.detect_layout(header)
    plan |= {"layout": layout, "header": True, "width": len(header), "records": records}
    plan["columns"] = None if layout == "custom" else {}
    if layout != "custom":
        plan["spec"] = layouts.spec_for(layout, header)
    return plan, header


def vcard_rows_count(path: Path, key: bytes, encoding: str) -> Iterator[int]:
    with open_text(path, key, encoding) as text:
        for number, *_rest in vcard_chunks(text):
            yield number


def _limited(items: Iterator[Any]) -> Iterator[Any]:
    for count, item in enumerate(items, start=1):
        if count > limits.MAX_ROWS:
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
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            raise ValidationError({"mapping": "is not JSON (or is nested too deeply)."}) from None
    if not isinstance(raw, dict):
        raise ValidationError({"mapping": "is a JSON object such as {\"first_name\": \"Given\", \"emails\": "
                                          "[\"Mail 1\", \"Mail 2\"]}."})
    unknown = [k for k in raw if k not in (*FIELDS, "header")]
    if unknown:
        raise ValidationError({"mapping": f"knows only {', '.join(FIELDS)} and header; not {quote(unknown[0])}."})
    if not isinstance(raw.get("header", True), bool):
        raise ValidationError({"mapping": "header is true or false."})
    for name in FIELDS:  # the shape now, so that the job never stores (or chokes on) anything deeper
        given = raw.get(name)
        items = given if isinstance(given, list) else [given]
        if not all(item is None or (isinstance(item, int | str) and not isinstance(item, bool)) for item in items):
            raise ValidationError({"mapping": f"{name}: give column names or 0-based positions."})
    return raw


def resolve_mapping(mapping: dict, header: list[str]) -> tuple[dict[str, list[int]], bool]:
    """Column names or positions to positions, checked against the file's header."""
    by_name: dict[str, int] = {}
    for i, name in enumerate(header):
        by_name.setdefault(name.strip(), i)
        by_name.setdefault(layouts.norm(name), i)
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
                position = by_name.get(item.strip(), by_name.get(layouts.norm(item), -1))
                if position < 0:
                    raise ValidationError({"mapping": f"{name}: there is no column {quote(item)} in the file."})
            columns.setdefault(name, [])
            if position not in columns[name]:
                columns[name].append(position)
    if not _usable(columns):
        raise ValidationError({"mapping": "Choose at least one column for a name, an email or a phone number."})
    return columns, header_flag

