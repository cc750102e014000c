"""Turning a raw row into validated contact data, by the CRM services' own rules."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from lte.crm.birthdays import YEARLESS, yearless
from lte.crm.fields import FIELDS
from lte.crm.imports.readers import RawRow, quote
from lte.crm.models import (
    Contact,
    Stage,
)
from lte.crm.services.contacts import ContactData, _apply
from lte.crm.services.duplicates import DUPLICATE_KINDS
from lte.crm.services.index import index_entries
from lte.crm.services.normalise import (
    MAX_EMAILS,
    MAX_PHONES,
    MAX_REORDER_DAYS,
    MAX_TOUCH_DAYS,
    UNSET,
    clean_text,
    clean_url,
    normalise_email,
    normalise_phone,
    unique,
)
from lte.crm.services.notes import MAX_NOTE
from lte.crm.services.stages import CUSTOMER_STAGE, first_stage, stage_by_slug, stages_of
from lte.crm.services.tags import MAX_TAGS, TAG_MAX

_ISO_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:[T ][0-9:.Z+-]*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")
_SLASHED_ISO = re.compile(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})$")
MONTH_FIRST_COUNTRIES = {"US", "PH", "FM", "MH", "PW", "BZ", "GU", "PR", "AS", "VI", "MP", "UM"}


def parse_birthday(value: str, *, country: str = "") -> tuple[date | None, str | None]:
    """A date from what spreadsheets, Google and phones write, a birthday without a year ('--07-19', Apple's
    1604-07-19) as a yearless date (lte.crm.birthdays). The second value is kept for callers (always None)."""
    value = value.strip()
    if not value:
        return None, None
    bad = ValidationError({"birthday": gettext("%(value)s is not a date we understand (use YYYY-MM-DD).")
                           % {"value": quote(value)}})
    try:
        if m := _ISO_DATE.match(value):
            year, month, day = (int(g) for g in m.groups())
            if year == YEARLESS:  # Apple's "no year"
                return yearless(month, day), None
            return date(year, month, day), None
        if m := _NO_YEAR.match(value):
            return yearless(int(m.group(1)), int(m.group(2))), None
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


# What each field is called in the report ("phone “12” could not be read", "first name is longer…").
FIELD_WORDS = {**{f.name: f.report_words for f in FIELDS if f.given}, "notes": _("note"), "body": _("note")}


def word(name: str) -> str:
    """A field's word for the report, in the active language (the owner's, while an import runs)."""
    return str(FIELD_WORDS.get(name, name.replace("_", " ")))


def describe(exc: ValidationError) -> str:
    """A service's ValidationError as one short sentence for the report (the services quote ≤ 60 chars)."""
    parts = []
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
    for name, messages in items:
        label = word(name)
        for message in messages:
            message = str(message)
            parts.append(f"{label} {message}" if label and message[:1].islower() else message)
    return " ".join(parts)[:300]


@dataclass
class Prepared:
    """A row validated by the services' rules: what contact_create would store, not yet written."""

    number: int
    data: ContactData  # the input, kept for merging and for the one-by-one fallback
    contact: Contact  # validated by _apply (names, reach, address, birthday, source, search keys)
    stage: Stage
    tags: list[str]
    notes: list[str]
    warnings: list[str]
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (what, value as typed), kept in a note
    source_id: str = ""  # the contact's id in our own export, when the row comes from one
    times: dict[str, datetime] = field(default_factory=dict)  # created_at… as our export wrote them

    @property
    def display(self) -> str:
        """Who the row is, for the report (the report is sealed under the owner's key)."""
        c = self.contact
        return (f"{c.first_name} {c.last_name}".strip() or c.company or next(iter(c.emails), "")
                or next(iter(c.phones), "") or f"row {self.number}")

    @cached_property
    def index(self) -> tuple[list[str], list[tuple[str, str]]]:
        return index_entries(self.contact)

    def digests(self) -> list[str]:
        """The blind indexes other rows and contacts are matched by (emails and E.164 phones)."""
        return [digest for kind, digest in self.index[1] if kind in DUPLICATE_KINDS]


