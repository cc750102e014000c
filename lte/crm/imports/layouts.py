"""Which column of a CSV holds what: our own export, Google Contacts (today's and the older layout), Outlook and
Thunderbird are recognised by their headers; any other CSV goes through a mapping (given, or guessed).

A layout is turned into a *spec*: one entry per useful column, `{"col": i, "field": f, ...}`, with
- `label`: a fixed label for the value ("mobile", "work fax"), or `label_col`: the column holding it (Google's
  "Phone 1 - Label");
- `group` and `part` for addresses written over several columns ("Home Street", "Home City"…);
- for `extra`, `label` names what the value is ("Nickname", "Department"), kept in a note on the contact.
The spec holds column positions and our own field names, never the file's header text, so the plan stored with
a job says nothing about the file's contents.
"""

from __future__ import annotations

import re

from lte.crm.fields import FIELDS
from lte.crm.text import fold

# Fields a spec entry can fill (readers.extract_cells reads them).
TEXT_FIELDS = ("id", "first_name", "middle_name", "last_name", "name", "company", "job_title", "birthday",
               "source", "stage", "customer_since", "reorder_every_days", "stay_in_touch_days",
               "created_at", "updated_at",
               "last_contacted_at")

# Our export: contacts.csv's columns (lte.crm.fields), by header. A field's column holds its values; the column
# of their labels is read alongside ("address", "address_label" and "other_addresses" make up the addresses).
# A notes column is read too (our export writes notes.csv, but a seller may add one).
_LTE_ADDRESS = ("address", "address_label", "other_addresses")
_LTE = {**{f.column: f.name for f in FIELDS if f.column and f.column not in _LTE_ADDRESS}, "notes": "notes"}
_LTE_ALIGNED = {f.labels: f.name for f in FIELDS if f.labels and f.labels not in _LTE_ADDRESS}


def norm(header: str) -> str:
    return " ".join(header.replace("\ufeff", "").split()).casefold()


def key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(header))


def detect_layout(header: list[str]) -> str:
    names = {norm(h) for h in header}
    if {"first_name", "last_name", "emails", "phones"} <= names:
        return "lte"
    if any(re.fullmatch(r"(e-mail|phone|address|website|organization) \d+ - (value|formatted|name|type|label)", n)
           for n in names) and names & {"first name", "given name", "name", "last name", "family name"}:
        return "google"
    if {"e-mail address", "business phone", "mobile phone"} & names and "first name" in names:
        return "outlook"
    if {"primary email", "mobile number", "display name"} & names and "first name" in names:
        return "thunderbird"
    return "custom"


def spec_for(layout: str, header: list[str]) -> list[dict]:
    return {"lte": _lte, "google": _google, "outlook": _outlook, "thunderbird": _thunderbird}[layout](
        [norm(h) for h in header])


def _lte(names: list[str]) -> list[dict]:
    spec, seen = [], set()
    for i, name in enumerate(names):
        if name in seen:
            continue
        seen.add(name)
        if name in _LTE:
            spec.append({"col": i, "field": _LTE[name]})
        elif name in _LTE_ALIGNED:
            spec.append({"col": i, "field": "aligned_labels", "of": _LTE_ALIGNED[name]})
        elif name == "address":
            spec.append({"col": i, "field": "addresses", "group": "1", "part": "whole", "label_col": None})
        elif name == "address_label":
            spec.append({"col": i, "field": "address_label"})
        elif name == "other_addresses":
            spec.append({"col": i, "field": "addresses_json"})
    address_label = next((e["col"] for e in spec if e["field"] == "address_label"), None)
    for entry in spec:
        if entry["field"] == "addresses":
            entry["label_col"] = address_label
    return [e for e in spec if e["field"] != "address_label"]


_GOOGLE_NUMBERED = re.compile(r"^(e-mail|phone|address|website|organization|relation|event|im|custom field) "
                              r"(\d+) - (.+)$")
_GOOGLE_ADDRESS = {"formatted": "formatted", "street": "street", "city": "city", "po box": "box",
                   "region": "region", "postal code": "code", "country": "country",
                   "extended address": "extended"}
_GOOGLE_EXTRA = {"nickname": "Nickname", "name prefix": "Name prefix", "name suffix": "Name suffix",
                 "phonetic first name": "Phonetic first name", "phonetic middle name": "Phonetic middle name",
                 "phonetic last name": "Phonetic last name", "organization department": "Department",
                 "file as": "File as", "maiden name": "Maiden name", "occupation": "Occupation",
                 "gender": "Gender", "location": "Location", "hobby": "Hobby", "language": "Language",
                 "short name": "Short name", "yomi name": "Yomi name", "billing information": "Billing information",
                 "mileage": "Mileage", "priority": "Priority", "subject": "Subject", "sensitivity": "Sensitivity",
                 "directory server": "Directory server", "initials": "Initials"}


