"""Where the contact page (the web page with its timeline) spends its time: one account of BENCH_CONTACTS
contacts (5,000 by default) and 3 notes each, one contact with 20 notes, the signed-in page through Django's test
client, its median over 100 requests and a pyinstrument profile of 100 more.
Run: `.venv/bin/python bench/page_profile.py` (BENCH_DATABASE_URL=postgres://… for PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average, machine, seed_account, setup_instance, timed, timeline_contact


def main() -> None:
    setup_instance()
    from django.test import Client
    from django.urls import reverse
    from pyinstrument import Profiler

    contacts = int(os.environ.get("BENCH_CONTACTS", "5000"))
    user = seed_account(contacts=contacts, notes_per_contact=3)
    user = user[0] if isinstance(user, tuple) else user
    web = Client(HTTP_HOST="127.0.0.1")
    web.force_login(user)
    url = reverse("crm:contact-detail", args=[timeline_contact(user, contacts=contacts).pk])

    def get() -> None:
        response = web.get(url)
        assert response.status_code == 200, response.status_code

    print(f"# contact page profile — {machine()}, {contacts:,} contacts, load average {load_average()}")
    print(f"- the contact page with 20 notes: median {timed(get, runs=100, warmup=10)['median_ms']:.1f} ms")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(100):
        get()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