class _Context:
    """Per-run caches: stages by slug and the owner's tags."""

    def __init__(self, owner) -> None:
        self.owner = owner
        self._stages: dict[str, Stage | ValidationError] = {}
        self._first: Stage | None = None

    def stage(self, slug: str) -> Stage:
        if slug not in self._stages:
            try:
                self._stages[slug] = stage_by_slug(self.owner, slug)
            except ValidationError as exc:  # a stage's name ("Customer") is fine too
                by_name = {s.name.casefold(): s for s in stages_of(self.owner)}
                self._stages[slug] = by_name.get(slug.casefold(), exc)
        found = self._stages[slug]
        if isinstance(found, ValidationError):
            raise found
        return found

    def first(self) -> Stage:
        """Where a row without a stage starts (stages.first_stage), looked up once per run."""
        if self._first is None:
            self._first = first_stage(self.owner)
        return self._first


def clean_tags(names: Iterable[str]) -> list[str]:
    """tags_for' validation, without touching the database."""
    cleaned = [n for n in unique(
        (clean_text(n, field="tags", max_length=TAG_MAX) for n in names), key=str.casefold) if n]
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"A contact has at most {MAX_TAGS} tags."})
    return cleaned


# Written into the contact's note in the owner's language (the import runs in it).
IMPORT_NOTE = _("From the import: {what} {value} could not be read.")
EXTRA_NOTE = _("Also on the card when it was imported:")


def prepare(ctx: _Context, row: RawRow) -> Prepared:
    """Validates a row as contact_create would. A value that fails is left out of the contact and kept, as
    typed, in a note on it (Prepared.rejected); only a row with nothing in it at all raises ValidationError."""
    f = row.fields or {}
    rejected: list[tuple[str, str]] = []
    region = ctx.owner.country or None

    def kept(kind: str, pairs, clean) -> tuple[list[str], list[str]]:
        """The values that pass, cleaned (E.164 phones, so the services don't parse them twice); the others
        go to `rejected`."""
        values, labels = [], []
        for value, label in pairs:
            try:
                values.append(clean(value))
            except ValidationError:
                rejected.append((word(kind), value))
                continue
            labels.append(label)
        return values, labels

    emails, email_labels = kept("emails", f["emails"], normalise_email)
    phones, phone_labels = kept("phones", f["phones"], lambda v: normalise_phone(v, region=region))
    for kind, values, labels, most in (("emails", emails, email_labels, MAX_EMAILS),
                                       ("phones", phones, phone_labels, MAX_PHONES)):
        rejected += [(word(kind), v) for v in values[most:]]  # more than a contact holds: kept in its note
        del values[most:], labels[most:]
    urls, url_labels = kept("urls", f["urls"], clean_url)
    birthday = UNSET
    if f["birthday"]:
        try:
            birthday = parse_birthday(f["birthday"], country=ctx.owner.country or "")[0] or UNSET
        except ValidationError:
            rejected.append((word("birthday"), f["birthday"]))
    extras: dict[str, Any] = {}
    for name in ("customer_since", "reorder_every_days", "stay_in_touch_days", "social"):
        if f.get(name):
            try:
                extras |= _export_extras({name: f[name]})
            except ValidationError:
                given = f[name]
                rejected.append((word(name), " | ".join(given) if isinstance(given, list) else given))
    data = ContactData(
        first_name=f["first_name"] or UNSET, last_name=f["last_name"] or UNSET, company=f["company"] or UNSET,
        job_title=f["job_title"] or UNSET, emails=emails or UNSET, email_labels=email_labels if emails else UNSET,
        phones=phones or UNSET, phone_labels=phone_labels if phones else UNSET,
        addresses=[{"label": label, "value": value} for value, label in f["addresses"]] or UNSET,
        urls=[{"label": label, "value": value} for value, label in zip(urls, url_labels, strict=True)] or UNSET,
        birthday=birthday, source=f["source"] or UNSET, stage=f["stage"] or UNSET, tags=f["tags"] or UNSET,
        **extras,
    )
    notes = list(f["notes"])
    if f["extra"]:
        notes.append("\n".join([str(EXTRA_NOTE), *(f"{label}: {value}" for label, value in f["extra"])]))
    prepared = _validated(ctx, row.number, data, notes, list(row.warnings), list(dict.fromkeys(rejected)))
    prepared.source_id = f.get("id") or ""
    prepared.times = _times(f)
    return prepared


def _times(f: dict[str, Any]) -> dict[str, datetime]:
    """created_at, updated_at and last_contacted_at of our export (a value that isn't one is left out)."""
    found = {}
    for name in ("created_at", "updated_at", "last_contacted_at"):
        with contextlib.suppress(ValueError, TypeError):
            if f.get(name):
                value = datetime.fromisoformat(f[name])
                found[name] = value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    return found


