"""Reads on the CRM: always scoped to one owner, fast at 100,000 contacts.

Name search uses the indexed word tokens (prefix ranges, so any database uses its index); emails and
phones are found by blind index, whatever the formatting typed, and 4 or more digits find the numbers
ending with them (a blind index of every number's last 4 digits). Lists sort by name, creation or last
contact, with offset paging (the API contract) and keyset cursors that stay fast deep in a list.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import re
import uuid
from calendar import isleap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import cast

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import BooleanField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from lte.crm.models import Contact, ContactCount, ContactLookup, ContactReading, ContactToken, FollowUp, Stage, Tag
from lte.crm.services.index import (
    PHONE_TEXT,
    TAIL_DIGITS,
    email_digest,
    looks_like_phone,
    national_digest,
    national_digits,
    phone_digest,
    tail_digest,
)
from lte.crm.services.normalise import normalise_email, normalise_phone
from lte.crm.text import fold
from lte.lib.prepared import Prepared
from lte.lib.zones import day_start, today_for
from lte.vault.context import acting_for
from lte.vault.fields import EncryptedField, open_raw, raw_opener

SORTS = {
    "name": ("sort_name", "id"),
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-last_contacted": ("-last_contacted_at", "-id"),
}
MAX_TERMS = 5
TOKEN_END = "\U0010ffff"
# A longer ending ("5550142") is checked by opening the phones of the contacts sharing its last 4 digits:
# about 10 in 100,000 contacts with random numbers. Past this many, the rest are not looked at.
MAX_TAIL_CANDIDATES = 2000
MAX_LISTED = 5000  # matching ids handed to the database as a list; past this, they stay a subquery
# A name search's first page first walks this many contacts in list order, keeping those that match (each an
# EXISTS on the (contact, token) index): a common prefix ("ga") fills its page long before. When it does not
# (a rare name, or matches all at the end of the list), the matches are collected from the token index instead.
WALK_BUDGET = 2000
WALKED_SORTS = {"name": "sort_name", "created": "created_at", "-created": "created_at"}
WALK_FROM = 1000  # matches from which the walk is tried: fewer are collected at once
FEW = 1000  # a search whose rarest term starts at most this many words reads all its matches at once


Fetch = Callable[[QuerySet], list]  # a query's rows: Contacts (list) or Listed (_listed)


@dataclass
class Page:
    items: list  # Contacts, or Listed rows for the API's list
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


def _named(owner, terms: list[str], *, ordered: bool = False) -> QuerySet:
    """Ids of the contacts with, for every term (one at least), a word of the name starting with it."""
    return _matching_words(owner, terms, ordered=ordered).values("contact_id")


def _rarest_first(owner, terms: list[str]) -> list[str]:
    return [term for _, term in _counted(owner, terms)] if len(terms) > 1 else terms


def _counted(owner, terms: list[str]) -> list[tuple[int, str]]:
    """Each term with its number of words in the token index (an index-only count, a fraction of a
    millisecond: a contact with two words starting with it counts twice), the rarest first."""
    return sorted((_words(owner, term).count(), term) for term in terms)


def _matching_words(owner, terms: list[str], *, ordered: bool = False) -> QuerySet[ContactToken]:
    """The tokens of the rarest term whose contact has a word starting with each other term: a range of the
    covering (owner, token, contact) index, and an EXISTS on (contact, token) per other term, so the work
    follows the rarest term's matches, not the sum of every term's (`ordered`: the terms are rarest first)."""
    first, *rest = terms if ordered else _rarest_first(owner, terms)
    words = _words(owner, first)
    for term in rest:
        words = words.filter(_has_word(OuterRef("contact_id"), term))
    return words


def _words(owner, term: str) -> QuerySet[ContactToken]:
    return ContactToken.objects.filter(owner=owner, token__gte=term, token__lt=term + TOKEN_END)


def _has_word(contact, term: str) -> Exists:
    """Whether `contact` (a column reference) has a word of the name starting with `term`."""
    return Exists(ContactToken.objects.filter(contact_id=contact, **_same_owner(), token__gte=term,
                                              token__lt=term + TOKEN_END))


def _same_owner() -> dict:
    """The owner in a word's EXISTS, on PostgreSQL only. PostgreSQL plans the EXISTS as a hash semi-join: with the
    owner it reads the word's range of the (owner, token, contact) index (4,944 words for 'garc' at 100,000
    contacts: 0.5 ms), without it the whole token table (20 ms). SQLite runs the EXISTS once per contact through
    (contact, token); given the owner too, it takes the owner's index and reads the word's range per contact
    (a 'garc' search went from 8 to 300 ms)."""
    return {"owner_id": OuterRef("owner_id")} if connections[DEFAULT_DB_ALIAS].vendor == "postgresql" else {}


def _split(q: str) -> tuple[list[str], list[str], str]:
    """What the seller typed (no "@"): the words of the name, the words of a phone number, and that number."""
    words = fold(q).split()  # fold also turns full-width digits into ASCII ones
    number_words = [w for w in words if PHONE_TEXT.fullmatch(w)]
    number = " ".join(number_words)
    if not looks_like_phone(number):  # "014", "007": too short for a number, words of the name
        number_words = []
    return [w for w in words if w not in number_words], number_words, number


def name_terms(q: str) -> list[str]:
    """The terms of a search by name alone (no email, no phone number), or [] for any other search."""
    q = (q or "").strip()[:200]
    if not q or "@" in q or "\x00" in q:
        return []
    name_words, number_words, _number = _split(q)
    return [] if number_words else name_words[:MAX_TERMS]


def _ending_with(owner, digits: str, tail: str) -> list:
    """Ids of the contacts with a number ending with `digits` (5 or more): the candidates share its last 4
    digits (`tail`, their blind index); their phones are opened to check the rest. Only this owner's rows are
    read, and only to answer the owner's own search, so it acts for the owner (requests, jobs, shells)."""
    # Joined from the lookup, as _with_phone does: `id IN (candidates)` measured a scan of every contact.
    candidates = (Contact.objects.owned_by(owner)
                  .filter(lookups__owner=owner, lookups__kind=ContactLookup.TAIL, lookups__digest=tail)
                  .values_list("pk", "reach")[:MAX_TAIL_CANDIDATES])
    reach = Contact._meta.get_field("reach")
    found = []
    with acting_for(owner.pk):
        for pk, sealed in candidates:
            phones = (open_raw(reach, pk=pk, owner_id=owner.pk, token=sealed) or {}).get("phones", [])
            if any(phone.lstrip("+").endswith(digits) for phone in phones):
                found.append(pk)
    return found


