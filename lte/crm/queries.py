"""Reads on the CRM: always scoped to one owner, fast at 100,000 contacts.

Name search uses the indexed word tokens (prefix ranges, so any database uses its index); emails and
phones are found by blind index, whatever the formatting typed. Lists sort by name, creation or last
contact, with offset paging (the API contract) and keyset cursors that stay fast deep in a list.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet

from lte.crm.models import Contact, ContactLookup, ContactToken, FollowUp
from lte.crm.services import (
    email_digest,
    looks_like_phone,
    national_digest,
    national_digits,
    normalise_email,
    normalise_phone,
    phone_digest,
    today_for,
)
from lte.crm.text import fold

SORTS = {
    "name": ("sort_name", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-last_contacted": ("-last_contacted_at", "-id"),
}
MAX_TERMS = 5
TOKEN_END = "\U0010ffff"


@dataclass
class Page:
    items: list[Contact]
    count: int | None
    next_cursor: str | None


def _phone_digests(owner, q: str) -> list[str]:
    digests = []
    with contextlib.suppress(ValidationError):  # not a full number: the national digits may still match
        digests.append(phone_digest(owner.pk, normalise_phone(q, region=owner.country or None)))
    digits = re.sub(r"\D", "", q)
    if not q.lstrip().startswith("+") and len(digits) >= 8:  # a country code typed without its "+"
        with contextlib.suppress(ValidationError):
            digests.append(phone_digest(owner.pk, normalise_phone("+" + digits)))
    national = national_digits(q)
    if len(national) >= 6:
        digests.append(national_digest(owner.pk, national))
    return digests


def contacts(owner, *, q: str = "", tag: str = "", stage: str = "") -> QuerySet:
    """The owner's contacts matching what the seller typed: word prefixes of the name (through the
    (owner, token) index), or an exact email or phone number (joined from the blind-index lookups)."""
    query = Contact.objects.owned_by(owner)
    # A NUL can't be in any stored text (and PostgreSQL refuses it in a query): it matches nothing.
    if "\x00" in f"{q}{tag}{stage}":
        return query.none()
    q = (q or "").strip()[:200]
    if q:
        if "@" in q:
            try:
                digest = email_digest(owner.pk, normalise_email(q))
            except ValidationError:
                return query.none()
            query = query.filter(lookups__owner=owner, lookups__kind=ContactLookup.EMAIL, lookups__digest=digest)
        elif looks_like_phone(q):
            digests = _phone_digests(owner, q)
            if not digests:
                return query.none()
            query = query.filter(lookups__owner=owner, lookups__kind__in=[ContactLookup.PHONE, ContactLookup.NATIONAL],
                                 lookups__digest__in=digests).distinct()
        else:
            for term in fold(q).split()[:MAX_TERMS]:  # every word must start a word of the name
                # An IN-subquery measured faster than a join + DISTINCT over whole contact rows.
                query = query.filter(pk__in=ContactToken.objects.filter(
                    owner=owner, token__gte=term, token__lt=term + TOKEN_END).values("contact_id"))
    if tag:
        query = query.filter(tags__owner=owner, tags__name=tag)
    if stage:
        query = query.filter(stage__owner=owner, stage__slug=stage)
    return query


def _encode_cursor(contact: Contact, sort: str) -> str:
    field = SORTS[sort][0].lstrip("-")
    value = getattr(contact, field)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, value, str(contact.pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        cursor_sort, value, pk = json.loads(raw)
    except (ValueError, TypeError):
        raise ValidationError({"cursor": "is not a cursor from this list."}) from None
    if not isinstance(pk, str) or "\x00" in pk or (value is not None and not isinstance(value, str | int | float)):
        raise ValidationError({"cursor": "is not a cursor from this list."})
    if isinstance(value, str) and "\x00" in value:
        raise ValidationError({"cursor": "is not a cursor from this list."})
    if cursor_sort != sort:
        raise ValidationError({"cursor": "belongs to another sort order."})
    if value is not None and SORTS[sort][0].lstrip("-") != "sort_name":
        try:
            value = datetime.fromisoformat(value).astimezone(UTC)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({"cursor": "is not a cursor from this list."}) from None
    elif value is not None and not isinstance(value, str):
        raise ValidationError({"cursor": "is not a cursor from this list."})
    return value, pk


def page(owner, *, q: str = "", tag: str = "", stage: str = "", sort: str = "name", limit: int = 50,
         offset: int = 0, cursor: str | None = None, with_count: bool = True) -> Page:
    if sort not in SORTS:
        raise ValidationError({"sort": f"is one of {', '.join(SORTS)}."})
    query = contacts(owner, q=q, tag=tag, stage=stage)
    count = query.count() if with_count else None
    order = SORTS[sort]
    ordering = ([F(order[0][1:]).desc(nulls_last=True), order[1]] if sort == "-last_contacted" else list(order))
    query = query.select_related("stage").prefetch_related("tags").order_by(*ordering)
    if cursor:
        value, pk = _decode_cursor(cursor, sort)
        field = order[0].lstrip("-")
        descending = order[0].startswith("-")
        if value is None:  # past the rows with a value, among the nulls (which sort last descending)
            query = query.filter(**{f"{field}__isnull": True}, **{"id__lt" if descending else "id__gt": pk})
        elif descending:
            query = query.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "id__lt": pk})
                                 | Q(**{f"{field}__isnull": True}))
        else:
            query = query.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "id__gt": pk}))
        rows = list(query[: limit + 1])
    elif offset > 500:
        # Deep offsets walk the (owner, sort key, id) index for ids only, then fetch one page of rows.
        ids = list(query.values_list("pk", flat=True)[offset: offset + limit + 1])
        found = {c.pk: c for c in Contact.objects.filter(pk__in=ids).select_related("stage").prefetch_related("tags")}
        rows = [found[pk] for pk in ids if pk in found]
    else:
        rows = list(query[offset: offset + limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, count, _encode_cursor(rows[-1], sort) if more and rows else None)


def followups(owner, due: str = "") -> QuerySet:
    """Open follow-ups: today, overdue or upcoming, where 'today' is today in the seller's timezone."""
    import zoneinfo

    try:
        tz = zoneinfo.ZoneInfo(owner.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("UTC")
    today = today_for(owner)
    start = datetime(today.year, today.month, today.day, tzinfo=tz)
    end = start + timedelta(days=1)
    query = FollowUp.objects.owned_by(owner).filter(done_at__isnull=True).select_related("contact")
    if due == "today":
        return query.filter(due_at__gte=start, due_at__lt=end)
    if due == "overdue":
        return query.filter(due_at__lt=start)
    if due == "upcoming":
        return query.filter(due_at__gte=end)
    if due in ("", "all"):
        return query
    raise ValidationError({"due": "is today, overdue or upcoming."})