def _google(names: list[str]) -> list[dict]:
    """Google Contacts: 'First Name, Middle Name, Last Name, …, Phone 1 - Label, Phone 1 - Value' (today) and
    'Name, Given Name, Additional Name, Family Name, …, Phone 1 - Type, Phone 1 - Value' (the older export)."""
    spec: list[dict] = []
    by_name = {n: i for i, n in reversed(list(enumerate(names)))}

    def col(*candidates: str) -> int | None:
        return next((by_name[c] for c in candidates if c in by_name), None)

    for field, candidates in (("first_name", ("first name", "given name")),
                              ("middle_name", ("middle name", "additional name")),
                              ("last_name", ("last name", "family name")), ("name", ("name",)),
                              ("company", ("organization name",)), ("job_title", ("organization title",)),
                              ("birthday", ("birthday",)), ("notes", ("notes",)),
                              ("tags", ("labels", "group membership"))):
        if (i := col(*candidates)) is not None:
            spec.append({"col": i, "field": field})
    for name, label in _GOOGLE_EXTRA.items():
        if name in by_name:
            spec.append({"col": by_name[name], "field": "extra", "label": label})
    groups: dict[tuple[str, str], dict[str, int]] = {}
    for i, name in enumerate(names):
        if m := _GOOGLE_NUMBERED.match(name):
            groups.setdefault((m.group(1), m.group(2)), {}).setdefault(m.group(3), i)
    for (kind, number), parts in sorted(groups.items(), key=lambda g: (g[0][0], int(g[0][1]))):
        label_col = parts.get("label", parts.get("type"))
        if kind in ("e-mail", "phone", "website") and "value" in parts:
            field = {"e-mail": "emails", "phone": "phones", "website": "urls"}[kind]
            spec.append({"col": parts["value"], "field": field, "label_col": label_col})
        elif kind == "address":
            for part, i in parts.items():
                if part in _GOOGLE_ADDRESS:
                    spec.append({"col": i, "field": "addresses", "group": f"g{number}",
                                 "part": _GOOGLE_ADDRESS[part], "label_col": label_col})
        elif kind == "organization":
            if "name" in parts:
                spec.append({"col": parts["name"], "field": "company" if number == "1" else "extra",
                             "label": "Company"})
            if "title" in parts:
                spec.append({"col": parts["title"], "field": "job_title" if number == "1" else "extra",
                             "label": "Job title"})
            for part in ("department", "location", "job description", "symbol", "yomi name"):
                if part in parts:
                    spec.append({"col": parts[part], "field": "extra", "label": part.capitalize()})
        elif kind in ("relation", "event", "custom field", "im") and "value" in parts:
            default = {"relation": "Relation", "event": "Date", "custom field": "Custom field", "im": "IM"}[kind]
            spec.append({"col": parts["value"], "field": "extra", "label": default, "label_col": label_col,
                         **({"service_col": parts["service"]} if "service" in parts else {})})
    return spec


_PHONE_COLUMNS = {
    # Outlook
    "primary phone": "main", "home phone": "home", "home phone 2": "home", "mobile phone": "mobile",
    "business phone": "work", "business phone 2": "work", "business fax": "work fax", "home fax": "home fax",
    "other fax": "fax", "other phone": "other", "pager": "pager", "car phone": "car",
    "company main phone": "company main", "assistant's phone": "assistant", "callback": "callback",
    "isdn": "isdn", "radio phone": "radio", "telex": "telex", "tty/tdd phone": "tty",
    # Thunderbird
    "work phone": "work", "fax number": "fax", "pager number": "pager", "mobile number": "mobile",
}
_EMAIL_COLUMNS = {"e-mail address": "", "e-mail 2 address": "", "e-mail 3 address": "",
                  "primary email": "", "secondary email": ""}