def _with_phone(query: QuerySet, owner, number: str, *, or_named: list[str]) -> QuerySet:
    """`query` narrowed to the contacts with a phone matching `number`: the number itself however it is
    written (E.164 and national digests) and, unless it starts with "+", the numbers ending with its digits;
    or, when `or_named`, with words of the name starting with those.

    A number matching exactly ends with the same 4 digits as what was typed, so every match of a query
    without "+" is among the contacts holding its tail4 lookup: the query joins that one index entry per
    contact (no DISTINCT), which SQLite and PostgreSQL both drive from the (owner, kind, digest) index.
    An `id IN (list)` instead measured a scan of every contact of the owner (20–40 ms at 100,000)."""
    digests = _phone_digests(owner, number)
    lookups = ContactLookup.objects.filter(owner=owner)
    exact = {"kind__in": [ContactLookup.PHONE, ContactLookup.NATIONAL], "digest__in": digests}
    if number.startswith("+"):  # "+34 61…" is the start of a number, not its end: only the number itself
        found = query.filter(**{f"lookups__{k}": v for k, v in exact.items()}, lookups__owner=owner).distinct()
    else:
        digits = re.sub(r"[^0-9]", "", number)
        tail = tail_digest(owner.pk, digits[-TAIL_DIGITS:])
        join = {"lookups__owner": owner, "lookups__kind": ContactLookup.TAIL, "lookups__digest": tail}
        if len(digits) == TAIL_DIGITS:
            found = query.filter(**join)
        else:
            same = list(lookups.filter(**exact).values_list("contact_id", flat=True)[:MAX_LISTED]) if digests else []
            ends = _ending_with(owner, digits, tail)
            if len(same) < MAX_LISTED:
                found = query.filter(**join, lookups__contact_id__in={*same, *ends})
            else:  # thousands share this very number: let the database take them as a subquery
                found = query.filter(Q(pk__in=lookups.filter(**exact).values("contact_id")) | Q(pk__in=ends))
    if not or_named:
        return found
    named = _named(owner, or_named)
    if not named.exists():  # the usual case: no name has a word starting with these digits
        return found
    listed = [*found.values_list("pk", flat=True)[:MAX_LISTED],
              *named.values_list("contact_id", flat=True)[:MAX_LISTED]]
    if len(listed) < MAX_LISTED:  # neither side was cut short
        return query.filter(pk__in=listed)
    return query.filter(Q(pk__in=found.values("pk")) | Q(pk__in=named))


