"""Every query of the hot pages and API calls is answered from an index, on SQLite and on PostgreSQL.

Each request's queries are captured and handed back to the database as EXPLAIN: a plan that reads a whole
CRM table (SQLite's `SCAN crm_contact`, PostgreSQL's `Seq Scan on crm_contact` with sequential scans priced out,
so the planner takes an index whenever one can answer) fails here. That is the shape that stays fast at
100,000 contacts, whatever the timing on a test's few rows; the timings themselves are `make bench`'s.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lte.crm import queries
from lte.crm.models import Contact
from lte.crm.services.contacts import contact_create
from lte.crm.services.followups import followup_create
from lte.crm.services.messages import message_log
from lte.crm.services.notes import note_create
from lte.testing.helpers import bearer_client
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db

# The tables that grow with a seller's book: a query may never read one of them whole.
BIG_TABLES = ("crm_contact", "crm_contacttoken", "crm_contactlookup", "crm_note", "crm_message", "crm_followup",
              "crm_stagechange", "crm_contact_tags")
ON_POSTGRES = connection.vendor == "postgresql"


def seed(owner, n: int = 12) -> list[Contact]:
    made = []
    with acting_for(owner.pk):
        for i in range(n):
            contact = contact_create(owner=owner, first_name=f"Gabriela {i}", last_name=f"García{i}",
                                     emails=[f"g{i}@example.com"], phones=[f"+1415555{i:04d}"], tags=["vip"],
                                     stage="customer" if i % 2 else "new-lead")
            note_create(owner=owner, contact_id=contact.pk, body=f"note {i}")
            message_log(owner=owner, contact_id=contact.pk, channel="sms", body=f"hi {i}")
            followup_create(owner=owner, contact_id=contact.pk, title=f"call {i}",
                            due_at=timezone.now() + timedelta(hours=i - 6))
            made.append(contact)
    return made


@pytest.fixture
def book(alice, bob):
    seed(bob)  # another seller's rows in the same tables: a plan that ignores the owner would read them too
    return seed(alice)


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        if ON_POSTGRES:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def big(table: str) -> bool:
    # SQLite names a subquery's table by Django's alias (U0, T3…): those are the search's token and lookup rows.
    return table in BIG_TABLES or re.fullmatch(r"[A-Z]\d+", table) is not None


def full_reads(plan: str) -> list[str]:
    if ON_POSTGRES:
        reads = []
        for node in re.split(r"->", plan):  # each plan node with its detail lines
            seq = re.search(r"Seq Scan on (\w+)", node)
            walk = re.search(r"Index (?:Only )?Scan(?: Backward)? using \w+ on (\w+)", node)
            if seq and big(seq.group(1)):
                reads.append(seq.group(1))
            elif walk and big(walk.group(1)) and "Index Cond" not in node:  # the whole index, in its order
                reads.append(walk.group(1))
        return reads
    # "SCAN t", and "SCAN t USING INDEX i" too: without a constraint it walks the whole index. Only a SEARCH
    # narrows the read to the owner's rows.
    return [table for table in re.findall(r"\bSCAN (\w+)", plan) if big(table)]


def assert_on_indexes(do) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = do()
    assert response.status_code == 200, response.status_code
    selects = [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert selects, "the request ran no query to check"
    bad = [(full_reads(plan_of(sql)), sql[:300]) for sql in selects]
    bad = [(tables, sql) for tables, sql in bad if tables]
    assert not bad, "read whole: " + "\n".join(f"{tables}: {sql}" for tables, sql in bad)
    return len(selects)


@pytest.fixture
def web(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.mark.parametrize("path", [
    "/app/contacts/",                      # the first list page
    "/app/contacts/?page=2",
    "/app/contacts/?q=ga",                 # one prefix, as typed
    "/app/contacts/?q=gab+garc",           # two words
    "/app/contacts/?q=0003",               # the last 4 digits of a number
    "/app/contacts/?q=g3%40example.com",   # an email
    "/app/contacts/?q=%2B14155550003",     # a whole number
    "/app/contacts/?tag=vip",
    "/app/",                               # Today
    "/app/followups/?due=today",
    "/app/followups/?due=overdue",
    "/app/contacts/duplicates/",
    "/app/board/",
])
def test_the_pages_read_only_through_indexes(book, web, path):
    assert_on_indexes(lambda: web.get(path))


def test_the_contact_page_with_its_notes_and_timeline_reads_only_through_indexes(book, web):
    assert_on_indexes(lambda: web.get(f"/app/contacts/{book[3].pk}/"))


@pytest.mark.parametrize("query", [
    "limit=50", "limit=50&offset=600", "q=ga", "q=garc", "q=gab%20garc", "q=0003", "tag=vip", "stage=customer",
])
def test_the_api_list_and_search_read_only_through_indexes(book, alice, query):
    api = bearer_client(alice)
    assert_on_indexes(lambda: api.get(f"/api/v1/contacts?{query}"))


def test_the_api_cursor_pages_read_only_through_indexes(book, alice):
    api = bearer_client(alice)
    first = api.get("/api/v1/contacts?limit=5").json()
    cursor = first.get("next_cursor")
    assert cursor, first.keys()
    assert_on_indexes(lambda: api.get(f"/api/v1/contacts?limit=5&cursor={cursor}"))


@pytest.mark.parametrize("sql", [
    "SELECT COUNT(*) FROM crm_note WHERE body = 'x'",                     # no index to use at all
    "SELECT id FROM crm_contact ORDER BY owner_id, sort_name, id LIMIT 5",  # an index walked whole, for its order
])
def test_the_check_catches_a_full_read(sql):
    """The detector itself, on this database."""
    assert full_reads(plan_of(sql)) != []


def queries_of(do) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert do().status_code == 200
    return len(captured.captured_queries)


def test_a_list_page_costs_the_same_queries_for_5_contacts_or_50(alice, bob):
    """No query per row (tags, stage): the page's cost doesn't grow with its length."""
    seed(alice, 5)
    api, web = bearer_client(alice), Client()
    web.force_login(alice)
    api.get("/api/v1/contacts"), web.get("/app/contacts/")  # first requests note their session/token use
    few = (queries_of(lambda: api.get("/api/v1/contacts?limit=50")), queries_of(lambda: web.get("/app/contacts/")))
    seed(alice, 45)
    many = (queries_of(lambda: api.get("/api/v1/contacts?limit=50")), queries_of(lambda: web.get("/app/contacts/")))
    assert many == few
    body = api.get("/api/v1/contacts?limit=50").json()
    assert len(body["items"]) == 50 and all(item["tags"] == ["vip"] for item in body["items"])
    assert web.get("/app/contacts/").content.decode().count('<span class="tag" dir="auto">vip</span>') == 50


def test_a_words_exists_names_the_owner_on_postgresql_and_not_on_sqlite(alice):
    """The search's EXISTS per word (the walk's, and each further word's): on PostgreSQL it carries the owner, so
    the planner's hash semi-join reads the word's range of (owner, token, contact) instead of the whole token
    table (`Seq Scan on crm_contacttoken`, 20 ms at 100,000 contacts, which `enable_seqscan = off` above hides).
    On SQLite it doesn't: SQLite runs it per contact, and with the owner it took the owner's index (300 ms)."""
    walk = queries._walker(sort="name", ordering=["sort_name", "id"], words=1, bounded=True, offset=0, limit=50,
                           tag="", stage="")
    walked = str(walk(alice.pk, "garc", "garc" + queries.TOKEN_END, "m").query)
    two_words = str(queries._matching_words(alice, ["zoe", "mull"], ordered=True).query)
    for sql in (walked, two_words):
        exists = sql[sql.index("EXISTS"):]
        assert re.search(r'U0\."contact_id" = ', exists)
        assert bool(re.search(r'U0\."owner_id" = ', exists)) == ON_POSTGRES, exists
