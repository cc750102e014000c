"""Normalising what people type: text, emails, phones, labels, links, moments, and the limits on them.

Each raises a ValidationError keyed by the field, in the words the pages and the API show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

MAX_EMAILS = MAX_PHONES = 10
MAX_ADDRESS = 500
MAX_ADDRESSES = MAX_URLS = 10
MAX_URL = 500
LABEL_MAX = 40
SOURCE_MAX = 40
MAX_REORDER_DAYS = 366  # a customer's reorder interval: 1 day to a year
MAX_TOUCH_DAYS = 366  # a stay-in-touch interval, and a stage's follow-up rule: 1 day to a year
UNSET: Any = object()
T = TypeVar("T")


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({field: "must not contain NUL characters."})
    if required and not value:
        raise ValidationError({field: "is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"is longer than {max_length} characters."})
    return value


def normalise_email(value: str) -> str:
    value = (value or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError({"emails": "An email address can't hold control characters."})
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"emails": f"“{value[:60]}” is not an email address."}) from None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 ('+34612345678'); numbers without a country code are read in the owner's country."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError({"phones": f"“{raw[:40]}” is not a phone number."}) from None
    # A number possible only locally (no area code: "555-0100") would be stored as a wrong E.164 number.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError({"phones": f"“{raw[:40]}” is not a phone number."})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def unique(values: Iterable[T], key: Callable[[T], Hashable] = lambda v: v) -> list[T]:
    """The values in order, each kept the first time its key is seen."""
    seen: set[Hashable] = set()
    out: list[T] = []
    for value in values:
        if key(value) not in seen:
            seen.add(key(value))
            out.append(value)
    return out


def clean_label(value: Any) -> str:
    """A phone, email, address or website label: 'mobile', 'work', Apple's '_$!<HomePage>!$_' -> 'homepage'."""
    text = str(value or "").strip()
    if text.startswith("_$!<") and text.endswith(">!$_"):
        text = text[4:-4]
    text = " ".join(text.replace("\x00", "").split())
    return text.casefold()[:LABEL_MAX]


def clean_pairs(items: Any, *, field: str, max_length: int, most: int) -> list[dict[str, str]]:
    """[{label, value}] from {label, value} objects or plain strings; empty values left out, repeats once."""
    if not isinstance(items, list | tuple):
        raise ValidationError({field: "must be a list."})
    found: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, str):
            label, value = "", item
        elif isinstance(item, dict) and isinstance(item.get("value", ""), str):
            label, value = item.get("label") or "", item.get("value") or ""
        else:
            raise ValidationError({field: "are {label, value} pairs."})
        value = clean_text(value, field=field, max_length=max_length)
        if value and value not in [f["value"] for f in found]:
            found.append({"label": clean_label(label), "value": value})
    if len(found) > most:
        raise ValidationError({field: f"A contact has at most {most} of these."})
    return found

_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def clean_url(value: str) -> str:
    """A website or profile link: http(s) only, so a page can link it safely; 'example.com' gets https://."""
    value = value.strip()
    if not _URL_SCHEME.match(value):
        if " " in value or "." not in value.split("/", 1)[0]:
            raise ValidationError({"urls": f"“{value[:60]}” is not a web address."})
        value = "https://" + value.lstrip("/")
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("http", "https") or " " in value:
        raise ValidationError({"urls": f"“{value[:60]}” is not a web address."})
    return value


def at_most(found: list[str], kind: str) -> list[str]:
    most, words = {"emails": (MAX_EMAILS, "email addresses"), "phones": (MAX_PHONES, "phone numbers")}[kind]
    if len(found) > most:
        raise ValidationError({kind: f"A contact has at most {most} {words}."})
    return found


def clean_emails(emails: Iterable[str] | None) -> list[str]:
    return at_most(unique((normalise_email(e) for e in (emails or []) if e and str(e).strip()),
                            key=str.casefold), "emails")


def clean_phones(phones: Iterable[str] | None, owner) -> list[str]:
    return at_most(unique(normalise_phone(p, region=owner.country or None) for p in (phones or [])
                            if p and str(p).strip()), "phones")

EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def aware(value: datetime, field: str) -> datetime:
    """A timezone-aware moment between 1970 and 2200 (an offset can't push it off the calendar)."""
    if not isinstance(value, datetime):
        raise ValidationError({field: "must be a date and time."})
    if timezone.is_naive(value):
        raise ValidationError({field: "needs a timezone (e.g. 2026-11-26T10:00:00Z)."})
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError({field: "is outside the calendar we keep (1970 to 2200)."}) from None
    if not EARLIEST <= utc < LATEST:
        raise ValidationError({field: "is outside the calendar we keep (1970 to 2200)."})
    return utc


def not_future(value: datetime, field: str) -> datetime:
    if value > timezone.now() + timedelta(days=1):
        raise ValidationError({field: "is in the future."})
    return value