def contacts(owner, *, q: str = "", tag: str = "", stage: str = "") -> QuerySet:
    """The owner's contacts matching what the seller typed: every word starts a word of the name (through
    the (owner, token) index), an exact email, a phone number however written, or 4+ digits ending one.
    'ana 0142' is both: Ana, with a number ending in 0142."""
    query: QuerySet[Contact] = Contact.objects.owned_by(owner)
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
        else:
            name_words, number_words, number = _split(q)
            if name_words:  # every word must start a word of the name
                # An IN-subquery measured faster than a join + DISTINCT over whole contact rows.
                query = query.filter(pk__in=_named(owner, name_words[:MAX_TERMS]))
            if number_words:
                # Digits alone may also start a word of the name ("Expo 2024"); "555-0142" can't.
                named = number_words[:MAX_TERMS] if all(w.isdigit() for w in number_words) else []
                query = _with_phone(query, owner, number, or_named=named)
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
        if not isinstance(value, str):
            raise ValidationError({"cursor": "is not a cursor from this list."})
        try:
            value = datetime.fromisoformat(value).astimezone(UTC)
        except (TypeError, ValueError, OverflowError):
            raise ValidationError({"cursor": "is not a cursor from this list."}) from None
    elif value is not None and not isinstance(value, str):
        raise ValidationError({"cursor": "is not a cursor from this list."})
    return value, pk


def _past(query: QuerySet, field: str, value, pk: str, *, descending: bool) -> Q:
    """The rows after (value, pk) in list order, as one row-value comparison: `(key, id) > (?, ?)` is a range
    of the (owner, key, id) index on SQLite and PostgreSQL, where `key > ? OR (key = ? AND id > ?)` was
    filtered row by row on PostgreSQL (175 ms a page at 100,000 contacts). Nulls sort last when descending."""
    connection = connections[query.db]
    quote = connection.ops.quote_name
    column = cast(models.Field, Contact._meta.get_field(field))
    try:
        key = Contact._meta.pk.get_db_prep_value(uuid.UUID(pk), connection)
    except ValueError:
        raise ValidationError({"cursor": "is not a cursor from this list."}) from None
    table = quote(Contact._meta.db_table)
    sql = f"({table}.{quote(str(column.column))}, {table}.{quote('id')}) {'<' if descending else '>'} (%s, %s)"
    past = RawSQL(sql, (column.get_db_prep_value(value, connection), key),  # noqa: S611 - quoted names; values bound
                  output_field=BooleanField())
    return Q(past) | Q(**{f"{field}__isnull": True}) if descending and column.null else Q(past)


