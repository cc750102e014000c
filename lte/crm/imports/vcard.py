"""One vCard (2.1, 3.0 or 4.0) as the contact's raw fields, every person whole.

vobject reads the grammar (logical lines, folding, groups, parameters); the values are read here, because
vobject's own value parsing loses data real address books hold: a NOTE is cut at its first unescaped comma
(Android's 2.1 composer and Outlook don't escape them), QUOTED-PRINTABLE text with a byte outside its CHARSET
raises for the whole card, and a `PROFILE:VCard` line makes it drop the card. So each value is decoded
(QUOTED-PRINTABLE with its CHARSET, falling back to Windows-1252 for bytes that don't fit), unescaped, and
split into components only for the properties that have them (N, ADR, ORG).

Phone and email labels come from TYPE parameters (bare ones too, as 2.1 writes them) and from an Apple
`itemN.X-ABLabel` of the same group. What we have no field for (nickname, anniversary, department, …) is kept
as `extra` lines, which become a note on the contact; only technical properties (VERSION, PRODID, UID, REV,
photos, keys, layout hints) are left out.
"""

from __future__ import annotations

import io
import quopri
import re
from collections.abc import Iterator
from typing import Any

from vobject.base import ParseError, getLogicalLines, parseLine

from lte.crm.imports.readers import (
    _UNREADABLE,
    RawRow,
    _RowError,
    empty_fields,
    fix_cell,
    google_labels,
    split_name,
    vcard_chunks,
)

_TECHNICAL = {
    "BEGIN", "END", "VERSION", "PRODID", "UID", "REV", "PROFILE", "NAME", "SOURCE", "MAILER", "CLASS", "SORT-STRING",
    "PHOTO", "LOGO", "SOUND", "KEY", "XML", "CLIENTPIDMAP", "AGENT",
    "X-ABUID", "X-ABADR", "X-ABSHOWAS", "X-ABLABEL", "X-MS-OL-DESIGN", "X-MS-OL-DEFAULT-POSTAL-ADDRESS",
    "X-EVOLUTION-FILE-AS", "X-GENERATOR", "X-COUCHDB-APPLICATION-ANNOTATIONS", "X-MS-CARDPICTURE",
    "X-MOZILLA-HTML", "X-ANDROID-CUSTOM", "X-ACCOUNT", "X-IMAGETYPE", "X-IMAGEHASH", "X-SHAREDPHOTODISPLAYPREF",
}
_EXTRA_NAMES = {
    "NICKNAME": "Nickname", "ROLE": "Role", "ANNIVERSARY": "Anniversary", "X-ANNIVERSARY": "Anniversary",
    "X-MS-ANNIVERSARY": "Anniversary", "X-EVOLUTION-ANNIVERSARY": "Anniversary", "GENDER": "Gender",
    "LANG": "Language", "TZ": "Time zone", "GEO": "Location", "X-SPOUSE": "Spouse", "X-MS-SPOUSE": "Spouse",
    "X-EVOLUTION-SPOUSE": "Spouse", "X-MS-MANAGER": "Manager", "X-EVOLUTION-MANAGER": "Manager",
    "X-MS-ASSISTANT": "Assistant", "X-EVOLUTION-ASSISTANT": "Assistant", "X-PHONETIC-FIRST-NAME":
    "Phonetic first name", "X-PHONETIC-LAST-NAME": "Phonetic last name", "X-PHONETIC-MIDDLE-NAME":
    "Phonetic middle name", "MEMBER": "Member", "RELATED": "Related", "FBURL": "Free/busy", "CALURI": "Calendar",
    "CALADRURI": "Calendar address", "X-ABDATE": "Date", "X-ABRELATEDNAMES": "Related name",
    "X-MS-IMADDRESS": "IM", "IMPP": "IM", "X-AIM": "AIM", "X-ICQ": "ICQ", "X-JABBER": "Jabber", "X-MSN": "MSN",
    "X-YAHOO": "Yahoo", "X-SKYPE": "Skype", "X-SKYPE-USERNAME": "Skype", "X-GTALK": "Google Talk",
    "X-GOOGLE-TALK": "Google Talk", "X-QQ": "QQ", "X-SIP": "SIP", "X-TWITTER": "Twitter",
    "X-SOCIALPROFILE": "Social profile", "X-ASSISTANT": "Assistant", "X-MANAGER": "Manager",
    "X-DEPARTMENT": "Department", "X-MAIDENNAME": "Maiden name", "X-CUSTOM": "Custom",
}
_GENERIC_TYPES = {"internet", "pref", "voice", "x400", "msg", "postal", "parcel", "dom", "intl", "text", "video",
                  "bbs", "modem", "isdn", "pcs", "uri", "x-internet", "other"}