def _export_extras(fields: dict[str, Any]) -> dict[str, Any]:
    """customer_since, reorder_every_days, stay_in_touch_days and social, as our own export writes them."""
    extras: dict[str, Any] = {}
    if since := fields.get("customer_since"):
        try:
            extras["customer_since"] = date.fromisoformat(since)
        except ValueError:
            raise ValidationError({"customer_since": f"{quote(since)} is not a date (YYYY-MM-DD)."}) from None
    if days := fields.get("reorder_every_days"):
        if not days.isdigit() or not 1 <= int(days) <= MAX_REORDER_DAYS:
            raise ValidationError({"reorder_every_days": f"{quote(days)} is not a number of days."})
        extras["reorder_every_days"] = int(days)
    if days := fields.get("stay_in_touch_days"):
        if not days.isdigit() or not 1 <= int(days) <= MAX_TOUCH_DAYS:
            raise ValidationError({"stay_in_touch_days": f"{quote(days)} is not a number of days."})
        extras["stay_in_touch_days"] = int(days)
    if social := fields.get("social"):
        pairs = [item.split(":", 1) for item in social]
        if any(len(pair) != 2 for pair in pairs):
            raise ValidationError({"social": "is written network:handle."})
        extras["social"] = {k.strip(): v.strip() for k, v in pairs}
    return extras


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return " | ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return str(value.get("value", "")) if "value" in value else ", ".join(f"{k}:{v}" for k, v in value.items())
    return str(value)


def _validated(ctx: _Context, number: int, data: ContactData, notes: list[str], warnings: list[str],
               rejected: list[tuple[str, str]] | None = None) -> Prepared:
    """_apply's validation; a field it refuses is taken out of the contact and into `rejected`."""
    rejected = list(rejected or [])
    stage_slug, tag_names = data.stage, data.tags
    data.stage = data.tags = UNSET  # stage and tags are resolved here, once per run, not per row
    try:
        for _attempt in range(len(ContactData.__dataclass_fields__)):
            contact = Contact(owner_id=ctx.owner.pk)
            try:
                _apply(contact, ctx.owner, data, require_identity=False)
                break
            except ValidationError as exc:
                failed = exc.message_dict if hasattr(exc, "error_dict") else {}
                known = [name for name in failed if name in ContactData.__dataclass_fields__
                         and getattr(data, name) is not UNSET]
                if not known:
                    raise ValidationError(describe(exc)) from None
                for name in known:
                    rejected.append((word(name), _as_text(getattr(data, name))))
                    setattr(data, name, UNSET)
                    if name in ("emails", "phones"):
                        setattr(data, f"{name[:-1]}_labels", UNSET)
    finally:
        data.stage, data.tags = stage_slug, tag_names
    try:
        stage = ctx.stage(stage_slug) if stage_slug is not UNSET else ctx.first()
    except ValidationError:
        rejected.append((word("stage"), str(stage_slug)))
        stage = ctx.first()
        data.stage = UNSET
    tags = []
    for name in (tag_names or []) if tag_names is not UNSET else []:
        try:
            tags += clean_tags([name])
        except ValidationError:
            rejected.append((word("tags"), name))
    tags = unique(tags, key=str.casefold)
    if len(tags) > MAX_TAGS:
        rejected += [(word("tags"), t) for t in tags[MAX_TAGS:]]
        tags = tags[:MAX_TAGS]
    if tag_names is not UNSET:
        data.tags = tags
    bodies = [b.replace("\x00", "").strip() for b in notes if b and b.strip()]
    bodies += [str(IMPORT_NOTE).format(what=what, value=quote(value, cut=False)) for what, value in rejected]
    cleaned_notes = unique(part for body in bodies for part in _pieces(body))
    if not (contact.first_name or contact.last_name or contact.company or contact.emails or contact.phones
            or contact.address or contact.birthday or cleaned_notes or tags or contact.urls):
        raise ValidationError(gettext("the row is empty."))
    data.stage = stage.slug  # a stage given by its name, resolved (for the one-by-one fallback)
    contact.stage = stage
    if stage.slug == CUSTOMER_STAGE and contact.customer_since is None:
        contact.customer_since = timezone.localdate()  # as _customer_started
    return Prepared(number, data, contact, stage, tags, cleaned_notes, warnings, rejected)


def _pieces(body: str) -> list[str]:
    """A note longer than a note may be is kept whole, in several notes."""
    size = MAX_NOTE
    return [body[i:i + size] for i in range(0, len(body), size)]