def contact_count(owner) -> int:
    """How many contacts the owner holds, exactly: the row the database keeps (crm.ContactCount), not a count
    of 100,000 index entries."""
    found = _CONTACT_COUNT.rows(owner.pk)
    return found[0][0] if found else 0


_CONTACT_COUNT = Prepared(lambda owner_id: ContactCount.objects.filter(owner=owner_id).values_list("contacts"),
                          [ContactCount._meta.get_field("owner")])


def with_stages(owner, rows: list[Contact]) -> list[Contact]:
    """Each contact's stage, from one query of the owner's few stages: a join built a Stage for every row,
    a fifth of a list page's time."""
    wanted = {row.stage_id for row in rows if row.stage_id}
    by_id = {s.pk: s for s in Stage.objects.owned_by(owner).filter(pk__in=wanted)} if wanted else {}
    field = Contact._meta.get_field("stage")
    for row in rows:
        field.set_cached_value(row, by_id.get(row.stage_id))
    return rows


def with_tag_names(rows: list) -> list:
    """Each contact's tag names, sorted, as `tag_names`: one query for the page (Django's prefetch of a
    many-to-many clones a queryset per contact, which measured half of a 50-row page's time; the ORM's own
    compiling and converting of this query was two thirds of what remained: it is written in SQL)."""
    if not rows:
        return rows
    through = Contact.tags.through
    connection = connections[through.objects.db]
    key = Contact._meta.pk
    keys = [key.get_db_prep_value(row.pk, connection) for row in rows]
    names: dict = {k: [] for k in keys}
    quote = connection.ops.quote_name
    sql = (f"SELECT ct.{quote('contact_id')}, t.{quote('name')} FROM {quote(through._meta.db_table)} ct "  # noqa: S608
           f"JOIN {quote(Tag._meta.db_table)} t ON t.{quote('id')} = ct.{quote('tag_id')} "
           f"WHERE ct.{quote('contact_id')} IN ({', '.join(['%s'] * len(names))})")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(names))
        for contact_id, name in cursor.fetchall():
            names[contact_id].append(name)
    for row, k in zip(rows, keys, strict=True):
        row.tag_names = sorted(names[k])
    return rows


class Listed(ContactReading):
    """A contact as the lists show it (the API's and the contacts page's): its columns as the database gives
    them, the sealed ones opened, and its stage's slug and name, without a model instance. Building 50 Contacts
    (each column through its converter, each instance through Model.__init__) and their stages was two thirds of
    a list request (issue 9). It reads like a Contact where the list reads one (the derived fields are
    ContactReading's, as a Contact's)."""

    COLUMNS = ("pk", "owner_id", "first_name", "last_name", "company", "reach", "address", "birthday", "social",
               "details", "source", "stage_id", "stage__slug", "stage__name", "customer_since", "reorder_every_days",
               "stay_in_touch_days", "last_contacted_at", "created_at", "updated_at", "sort_name")
    ATTRIBUTES = tuple(name.replace("__", "_") for name in COLUMNS)  # stage__slug -> stage_slug
    __slots__ = (*ATTRIBUTES, "tag_names")
    pk: uuid.UUID
    owner_id: uuid.UUID
    first_name: str
    last_name: str
    company: str
    reach: dict | None
    address: str | None
    birthday: date | None
    social: dict | None
    details: dict | None
    source: str
    stage_id: uuid.UUID | None
    stage_slug: str | None
    stage_name: str | None
    customer_since: date | None
    reorder_every_days: int | None
    stay_in_touch_days: int | None
    last_contacted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sort_name: str
    tag_names: list[str]
    SEALED = ("reach", "address", "birthday", "social", "details")
    MOMENTS = ("last_contacted_at", "created_at", "updated_at")