_ADDRESS_COLUMNS = {
    # Outlook: Business/Home/Other Street (2, 3), City, State, Postal Code, Country/Region, PO Box
    **{f"{g} {p}": (g, part) for g in ("business", "home", "other") for p, part in (
        ("street", "street"), ("street 2", "street2"), ("street 3", "street3"), ("city", "city"),
        ("state", "region"), ("postal code", "code"), ("country/region", "country"), ("country", "country"),
        ("po box", "box"))},
    # Thunderbird: Home/Work Address (2), City, State, ZipCode, Country
    **{f"{g} {p}": (g, part) for g in ("home", "work") for p, part in (
        ("address", "street"), ("address 2", "street2"), ("city", "city"), ("state", "region"),
        ("zipcode", "code"), ("country", "country"))},
}
_ADDRESS_LABELS = {"business": "work", "work": "work", "home": "home", "other": "other"}
_OTHER_COLUMNS = {
    "first name": ("first_name", None), "middle name": ("middle_name", None), "last name": ("last_name", None),
    "company": ("company", None), "organization": ("company", None), "job title": ("job_title", None),
    "birthday": ("birthday", None), "notes": ("notes", None), "categories": ("tags", None),
    "web page": ("urls", ""), "web page 1": ("urls", ""), "web page 2": ("urls", ""),
    "personal web page": ("urls", "home"), "display name": ("name", None),
    "title": ("extra", "Title"), "suffix": ("extra", "Name suffix"), "nickname": ("extra", "Nickname"),
    "department": ("extra", "Department"), "anniversary": ("extra", "Anniversary"),
    "spouse": ("extra", "Spouse"), "children": ("extra", "Children"), "manager's name": ("extra", "Manager"),
    "assistant's name": ("extra", "Assistant"), "office location": ("extra", "Office"),
    "profession": ("extra", "Profession"), "hobby": ("extra", "Hobby"), "gender": ("extra", "Gender"),
    "language": ("extra", "Language"), "location": ("extra", "Location"), "referred by": ("extra", "Referred by"),
    "initials": ("extra", "Initials"), "screen name": ("extra", "Screen name"), "user 1": ("extra", "User 1"),
    "user 2": ("extra", "User 2"), "user 3": ("extra", "User 3"), "user 4": ("extra", "User 4"),
    "custom 1": ("extra", "Custom 1"), "custom 2": ("extra", "Custom 2"), "custom 3": ("extra", "Custom 3"),
    "custom 4": ("extra", "Custom 4"), "account": ("extra", "Account"), "billing information": ("extra", "Billing"),
    "government id number": ("extra", "Government ID"), "organizational id number": ("extra", "Organizational ID"),
    "internet free busy": ("extra", "Free/busy"), "directory server": ("extra", "Directory server"),
    "mileage": ("extra", "Mileage"), "e-mail display name": (None, None), "e-mail 2 display name": (None, None),
    "e-mail 3 display name": (None, None), "e-mail type": (None, None), "e-mail 2 type": (None, None),
    "e-mail 3 type": (None, None), "priority": (None, None), "private": (None, None), "sensitivity": (None, None),
}


def _outlook(names: list[str]) -> list[dict]:
    """Outlook's 'export to a comma separated values file' layout (its headers are fixed)."""
    return _fixed(names)


def _thunderbird(names: list[str]) -> list[dict]:
    """Thunderbird's address book export (comma or tab separated), birth date in three columns."""
    spec = _fixed(names)
    for i, name in enumerate(names):
        if name in ("birth year", "birth month", "birth day"):
            spec.append({"col": i, "field": "birth_part", "part": name.split()[1]})
    return spec


def _fixed(names: list[str]) -> list[dict]:
    spec: list[dict] = []
    for i, name in enumerate(names):
        if name in _PHONE_COLUMNS:
            spec.append({"col": i, "field": "phones", "label": _PHONE_COLUMNS[name]})
        elif name in _EMAIL_COLUMNS:
            spec.append({"col": i, "field": "emails", "label": _EMAIL_COLUMNS[name]})
        elif name in _ADDRESS_COLUMNS:
            group, part = _ADDRESS_COLUMNS[name]
            spec.append({"col": i, "field": "addresses", "group": group, "part": part,
                         "label": _ADDRESS_LABELS[group]})
        elif name in _OTHER_COLUMNS:
            field, label = _OTHER_COLUMNS[name]
            if field is not None:
                spec.append({"col": i, "field": field, **({"label": label} if label is not None else {})})
    return spec


def spec_from_columns(columns: dict[str, list[int]]) -> list[dict]:
    """A mapping ({field: [positions]}, from the seller or guessed) as a spec."""
    spec = []
    for field, positions in columns.items():
        for i in positions:
            if field in ("address", "address_parts"):  # several columns are the parts of one address
                spec.append({"col": i, "field": "addresses", "group": "mapped", "part": "street"})
            else:
                spec.append({"col": i, "field": field})
    return spec
