"""Normalising what people type: text, emails, phones, labels, links, moments, and the limits on them.

Each raises a ValidationError keyed by the field, in the words the pages and the API show.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext

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
        raise ValidationError({field: gettext("must not contain NUL characters.")})
    if required and not value:
        raise ValidationError({field: gettext("is required.")})
    if len(value) > max_length:
        raise ValidationError({field: gettext("is longer than %(most)s characters.") % {"most": max_length}})
    return value


# Within `remembered()`, each distinct (kind, value, region) is validated once: an import validates a row's
# emails and phones when it reads the row and again in the contact service it hands them to (_apply).
_memo: ContextVar[dict[tuple[str, str, str | None], str | ValidationError] | None] = ContextVar(
    "normalise_memo", default=None)


@contextlib.contextmanager
def remembered() -> Iterator[None]:
    """Remembers what normalise_email and normalise_phone answered (results and refusals) until the block ends
    (one import batch: the plaintext values are held only that long)."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _remembering(kind: str, fn: Callable[[str, str | None], str], value: str, region: str | None) -> str:
    memo = _memo.get()
    if memo is None:
        return fn(value, region)
    key = (kind, value, region)
    if key not in memo:
        try:
            memo[key] = normalised = fn(value, region)
            memo[(kind, normalised, region)] = normalised  # both are idempotent: the result normalises to itself
        except ValidationError as exc:
            memo[key] = exc
    found = memo[key]
    if isinstance(found, ValidationError):
        raise ValidationError(found.message_dict)
    return found


def normalise_email(value: str) -> str:
    return _remembering("email", _normalise_email, value, None)


def normalise_phone(value: str, *, region: str | None = None) -> str:
    """E.164 ('+34612345678'); numbers without a country code are read in the owner's country."""
    return _remembering("phone", _normalise_phone, value, region)


def _normalise_email(value: str, _region: str | None) -> str:
    value = (value or "").strip()
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValidationError({"emails": gettext("An email address can't hold control characters.")})
    try:
        validate_email(value)
    except ValidationError:
        message = gettext("“%(value)s” is not an email address.") % {"value": value[:60]}
        raise ValidationError({"emails": message}) from None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _normalise_phone(value: str, region: str | None) -> str:
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError({"phones": gettext("“%(value)s” is not a phone number.") % {"value": raw[:40]}}) from None
    # A number possible only locally (no area code: "555-0100") would be stored as a wrong E.164 number.
    if phonenumbers.is_possible_number_with_reason(number) != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise ValidationError({"phones": gettext("“%(value)s” is not a phone number.") % {"value": raw[:40]}})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def unique(values: Iterable[T], key: Callable[[T], Hashable] = lambda v: v) -> list[T]:
    """The values in order, each kept the first time its key is seen."""
    seen: set[Hashable] = set()
    out: list[T] = []
    for value in values:
        k = key(value)
        if k not in seen:
            seen.add(k)
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
        raise ValidationError({field: gettext("must be a list.")})
    found: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, str):
            label, value = "", item
        elif isinstance(item, dict) and isinstance(item.get("value", ""), str):
            label, value = item.get("label") or "", item.get("value") or ""
        else:
            raise ValidationError({field: gettext("are {label, value} pairs.")})
        value = clean_text(value, field=field, max_length=max_length)
        if value and value not in [f["value"] for f in found]:
            found.append({"label": clean_label(label), "value": value})
    if len(found) > most:
        raise ValidationError({field: gettext("A contact has at most %(most)s of these.") % {"most": most}})
    return found

_URL_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def clean_url(value: str) -> str:
    """A website or profile link: http(s) only, so a page can link it safely; 'example.com' gets https://."""
    value = value.strip()
    if not _URL_SCHEME.match(value):
        if " " in value or "." not in value.split("/", 1)[0]:
            raise ValidationError({"urls": gettext("“%(value)s” is not a web address.") % {"value": value[:60]}})
        value = "https://" + value.lstrip("/")
    scheme = value.split(":", 1)[0].lower()
    if scheme not in ("http", "https") or " " in value:
        raise ValidationError({"urls": gettext("“%(value)s” is not a web address.") % {"value": value[:60]}})
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