def _listed(owner, query: QuerySet) -> list[Listed]:
    """The rows of a query of this owner's contacts (filtered, ordered and sliced as the caller wants), as
    Listed: the ORM writes the SQL, the database's driver converts the values (SQLite's for dates and times,
    registered by Django), and each sealed column is opened through one opener (the read check and keys once)."""
    try:
        sql, params = query.values_list(*Listed.COLUMNS).query.sql_with_params()
    except EmptyResultSet:
        return []
    with connections[query.db].cursor() as cursor:
        cursor.execute(sql, params)
        return _as_listed(owner, cursor.fetchall())


_SHAPES: dict[tuple, Prepared] = {}
_OWNER, _TOKEN = Contact._meta.get_field("owner"), ContactToken._meta.get_field("token")


def _key_field(name: str) -> models.Field:
    return cast(models.Field, Contact._meta.get_field(name))


def _shaped(shape: tuple, make: Callable[[], Prepared]) -> Prepared:
    """The Prepared query for one shape of a list's query (its sort, offset, limit, number of words…), made on
    first use. Bounded: offsets and limits are many, so the common shapes stay, not every one ever asked."""
    prepared = _SHAPES.get(shape)
    if prepared is None:
        if len(_SHAPES) >= 512:
            _SHAPES.clear()
        prepared = _SHAPES[shape] = make()
    return prepared


def _listed_page(owner, sort: str, ordering: list, offset: int, limit: int) -> list[Listed]:
    """A page of the whole list (no search, tag or stage), as `_listed(owner, query[offset: offset + limit + 1])`
    would read it: the query of every list request that opens the app, compiled once per sort, offset and limit
    (a tenth of the request was the ORM writing the same SQL again)."""
    prepared = _shaped(("page", sort, offset, limit), lambda: Prepared(
        lambda owner_id: Contact.objects.filter(owner=owner_id).order_by(*ordering)
        .values_list(*Listed.COLUMNS)[offset: offset + limit + 1], [_OWNER], convert=False))
    return _as_listed(owner, prepared.rows(owner.pk))


def _as_listed(owner, found: list) -> list[Listed]:
    """The driver's rows of Listed.COLUMNS as Listed rows."""
    sealed = [(Listed.COLUMNS.index(name), raw_opener(cast(EncryptedField, Contact._meta.get_field(name)), owner.pk))
              for name in Listed.SEALED]
    moments = [Listed.COLUMNS.index(name) for name in Listed.MOMENTS]
    keys = [Listed.COLUMNS.index(name) for name in ("pk", "owner_id", "stage_id")]
    names = Listed.ATTRIBUTES
    rows = []
    for values in found:
        raw_pk = values[0]
        values = list(values)
        for at, opener in sealed:
            values[at] = opener(raw_pk, values[at])
        for at in moments:
            moment = values[at]
            if moment is not None and moment.tzinfo is None:  # SQLite's column holds UTC without its offset
                values[at] = moment.replace(tzinfo=UTC)
        for at in keys:  # SQLite's column holds the hex
            if values[at] is not None and not isinstance(values[at], uuid.UUID):
                values[at] = uuid.UUID(values[at])
        row = Listed()
        for name, value in zip(names, values, strict=True):
            setattr(row, name, value)
        rows.append(row)
    return rows