_TYPE_LABELS = {"cell": "mobile", "mobile": "mobile", "iphone": "mobile", "home": "home", "work": "work",
                "fax": "fax", "pager": "pager", "main": "main", "car": "car", "callback": "callback"}


def _unescape(value: str) -> str:
    """vCard text escapes: \\n, \\, \\; \\: and \\\\ (3.0/4.0; harmless on 2.1 text)."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _split(value: str, sep: str) -> list[str]:
    """Components split at unescaped separators, each unescaped."""
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [_unescape(p).strip() for p in parts]


def _params(raw: list[list[str]]) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for item in raw:
        if len(item) == 1:  # a 2.1 bare parameter: TEL;WORK;FAX
            name = item[0].upper()
            if name in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"):
                params.setdefault("ENCODING", []).append(name)
            else:
                params.setdefault("TYPE", []).append(item[0])
        else:
            params.setdefault(item[0].upper(), []).extend(v for v in item[1:])
    params["TYPE"] = [t.strip().casefold() for v in params.get("TYPE", []) for t in v.split(",") if t.strip()]
    return params


def _decode(value: str, params: dict[str, list[str]]) -> str | None:
    """The value's text (None for binary data); QUOTED-PRINTABLE decoded in its CHARSET."""
    encodings = {e.upper() for e in params.get("ENCODING", [])}
    if encodings & {"BASE64", "B"}:
        return None
    if "QUOTED-PRINTABLE" in encodings:
        raw = quopri.decodestring(value.replace("=\r\n", "").replace("=\n", "").encode("utf-8", "surrogateescape"))
        charset = (params.get("CHARSET") or ["utf-8"])[0]
        try:
            return fix_cell(raw.decode(charset, "surrogateescape"))
        except (LookupError, UnicodeDecodeError):
            return fix_cell(raw.decode("utf-8", "surrogateescape"))
    return fix_cell(value)


def _label(types: list[str], ab_label: str = "") -> str:
    if ab_label:
        return ab_label
    wanted = [t for t in types if t not in _GENERIC_TYPES]
    names = [_TYPE_LABELS.get(t, t.removeprefix("x-")) for t in wanted]
    if "fax" in names:
        place = next((n for n in names if n in ("home", "work")), "")
        return f"{place} fax".strip()
    return next((n for n in names if n == "mobile"), names[0] if names else "")


