"""Reading rows: CSV records and vCards as raw contact fields, one row in memory at a time."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lte.crm.imports import layouts, limits
from lte.crm.imports.limits import QUOTE_MAX
from lte.lib.spreadsheet import unneutralise


def _lines(text: io.TextIOBase, limit: int | None = None) -> Iterator[str]:
    """Physical lines, each at most `limit` characters: a longer one is drained and replaced by a marker
    followed by its first 200 characters."""
    limit = limit or limits.MAX_LINE
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
    "lte": re.compile(r"\s*\|\s*"),  # our export joins a list with " | ": a tag "a;b" stays one tag
    "google": re.compile(r"\s*:::\s*"),
    "custom": re.compile(r"\s*(?:[|;,]|:::)\s*"),
    "outlook": re.compile(r"\s*;\s*"),  # Categories: "Customers;VIP"
    "thunderbird": re.compile(r"\s*;\s*"),
}
_REACH_SPLIT = re.compile(r"\s*[|;]\s*")


def quote(value: str, *, cut: bool = True) -> str:
    """A value in quotes: cut to QUOTE_MAX characters on one line, or (cut=False, for a note) as typed."""
    if not cut:
        return f"“{str(value).replace(chr(0), '')}”"
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
            yield number, None, f"the row is longer than {limits.MAX_LINE:,} characters, so it was not read."
            continue
        yield number, [fix_cell(c) for c in cells], None


def empty_fields() -> dict[str, Any]:
    """The raw fields of a row, as every reader gives them (rows.prepare validates them):
    texts, lists of texts, (value, label) pairs for emails, phones, addresses and websites, and `extra`
    (label, value) pairs for whatever else the row holds, which is kept in a note on the contact."""
    return {"id": "", "first_name": "", "last_name": "", "company": "", "job_title": "", "emails": [],
            "phones": [], "addresses": [], "urls": [], "birthday": "", "source": "", "stage": "", "tags": [],
            "notes": [], "extra": [], "customer_since": "", "reorder_every_days": "", "stay_in_touch_days": "",
            "social": []}


def fix_cell(value: str) -> str:
    """Bytes that were not valid in the file's encoding (kept as surrogates by the reader, see
    upload.open_text) are read as Windows-1252, each on its own: a Latin-1 "José" inside a UTF-8 file comes
    in as "José", and only the bad bytes fall back, not the cell, the row or the file."""
    if _SURROGATE.search(value):
        return _SURROGATE.sub(lambda m: bytes([ord(m.group()) - 0xDC00]).decode("cp1252", "replace"), value)
    return value


_SURROGATE = re.compile("[\udc80-\udcff]")


def extract_cells(cells: list[str], plan: dict) -> dict[str, Any]:
    """A CSV record as the contact's raw fields, following the plan's spec (see layouts)."""
    layout, width = plan["layout"], plan.get("width") or 0
    if plan.get("header", True) and len(cells) > width and any(c.strip() for c in cells[width:]):
        raise _RowError(f"the row has {len(cells):,} cells but the header has {width:,}: check for an unquoted "
                        "comma or semicolon in this row.")
    ours = layout == "lte"

    def cell(i: int | None) -> str:
        if i is None or i >= len(cells):
            return ""
        value = fix_cell(cells[i]).strip()
        if ours:
            value = unneutralise(value)  # our export starts formula-looking cells with an apostrophe
        if _UNREADABLE.search(value):
            raise _RowError("the row contains unreadable characters (binary data, or text in another encoding).")
        return value

    split = _SPLIT[layout].split
    # An email or a phone can't hold a semicolon, so one typed between them (in a spreadsheet) separates them too.
    split_reach = _REACH_SPLIT.split if ours else split
    fields = empty_fields()
    texts: dict[str, list[str]] = {}
    addresses: dict[str, dict] = {}
    birth: dict[str, str] = {}
    aligned: dict[str, list[str]] = {}
    extra_json = ""
    for entry in plan.get("spec") or layouts.spec_from_columns(plan.get("columns") or {}):
        field, value = entry["field"], cell(entry["col"])
        if not value:
            continue
        label = entry.get("label") or ""
        if "label_col" in entry and entry["label_col"] is not None:
            label = cell(entry["label_col"]) or label
        if field in layouts.TEXT_FIELDS:
            texts.setdefault(field, []).append(value)
        elif field in ("emails", "phones", "urls"):
            for part in (split_reach if field != "urls" else split)(value):
                if part:
                    fields[field].append((_unquote_phone(part) if field == "phones" else part, label))
        elif field in ("tags", "social"):
            fields[field] += [part for part in split(value) if part]
        elif field == "notes":
            fields["notes"].append(value)
        elif field == "addresses":
            group = addresses.setdefault(entry.get("group", ""), {"label": label, "parts": {}})
            group["label"] = group["label"] or label
            group["parts"].setdefault(entry.get("part", "formatted"), []).append(value)
        elif field == "addresses_json":
            extra_json = value
        elif field == "aligned_labels":
            aligned[entry["of"]] = re.split(r"\s*\|\s*", value)  # empty labels keep their place
        elif field == "birth_part":
            birth[entry["part"]] = value
        elif field == "extra":
            if entry.get("service_col") is not None and cell(entry["service_col"]):
                label = f"{label} ({cell(entry['service_col'])})"
            fields["extra"].append((label or "Other", value))
    for name, values in texts.items():
        fields[name] = " ".join(values)
    if texts.get("middle_name"):
        fields["first_name"] = " ".join(p for p in (fields["first_name"], fields.pop("middle_name")) if p)
    fields.pop("middle_name", None)
    for name, labels in aligned.items():  # our export: labels in a column of their own, in the same order
        fields[name] = [(value, labels[i].strip() if i < len(labels) else "") for i, (value, _) in
                        enumerate(fields[name])]
    for group in addresses.values():
        if text := _address_text(group["parts"]):
            fields["addresses"].append((text, group["label"]))
    if extra_json:
        fields["addresses"] += _json_addresses(extra_json, fields["extra"])
    if birth.get("month") and birth.get("day"):
        year = birth.get("year", "")
        fields["birthday"] = (f"{year}-" if year else "--") + f"{birth['month'].zfill(2)}-{birth['day'].zfill(2)}"
    name = fields.pop("name", "")
    if not (fields["first_name"] or fields["last_name"]) and name:
        fields["first_name"], fields["last_name"] = split_name(name)
    elif name and name != f"{fields['first_name']} {fields['last_name']}".strip():
        fields["extra"].append(("Display name", name))
    if layout == "google":
        fields["tags"] = google_labels(fields["tags"])
        for kind in ("emails", "phones", "urls"):
            fields[kind] = [(v, label.lstrip("* ").strip()) for v, label in fields[kind]]
    return fields


def _address_text(parts: dict[str, list[str]]) -> str:
    """One address from its columns: the formatted one as written, else street, city, region, code, country."""
    if parts.get("whole"):  # our export: the address as the seller wrote it
        return "\n".join(parts["whole"])
    if parts.get("formatted"):
        return ", ".join(line.strip() for text in parts["formatted"] for line in text.splitlines() if line.strip())
    street = [p for name in ("box", "street", "street2", "street3", "extended") for p in parts.get(name, [])]
    locality = " ".join(p for name in ("code", "city") for p in parts.get(name, []))
    lines = [*street, locality, *parts.get("region", []), *parts.get("country", [])]
    return ", ".join(line for line in lines if line)


def _json_addresses(text: str, extra: list) -> list[tuple[str, str]]:
    """other_addresses of our export: JSON [{label, value}]. Anything else is kept as typed."""
    try:
        items = json.loads(text)
        return [(str(i["value"]), str(i.get("label") or "")) for i in items if isinstance(i, dict) and i.get("value")]
    except (ValueError, TypeError, KeyError):
        extra.append(("Other addresses", text))
        return []


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
            yield RawRow(number, extract_cells(cells, plan))
        except _RowError as exc:
            yield RawRow(number, None, str(exc))


_SKIPPED_PROPERTIES = ("PHOTO", "LOGO", "SOUND", "KEY")  # big base64 blobs we don't import


def vcard_chunks(text: io.TextIOBase) -> Iterator[tuple[int, str | None, str | None, list[str]]]:
    """Each card's text (number, text, error, warnings), one card in memory at a time, photos dropped.
    Text outside the cards is reported under the number of the card before it."""
    number = 0
    lines: list[str] | None = None
    size = depth = prop_size = 0
    skipping = too_long = stray = False
    reason = CARD_TOO_LONG
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
                reason, prop_size = CARD_TOO_LONG, 0
            elif bare:
                stray = True
            continue
        if not line.strip() and not lines[-1].endswith("="):
            continue  # blank lines inside a card (the iPhone writes \r\r\n) hold nothing, but one after a
            # QUOTED-PRINTABLE soft line break ends that value
        if line[:1] in (" ", "\t"):  # a folded continuation of the line before
            if not skipping:
                too_long = too_long or long
                lines.append(line)
                size += len(line)
                prop_size += len(line)
        else:
            name = re.split(r"[;:]", bare, maxsplit=1)[0].rpartition(".")[2]
            skipping = name in _SKIPPED_PROPERTIES
            prop_size = 0
            if not skipping:
                too_long = too_long or long
                lines.append(line)
                size += len(line)
                prop_size = len(line)
            if bare == "BEGIN:VCARD":
                depth += 1
            elif bare == "END:VCARD":
                depth -= 1
        if prop_size > limits.MAX_PROPERTY:  # unfolding it would make one huge value for vobject to parse
            too_long, reason = True, PROPERTY_TOO_LONG
            lines, size, prop_size, skipping = ["BEGIN:VCARD"], 0, 0, True
        if size > limits.MAX_CARD:  # keep counting BEGIN/END, but stop holding the card
            too_long = True
            lines, size = ["BEGIN:VCARD"], 0
        if depth == 0:
            card = "\n".join(lines) + "\n"
            lines = None
            yield (number, None, reason, []) if too_long else (number, card, None, [])
    if lines is not None:
        if too_long:
            yield number, None, reason, []
        else:
            yield number, "\n".join(lines) + "\nEND:VCARD\n", None, [
                "the card has no END:VCARD line (the file may be cut short); what it holds was imported."]
    elif stray:
        yield number, None, STRAY_TEXT, []


STRAY_TEXT = "text outside BEGIN:VCARD … END:VCARD (after this card) was ignored."
CARD_TOO_LONG = "the card is too large (or has a line too long) to be read."
PROPERTY_TOO_LONG = (f"one of the card's values is longer than {limits.MAX_PROPERTY:,} characters once its folded "
                     "lines are joined; the card was not imported.")