def page(owner, *, q: str = "", tag: str = "", stage: str = "", sort: str = "name", limit: int = 50,
         offset: int = 0, cursor: str | None = None, with_count: bool = True, listed: bool = False) -> Page:
    """One page of the owner's contacts: Contacts, or Listed rows (`listed`, the API's list: faster to read)."""
    fetch: Fetch = functools.partial(_listed, owner) if listed else list
    if sort not in SORTS:
        raise ValidationError({"sort": f"is one of {', '.join(SORTS)}."})
    after = _decode_cursor(cursor, sort) if cursor else None  # a bad cursor is refused whatever the search finds
    typed = name_terms(q) if "\x00" not in f"{tag}{stage}" else []
    named_count = None  # a search by one word: its exact number of contacts, counted once for both uses below
    if len(typed) == 1 and not (tag or stage):
        named_count = _named(owner, typed).distinct().count()
        counted = [(named_count, typed[0])]
    else:
        counted = _counted(owner, typed)
    terms = [term for _, term in counted]
    order = SORTS[sort]
    ordering = ([F(order[0][1:]).desc(nulls_last=True), order[1]] if sort == "-last_contacted" else list(order))
    count = None
    if counted and (counted[0][0] <= FEW or len(counted) > 1) and sort in WALKED_SORTS and not cursor:
        # Few matches (a rare word, or two words or more, as a rule): all of them in one query.
        few = _few(owner, terms, tag=tag, stage=stage, sort=sort, offset=offset, limit=limit, fetch=fetch)
        if few is not None:
            return few
    if terms and not (tag or stage):
        # A search by name alone counts its contacts in the token index (covering: no contact row is read).
        count = (named_count if named_count is not None
                 else _named(owner, terms, ordered=True).distinct().count() if with_count else None)
        if count == 0:
            return Page([], count, None)
    elif with_count:
        count = (contact_count(owner) if not ((q or "").strip() or tag or stage)
                 else contacts(owner, q=q, tag=tag, stage=stage).count())
    first_pages = bool(terms) and not cursor and sort in WALKED_SORTS and offset + limit < WALK_BUDGET // 4
    # A common prefix fills its page from the walk; a rare one (or an unknown count) goes to the tokens at once.
    walked = (_walk(owner, terms, tag=tag, stage=stage, sort=sort, ordering=ordering, offset=offset, limit=limit,
                    fetch=fetch, listed=listed) if first_pages and count is not None and count >= WALK_FROM else None)
    if walked is not None:
        rows = walked
    elif first_pages:
        rows = _collect(owner, terms, tag=tag, stage=stage, sort=sort, offset=offset, limit=limit, fetch=fetch)
    elif after is not None:
        query = contacts(owner, q=q, tag=tag, stage=stage).order_by(*ordering)  # stages: with_stages below
        value, pk = after
        field = order[0].lstrip("-")
        descending = order[0].startswith("-")
        if value is None:  # past the rows with a value, among the nulls (which sort last descending)
            query = query.filter(**{f"{field}__isnull": True}, **{"id__lt" if descending else "id__gt": pk})
        else:
            query = query.filter(_past(query, field, value, pk, descending=descending))
        rows = fetch(query[: limit + 1])
    elif offset > 500:
        # Deep offsets walk the (owner, sort key, id) index for ids only, then fetch one page of rows.
        query = contacts(owner, q=q, tag=tag, stage=stage).order_by(*ordering)
        ids = list(query.values_list("pk", flat=True)[offset: offset + limit + 1])
        found = {c.pk: c for c in fetch(Contact.objects.filter(pk__in=ids))}
        rows = [found[pk] for pk in ids if pk in found]
    elif listed and not ((q or "").strip() or tag or stage):
        rows = _listed_page(owner, sort, ordering, offset, limit)
    else:
        query = contacts(owner, q=q, tag=tag, stage=stage).order_by(*ordering)
        rows = fetch(query[offset: offset + limit + 1])
    more = len(rows) > limit
    rows = with_tag_names(rows[:limit])
    if not listed:  # Listed rows came with their stage's slug
        rows = with_stages(owner, rows)
    return Page(rows, count, _encode_cursor(rows[-1], sort) if more and rows else None)


