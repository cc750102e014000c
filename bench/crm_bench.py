"""Issue 4's benchmarks: the contact list, search and detail at 100,000 contacts, server time per request
through the Django test client (the whole stack: middleware, auth, queries, decryption, JSON).

    make bench            (SQLite)      BENCH_DATABASE_URL=postgres://… make bench   (PostgreSQL)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, report, seed_account, setup_instance, timed

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
RUNS = int(os.environ.get("BENCH_RUNS", "100"))


def main() -> None:
    setup_instance()
    from django.test import Client

    from lte.accounts.services import api_token_create
    from lte.crm.models import Contact
    from lte.crm.services.notes import note_create
    from lte.vault.context import acting_for

    print(f"# CRM at scale — {machine()}")
    started = time.perf_counter()
    big = seed_account(contacts=CONTACTS, notes_per_contact=3, seed=7)
    small = seed_account(contacts=1000, notes_per_contact=3, seed=8)
    print(f"  seeded {CONTACTS:,} contacts / {3 * CONTACTS:,} notes and 1,000 / 3,000 in "
          f"{time.perf_counter() - started:.1f} s")
    _, token = api_token_create(owner=big, name="bench")
    _, small_token = api_token_create(owner=small, name="bench")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    api_small = Client(HTTP_AUTHORIZATION=f"Bearer {small_token}", HTTP_HOST="127.0.0.1")
    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(big)

    detail = Contact.objects.owned_by(big).order_by("sort_name", "id")[CONTACTS // 3]
    with acting_for(big.pk):
        for i in range(17):  # 3 seeded + 17 = 20 notes
            note_create(owner=big, contact=detail, body=f"Note {i}: asked about the autumn catalogue.")
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

    cases = [
        ("API list, first page (50)", get(api, "/api/v1/contacts?limit=50")),
        (f"API list, page {deep:,} by offset (offset {(deep - 1) * 50:,})",
         get(api, f"/api/v1/contacts?limit=50&offset={(deep - 1) * 50}")),
        (f"API list, page {deep + 1:,} by keyset cursor", get(api, cursor_url)),
        ("API list, first page, account with 1,000 contacts", get(api_small, "/api/v1/contacts?limit=50")),
        ("API search-as-you-type, name prefix 'ga'", get(api, "/api/v1/contacts?q=ga&limit=20")),
        ("API search-as-you-type, name prefix 'garc'", get(api, "/api/v1/contacts?q=garc&limit=20")),
        ("API search, two words 'zoe mull'", get(api, "/api/v1/contacts?q=zoe+mull&limit=20")),
        (f"API exact phone search '{local_phone}'", get(api, f"/api/v1/contacts?q={local_phone}")),
        ("API contact detail", get(api, f"/api/v1/contacts/{detail.pk}")),
        ("API notes of a contact (20)", get(api, f"/api/v1/contacts/{detail.pk}/notes")),
    ]
    from django.urls import NoReverseMatch, reverse

    try:
        cases += [
            ("page: contact detail with 20 notes (timeline)",
             get(web, reverse("crm:contact-detail", args=[detail.pk]))),
            ("page: contacts list, first page", get(web, reverse("crm:contact-list"))),
            ("page: contacts list, search 'garc' (htmx partial)",
             _htmx(big, reverse("crm:contact-list") + "?q=garc")),
        ]
    except NoReverseMatch:
        print("  (web pages not available: skipped)")
    for name, call in cases:
        report(name, timed(call, runs=RUNS), goal="< 50 ms median" if "1,000 contacts" not in name else "")


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