def parse_card(text: str) -> tuple[dict[str, Any], list[str]]:
    """The raw fields of one card (see readers.empty_fields) and warnings for the report."""
    lines: list[tuple[str, dict, str, str | None]] = []
    dropped = 0
    try:
        for line, number in getLogicalLines(io.StringIO(text), True):
            try:
                name, params, value, group = parseLine(line, number)
            except ParseError:
                if line.strip():
                    dropped += 1
                continue
            lines.append((name.upper(), _params(params), value, group))
    except ParseError:
        raise _RowError("the card could not be read as a vCard.") from None
    if not any(name == "BEGIN" for name, *_ in lines):
        raise _RowError("the card could not be read as a vCard.")
    warnings = [f"{dropped} unreadable line{'s' if dropped > 1 else ''} of the card "
                f"{'were' if dropped > 1 else 'was'} left out."] if dropped else []
    labels = {group: _unescape(value).strip() for name, _p, value, group in lines
              if name == "X-ABLABEL" and group}
    fields = empty_fields()
    names: list[tuple[str, str]] = []
    full_names: list[str] = []
    kind = ""
    has_adr = any(name == "ADR" for name, *_ in lines)
    for name, params, raw, group in lines:
        if name in ("BEGIN", "END") or name in _TECHNICAL or (name == "LABEL" and has_adr):
            continue  # (a LABEL is the printed form of an ADR: kept only when the card has no ADR)
        value = _decode(raw, params)
        if value is None:
            continue
        ab_label = labels.get(group, "") if group else ""
        if name == "KIND":
            kind = value.strip().casefold()
        elif name == "N":
            parts = _split(value, ";") + [""] * 5
            family, given, additional, prefix, suffix = parts[:5]
            names.append((" ".join(f"{given} {additional.replace(',', ' ')}".split()), family))
            if len(names) == 1:
                fields["extra"] += [(label, v) for label, v in (("Name prefix", prefix), ("Name suffix", suffix))
                                    if v]
        elif name == "FN":
            full_names.append(_unescape(value).strip())
        elif name == "ORG":
            parts = [p for p in _split(value, ";") if p]
            if parts and not fields["company"]:
                fields["company"] = parts[0]
                fields["extra"] += [("Department", p) for p in parts[1:]]
            elif parts:
                fields["extra"].append(("Company", ", ".join(parts)))
        elif name == "TITLE":
            if not fields["job_title"]:
                fields["job_title"] = _unescape(value).strip()
            else:
                fields["extra"].append(("Job title", _unescape(value).strip()))
        elif name == "EMAIL":
            fields["emails"].append((_unescape(value).strip(), _label(params["TYPE"], ab_label)))
        elif name in ("TEL", "X-MS-TEL"):
            number = _unescape(value).strip()
            extension = ""
            if number.casefold().startswith("tel:"):
                number, _, rest = number[4:].partition(";")
                extension = next((p[4:] for p in rest.split(";") if p.casefold().startswith("ext=")), "")
            label = _label(params["TYPE"], ab_label)
            if extension:
                label = f"{label} ext. {extension}".strip()
            fields["phones"].append((number, label))
        elif name in ("ADR", "LABEL"):
            if name == "ADR":
                box, extended, street, city, region, code, country = (_split(value, ";") + [""] * 7)[:7]
                locality = " ".join(p for p in (code, city) if p)
                text_value = ", ".join(p for p in (box, extended, street, locality, region, country) if p)
            else:
                text_value = _unescape(value).strip()
            if text_value:
                fields["addresses"].append((text_value, _label(params["TYPE"], ab_label)))
        elif name == "URL":
            fields["urls"].append((_unescape(value).strip(), _label(params["TYPE"], ab_label)))
        elif name == "BDAY":
            bday = _unescape(value).strip()
            omit_year = (params.get("X-APPLE-OMIT-YEAR") or [""])[0]
            if omit_year and bday.startswith(omit_year):
                bday = "--" + bday[len(omit_year):].lstrip("-")
            fields["birthday"] = bday
        elif name == "CATEGORIES":
            # Escaped commas too: some tools (a Thunderbird add-on) escape the separators of the list itself.
            fields["tags"] += google_labels([t for part in _split(value, ",") for t in part.split(",")])
        elif name == "NOTE":
            note = _unescape(value).strip()
            if note:
                fields["notes"].append(note)
        else:
            text_value = _unescape(value).strip()
            if text_value:
                label = ab_label.removeprefix("_$!<").removesuffix(">!$_") or _EXTRA_NAMES.get(name) or \
                    name.removeprefix("X-").replace("-", " ").capitalize()
                fields["extra"].append((label, text_value))
    if names:
        fields["first_name"], fields["last_name"] = names[0]
        for first, last in names[1:]:
            fields["extra"].append(("Also written", f"{first} {last}".strip()))
    full = next((f for f in full_names if f), "")
    if not (fields["first_name"] or fields["last_name"]) and full:
        if kind in ("group", "org", "organization") or full == fields["company"]:
            fields["company"] = fields["company"] or full
        else:
            fields["first_name"], fields["last_name"] = split_name(full)
    fields["extra"] += [("Also written", f) for f in full_names[1:] if f and f != full]
    if kind in ("group", "org", "organization", "location"):
        fields["extra"].append(("Kind", kind))
    for value in _values(fields):
        if _UNREADABLE.search(value.replace("\n", " ").replace("\t", " ")):
            raise _RowError("the card contains unreadable characters (binary data, or text in another encoding).")
    return fields, warnings


def _values(fields: dict[str, Any]):
    for value in fields.values():
        if isinstance(value, str):
            yield value
        else:
            for item in value:
                yield from (item if isinstance(item, tuple) else (item,))


def vcard_rows(text: io.TextIOBase) -> Iterator[RawRow]:
    for number, card, error, warnings in vcard_chunks(text):
        if card is None:
            yield RawRow(number, None, error)
            continue
        try:
            fields, more = parse_card(card)
        except _RowError as exc:
            yield RawRow(number, None, str(exc))
            continue
        yield RawRow(number, fields, None, warnings + more)