def _walk(owner, terms: list[str], *, tag: str, stage: str, sort: str, ordering: list, offset: int,
          limit: int, fetch: Fetch, listed: bool) -> list | None:
    """A name search's page found by walking the first WALK_BUDGET contacts in list order (through the
    (owner, sort key, id) index), or None when fewer than the page match among them (the caller collects)."""
    field = WALKED_SORTS[sort]
    budget = _shaped(("budget", sort), lambda: Prepared(
        lambda owner_id: Contact.objects.filter(owner=owner_id).order_by(*ordering)
        .values_list(field)[WALK_BUDGET - 1: WALK_BUDGET], [_OWNER]))
    found = budget.rows(owner.pk)
    last = found[0][0] if found else None  # the budget's last contact's key; None: the account has fewer
    walk = _walker(sort=sort, ordering=ordering, words=len(terms), bounded=last is not None, offset=offset,
                   limit=limit, tag=tag, stage=stage)
    values = [bound for term in terms for bound in (term, term + TOKEN_END)] + ([last] if last is not None else [])
    if listed and not (tag or stage):  # the search as you type of every keystroke: compiled once per shape
        prepared = _shaped(("walk", sort, len(terms), last is not None, offset, limit), lambda: Prepared(
            lambda owner_id, *stand_ins: walk(owner_id, *stand_ins).values_list(*Listed.COLUMNS),
            [_OWNER, *[_TOKEN] * (2 * len(terms)), *([_key_field(field)] if last is not None else [])],
            convert=False))
        rows = _as_listed(owner, prepared.rows(owner.pk, *values))
    else:
        rows = fetch(walk(owner, *values))
    if len(rows) > limit or last is None:  # a whole page (and its "more"), or the whole account was walked
        return rows
    return None


def _walker(*, sort: str, ordering: list, words: int, bounded: bool, offset: int, limit: int, tag: str,
            stage: str) -> Callable[..., QuerySet]:
    """The walk's query of a shape, as a function of its values: each word's range, then (`bounded`) the budget's
    last key. It takes nothing else from the search, so a shape compiled once answers for every search of it."""
    up_to = f"{WALKED_SORTS[sort]}__{'gte' if sort.startswith('-') else 'lte'}"

    def walk(owner, *values) -> QuerySet:
        """Up to the budget's last contact (ties included), a prefix of the list: its contacts with a word
        starting with each term."""
        query = contacts(owner, tag=tag, stage=stage).filter(
            *(Exists(ContactToken.objects.filter(contact_id=OuterRef("pk"), **_same_owner(), token__gte=low,
                                                 token__lt=high))
              for low, high in zip(values[0:2 * words:2], values[1:2 * words:2], strict=True)))
        if bounded:
            query = query.filter(**{up_to: values[-1]})
        return query.select_related("stage").order_by(*ordering)[offset: offset + limit + 1]

    return walk


def _few(owner, terms: list[str], *, tag: str, stage: str, sort: str, offset: int, limit: int,
         fetch: Fetch) -> Page | None:
    """A name search with few matches: every match with its sort key in one query (their count), one page;
    None when there are more than FEW."""
    field = WALKED_SORTS[sort]
    found = _narrowed(owner, terms, tag=tag, stage=stage).values_list(f"contact__{field}", "contact_id")
    matches = sorted(set(found.distinct()[: FEW + 1]), reverse=sort.startswith("-"))
    if len(matches) > FEW:
        return None
    ids = [pk for _key, pk in matches[offset: offset + limit + 1]]
    rows = _by_key(owner, ids, fetch)
    more = len(rows) > limit
    rows = with_tag_names(rows[:limit])
    return Page(rows, len(matches), _encode_cursor(rows[-1], sort) if more and rows else None)


def _narrowed(owner, terms: list[str], *, tag: str, stage: str) -> QuerySet[ContactToken]:
    words = _matching_words(owner, terms, ordered=True)
    if tag:
        words = words.filter(contact__tags__owner=owner, contact__tags__name=tag)
    if stage:
        words = words.filter(contact__stage__owner=owner, contact__stage__slug=stage)
    return words


def _by_key(owner, ids: list, fetch: Fetch) -> list:
    """These contacts, in this order. By key alone, the owner checked on each row: with `owner = ? AND id IN
    (…)` SQLite (without statistics) measured a walk of the owner's whole (owner, stage) index instead of 21
    look-ups by key."""
    found = {c.pk: c for c in fetch(Contact.objects.filter(pk__in=ids).select_related("stage"))
             if c.owner_id == owner.pk}
    return [found[pk] for pk in ids if pk in found]


