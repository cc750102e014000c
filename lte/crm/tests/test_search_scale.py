"""Name search past its few-matches path: the first page found by walking the list in order, or by collecting
the matches from the token index, gives what the rules say (lte.crm.queries: every term starts a word of the
name; count exact), and reads only through indexes on SQLite and PostgreSQL.

The book is built so each path runs: 'ga' matches 1,600 contacts spread through the list (the walk), 'zo'
1,100 that all sort after the first 2,000 (the walk finds none: the matches are collected), 'zoe ga' and
'ben lo' are two words (all their matches read at once), 'bena' is a rare prefix.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from lte.crm.models import Contact, ContactToken, Tag
from lte.crm.queries import FEW, WALK_BUDGET, page
from lte.crm.tests.test_query_plans import assert_on_indexes
from lte.crm.text import fold, search_key, sort_key
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # 3,200 contacts per test

SIZE = 3200


def _book(owner, *, size: int = SIZE) -> list[Contact]:
    tag = Tag.objects.create(owner=owner, name="vip")
    rows = []
    for i in range(size):
        first = "Zoë" if i >= size - 1100 else ("Amy" if i % 2 else "Ben")
        last = f"García{i}" if i % 2 == 0 else f"López{i}"
        if i % 97 == 0:
            first = "Benavides"
        rows.append(Contact(owner=owner, first_name=first, last_name=last, search_name=search_key(first, last),
                            sort_name=sort_key(first, last)))
    with transaction.atomic():
        Contact.objects.bulk_create(rows, batch_size=500)
        ContactToken.objects.bulk_create([ContactToken(owner=owner, contact=c, token=w) for c in rows
                                          for w in dict.fromkeys(fold(f"{c.first_name} {c.last_name}").split())],
                                         batch_size=1000)
        Contact.tags.through.objects.bulk_create([Contact.tags.through(contact_id=c.pk, tag_id=tag.pk)
                                                  for c in rows[::3]], batch_size=1000)
    return rows


@pytest.fixture
def book(alice, bob):
    _book(bob, size=50)  # another seller's rows in the same tables
    return _book(alice)


def expected(rows: list[Contact], q: str, *, sort: str = "name", tagged: set | None = None) -> list:
    terms = fold(q).split()
    found = [c for c in rows if all(any(w.startswith(t) for w in fold(f"{c.first_name} {c.last_name}").split())
                                    for t in terms) and (tagged is None or c.pk in tagged)]
    if sort == "name":
        found.sort(key=lambda c: (c.sort_name, c.pk))
    else:
        found.sort(key=lambda c: (c.created_at, c.pk), reverse=sort.startswith("-"))
    return [c.pk for c in found]


@pytest.mark.parametrize(("q", "sort", "offset"), [
    ("ga", "name", 0), ("ga", "name", 40), ("garc", "-created", 0), ("ga", "created", 20),
    ("zo", "name", 0), ("zo", "name", 60), ("zo", "-created", 0),
    ("zoe ga", "name", 0), ("ben lo", "name", 20), ("bena", "name", 0), ("zoe xyz", "name", 0), ("xyz", "name", 0),
])
@pytest.mark.parametrize("listed", [False, True], ids=["contacts", "listed"])  # listed: the API's reading
def test_each_path_finds_what_the_rules_say_with_an_exact_count(alice, book, q, sort, offset, listed):
    want = expected(book, q, sort=sort)
    for _again in range(2):  # the API's walk is compiled on first use: the second answer is the same
        with acting_for(alice.pk):  # Listed rows open their sealed columns as they are read
            result = page(alice, q=q, sort=sort, limit=20, offset=offset, listed=listed)
        assert result.count == len(want)
        assert [c.pk for c in result.items] == want[offset: offset + 20]
        assert (result.next_cursor is not None) == (len(want) > offset + 20)
        assert all(c.owner_id == alice.pk for c in result.items)


def test_the_book_takes_the_walk_and_the_collection(book):
    """The data above is what makes the walk and the collection run: more matches than FEW, in an account of
    more contacts than the walk's budget, 'zo' all past it."""
    names = sorted(c.sort_name for c in book)
    assert len(book) > WALK_BUDGET and len(expected(book, "zo")) > FEW and len(expected(book, "ga")) > FEW
    assert not any(n.startswith("zo") for n in names[:WALK_BUDGET])


@pytest.mark.parametrize("q", ["ga", "zo"])
def test_a_tag_narrows_a_big_search(alice, book, q):
    tagged = set(Contact.objects.owned_by(alice).filter(tags__name="vip").values_list("pk", flat=True))
    want = expected(book, q, tagged=tagged)
    result = page(alice, q=q, tag="vip", limit=20)
    assert result.count == len(want) and [c.pk for c in result.items] == want[:20]


def test_the_next_pages_by_cursor_follow_the_first(alice, book):
    want = expected(book, "zo")
    first = page(alice, q="zo", limit=20)
    second = page(alice, q="zo", limit=20, cursor=first.next_cursor, with_count=False)
    assert [c.pk for c in first.items + second.items] == want[:40]


@pytest.mark.parametrize("query", ["q=ga", "q=zo", "q=zo&sort=-created", "q=zoe%20ga", "q=ga&tag=vip",
                                   "q=ga&offset=40"])
def test_a_big_search_reads_only_through_indexes(alice, book, query):
    api = bearer_client(alice)
    assert_on_indexes(lambda: api.get(f"/api/v1/contacts?{query}"))
