"""Issue 4's benchmarks: the contact list, search and detail at 100,000 contacts, server time per request
through the Django test client (the whole stack: middleware, auth, queries, decryption, JSON).

    make bench            (SQLite)      BENCH_DATABASE_URL=postgres://… make bench   (PostgreSQL)
"""

# ruff: noqa: S608 - the floor's SQL is built from constant fragments; every value is a parameter
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    Plain,
    command,
    load_average,
    machine,
    ratio_row,
    seed_account,
    setup_instance,
    timed,
    timeline_contact,
)

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "100"))


def main() -> None:
    setup_instance()
    from django.test import Client

    from lte.accounts.services import api_token_create
    from lte.crm.models import ContactLookup
    from lte.vault.context import acting_for

    print(f"# CRM at scale — {machine()}, load average {load_average()}")
    started = time.perf_counter()
    big = seed_account(contacts=CONTACTS, notes_per_contact=3, seed=7)
    small = seed_account(contacts=1000, notes_per_contact=3, seed=8)
    print(f"  seeded {CONTACTS:,} contacts / {3 * CONTACTS:,} notes and 1,000 / 3,000 in "
          f"{time.perf_counter() - started:.1f} s")
    from django.db import connection

    if connection.vendor == "postgresql":  # what autovacuum does within a minute of a bulk load (its analyze)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print("  ANALYZE after seeding (PostgreSQL's autovacuum would within its next minute)")
    _, token = api_token_create(owner=big, name="bench")
    _, small_token = api_token_create(owner=small, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    api_small = Client(HTTP_AUTHORIZATION=f"Bearer {small_token}", HTTP_HOST="127.0.0.1")
    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(big)

    detail = timeline_contact(big, contacts=CONTACTS)
    with acting_for(big.pk):
        phone = detail.phones[0]
    local_phone = f"({phone[2:5]}) {phone[5:8]}-{phone[8:]}"

    def get(client, url):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:200])
        return call

    deep = min(1000, CONTACTS // 50 - 1)
    cursor_url = "/api/v1/contacts?limit=50"
    for _ in range(deep):  # walk 1,000 pages down with the keyset cursor
        nxt = api.get(cursor_url).json()["next_cursor"]
        cursor_url = f"/api/v1/contacts?limit=50&cursor={nxt}"

    # The floor of each case: the queries it needs, in plain sqlite3 / psycopg on the same data (no ORM, no
    # decryption, no HTTP stack), so each figure reads as a multiple of what the database itself takes.
    plain = Plain()
    owner, small_owner = plain.key(big.pk), plain.key(small.pk)
    end = "\U0010ffff"
    cols = "c.*, s.slug"
    listed = f"SELECT {cols} FROM crm_contact c LEFT JOIN crm_stage s ON s.id = c.stage_id WHERE c.owner_id = %s"
    tags = ("SELECT ct.contact_id, t.name FROM crm_contact_tags ct JOIN crm_tag t ON t.id = ct.tag_id "
            "WHERE ct.contact_id IN (SELECT id FROM crm_contact WHERE owner_id = %s ORDER BY sort_name, id LIMIT 50)")
    count = "SELECT count(*) FROM crm_contact WHERE owner_id = %s"
    after = plain.rows("SELECT sort_name, id FROM crm_contact WHERE owner_id = %s ORDER BY sort_name, id "
                       "LIMIT 1 OFFSET %s", owner, deep * 50 - 1)[0]
    words = "SELECT contact_id FROM crm_contacttoken WHERE owner_id = %s AND token >= %s AND token < %s"
    # From the index side: SQLite's CROSS JOIN keeps that order (without it, and without statistics, SQLite
    # walks the owner's whole list and probes the matches); PostgreSQL's planner orders it by itself.
    cross = "CROSS JOIN"
    stage_of = "LEFT JOIN crm_stage s ON s.id = c.stage_id"

    def name_search(*terms):
        """Two plain ways to the same page, the faster one counts: the list walked in order probing the matches
        (fast when they are many and spread), or the matches sorted from the index side."""
        matching = " INTERSECT ".join([words] * len(terms))
        params = [p for t in terms for p in (owner, t, t + end)]
        counted = (f"SELECT count(*) FROM ({matching}) m", *params)
        return [(counted, (f"{listed} AND c.id IN ({matching}) ORDER BY c.sort_name, c.id LIMIT 21", owner,
                           *params)),
                (counted, (f"SELECT {cols} FROM ({matching}) m {cross} crm_contact c {stage_of} "
                           "WHERE c.id = m.contact_id ORDER BY c.sort_name, c.id LIMIT 21", *params))]

    from lte.crm.services.index import phone_digest

    digest = phone_digest(big.pk, phone)
    contact = (f"{listed} AND c.id = %s", owner, plain.key(detail.pk))
    notes = ("SELECT * FROM crm_note WHERE contact_id = %s ORDER BY created_at DESC", plain.key(detail.pk))
    first_page = ((count, owner), (f"{listed} ORDER BY c.sort_name, c.id LIMIT 51", owner), (tags, owner))
    cases = [
        ("API list, first page (50)", get(api, "/api/v1/contacts?limit=50"), first_page, "≤ 15 ms"),
        (f"API list, page {deep:,} by offset (offset {(deep - 1) * 50:,})",
         get(api, f"/api/v1/contacts?limit=50&offset={(deep - 1) * 50}"),
         ((count, owner), (f"{listed} ORDER BY c.sort_name, c.id LIMIT 51 OFFSET %s", owner, (deep - 1) * 50)),
         "≤ 15 ms"),
        (f"API list, page {deep + 1:,} by keyset cursor", get(api, cursor_url),
         ((f"{listed} AND (c.sort_name, c.id) > (%s, %s) ORDER BY c.sort_name, c.id LIMIT 51", owner, *after),),
         "≤ 15 ms"),
        ("API list, first page, account with 1,000 contacts", get(api_small, "/api/v1/contacts?limit=50"),
         ((count, small_owner), (f"{listed} ORDER BY c.sort_name, c.id LIMIT 51", small_owner)), ""),
        ("API search-as-you-type, name prefix 'ga'", get(api, "/api/v1/contacts?q=ga&limit=20"),
         name_search("ga"), "≤ 10 ms"),
        ("API search-as-you-type, name prefix 'garc'", get(api, "/api/v1/contacts?q=garc&limit=20"),
         name_search("garc"), "≤ 10 ms"),
        ("API search-as-you-type, first name prefix 'zoe'", get(api, "/api/v1/contacts?q=zoe&limit=20"),
         name_search("zoe"), "≤ 10 ms"),
        ("API search, two words 'zoe mull'", get(api, "/api/v1/contacts?q=zoe+mull&limit=20"),
         name_search("zoe", "mull"), "≤ 10 ms"),
        (f"API exact phone search '{local_phone}'", get(api, f"/api/v1/contacts?q={local_phone}"),
         ((f"SELECT {cols} FROM crm_contactlookup l {cross} crm_contact c {stage_of} WHERE l.owner_id = %s "
           "AND l.kind = %s AND l.digest = %s AND c.id = l.contact_id", owner, ContactLookup.PHONE, digest),),
         "≤ 10 ms"),
        ("API contact detail", get(api, f"/api/v1/contacts/{detail.pk}"), (contact,), ""),
        ("API notes of a contact (20)", get(api, f"/api/v1/contacts/{detail.pk}/notes"), (notes,), ""),
    ]
    from django.urls import NoReverseMatch, reverse

    try:
        cases += [
            ("page: contact detail with 20 notes (timeline)",
             get(web, reverse("crm:contact-detail", args=[detail.pk])), (contact, notes), "≤ 20 ms"),
            ("page: contacts list, first page", get(web, reverse("crm:contact-list")), first_page, "≤ 15 ms"),
            ("page: contacts list, search 'garc' (htmx partial)",
             _htmx(big, reverse("crm:contact-list") + "?q=garc"), name_search("garc"), "≤ 10 ms"),
        ]
    except NoReverseMatch:
        print("  (web pages not available: skipped)")
    print(f"\n`{command('bench/crm_bench.py')}` — {CONTACTS:,} contacts, {RUNS} runs each\n")
    print("| request | median | p95 | plain SQL, same queries | ratio | goal |\n|---|---|---|---|---|---|")
    for name, call, statements, goal in cases:
        ways = statements if isinstance(statements, list) else [statements]
        floor = min((timed(plain.run(*way), runs=RUNS) for way in ways), key=lambda t: t["median_ms"])
        ratio_row(name, timed(call, runs=RUNS), floor, goal)
    print(f"load average after: {load_average()}")


def _htmx(user, url):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_HX_REQUEST="true")
    client.force_login(user)

    def call():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return call


if __name__ == "__main__":
    main()