def _collect(owner, terms: list[str], *, tag: str, stage: str, sort: str, offset: int,
             limit: int, fetch: Fetch) -> list:
    """A name search's page from the token side: its matches with their sort key (the token index, then each
    contact by its key), sorted, and one page of rows. Written from the tokens so that no database walks the
    whole list for a few matches."""
    field = WALKED_SORTS[sort]
    words = _narrowed(owner, terms, tag=tag, stage=stage)
    key = f"contact__{field}"
    order = [f"-{key}", "-contact_id"] if sort.startswith("-") else [key, "contact_id"]
    ids = [pk for pk, _key in words.values_list("contact_id", key).distinct().order_by(*order)
           [offset: offset + limit + 1]]
    return _by_key(owner, ids, fetch)


def followups(owner, due: str = "") -> QuerySet:
    """Open follow-ups: today, overdue or upcoming, where 'today' is today in the seller's timezone."""
    start = day_start(owner, today_for(owner))
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



def birthday_falls_on(birthday: date, day: date) -> bool:
    """Whether a birthday (with or without its year) is celebrated on `day`: 29 February is kept on
    28 February in a year without one, every time."""
    if (birthday.month, birthday.day) == (day.month, day.day):
        return True
    return (birthday.month, birthday.day) == (2, 29) and (day.month, day.day) == (2, 28) and not isleap(day.year)


def birthday_ids(owner, day: date) -> list:
    """Ids of the contacts whose birthday is on `day`. Birthdays are sealed, so the ones the account holds are
    opened here, one column without model instances."""
    field = Contact._meta.get_field("birthday")
    sealed = Contact.objects.owned_by(owner).filter(birthday__isnull=False).values_list("pk", "birthday")
    with acting_for(owner.pk):
        return [pk for pk, token in sealed.iterator(chunk_size=2000)
                if (value := open_raw(field, pk=pk, owner_id=owner.pk, token=token)) and birthday_falls_on(value, day)]


def birthdays_on(owner, day: date) -> list[Contact]:
    """The contacts whose birthday is on `day`, by name, read whole."""
    found = (Contact.objects.owned_by(owner).filter(pk__in=birthday_ids(owner, day)).select_related("stage")
             .order_by("sort_name", "id"))
    return with_tag_names(list(found))


def today_followups(owner) -> dict[str, QuerySet]:
    """The open follow-ups of the seller's today: `due` today and `overdue`, reorder reminders apart in
    `reorders` (those due by the end of today). GET /today lists them; the daily digest counts them.
    "Haven't talked in N days" (a contact's stay-in-touch interval passed) is a follow-up of kind `touch` in
    `due` or `overdue`: the contract's four lists stay as they are, and a client tells them apart by kind."""
    reorder = FollowUp.Kind.REORDER
    due, overdue = followups(owner, "today"), followups(owner, "overdue")
    return {"due": due.exclude(kind=reorder), "overdue": overdue.exclude(kind=reorder),
            "reorders": (due | overdue).filter(kind=reorder)}


REORDER_WEEK_DAYS = 7


def reorders_this_week(owner) -> QuerySet:
    """Open reorder reminders due by the end of the seller's next 7 days (overdue ones included: still to do)."""
    end = day_start(owner, today_for(owner)) + timedelta(days=REORDER_WEEK_DAYS + 1)
    return followups(owner).filter(kind=FollowUp.Kind.REORDER, due_at__lt=end).order_by("due_at", "id")


def today(owner) -> dict[str, list]:
    """GET /today: today_followups (the first 500 of each, by due time) and today's birthdays, in the seller's
    timezone."""
    lists: dict[str, list] = {name: list(query.order_by("due_at", "id")[:500])
                              for name, query in today_followups(owner).items()}
    return {**lists, "birthdays": birthdays_on(owner, today_for(owner))}
