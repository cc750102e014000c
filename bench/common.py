"""Shared benchmark scaffolding: a throwaway instance, one big account, timers that report medians."""

from __future__ import annotations

import atexit
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def setup_instance() -> None:
    """Points LTE at a fresh data dir (and, with BENCH_DATABASE_URL, a fresh PostgreSQL database)."""
    os.environ["LTE_DATA_DIR"] = tempfile.mkdtemp(prefix="lte-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
    for var in ("DATABASE_URL", "KEYSTORE_URL"):
        url = os.environ.get(f"BENCH_{var}")
        if url:
            sys.path.insert(0, str(ROOT))
            from lte.testing.server import create_postgres_database

            os.environ[var], drop = create_postgres_database(url)
            atexit.register(_dropped, drop)  # a run's database goes with it (each holds a 100k-contact account)
        else:
            os.environ.pop(var, None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("migrate", database="keystore", verbosity=0)


def _dropped(drop: Callable[[], None]) -> None:
    from django.db import connections

    connections.close_all()
    drop()


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from django.db import connection

    return (f"{platform.node()}: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"database {connection.vendor}")


def timed(fn: Callable[[], object], runs: int, warmup: int = 3) -> dict[str, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"median_ms": statistics.median(samples), "p95_ms": samples[int(0.95 * (len(samples) - 1))],
            "runs": runs}


def report(name: str, result: dict[str, float], goal: str = "") -> None:
    parts = [f"median {result['median_ms']:.2f} ms", f"p95 {result['p95_ms']:.2f} ms", f"{result['runs']} runs"]
    print(f"  {name:<58} {' · '.join(parts)}{'   goal ' + goal if goal else ''}", flush=True)


FIRST = ["Ana", "Zoë", "Luis", "María", "José", "Emma", "Noah", "Olivia", "Liam", "Ava", "Sofía", "Mateo", "Chloé",
         "Lucas", "Mia", "Élodie", "Hugo", "Léa", "Ben", "Grace", "Amara", "Kofi", "Yuki", "Hana", "Priya"]
LAST = ["García", "Smith", "Müller", "Rossi", "Dubois", "Silva", "Kowalski", "Nguyen", "Okafor", "Tanaka",
        "Johnson", "Brown", "López", "Martin", "Bernard", "Costa", "Novak", "Jansen", "Larsen", "O'Brien"]


def timeline_contact(user, *, contacts: int):
    """The contact a third of the way down the seeded account's list, given 17 more notes: with its 3 seeded
    ones, the contact page's 20 (the benchmarks' "contact page with 20 notes")."""
    from lte.crm.models import Contact
    from lte.crm.services.notes import note_create
    from lte.vault.context import acting_for

    detail = Contact.objects.owned_by(user).order_by("sort_name", "id")[contacts // 3]
    with acting_for(user.pk):
        for i in range(17):
            note_create(owner=user, contact=detail, body=f"Note {i}: asked about the autumn catalogue.")
    return detail


def seed_account(*, contacts: int, notes_per_contact: int, tags: int = 50, seed: int = 7):
    """One account holding `contacts` contacts and `contacts * notes_per_contact` notes, written in bulk
    through the real models (so every sensitive value is really encrypted and blind-indexed)."""
    from django.db import transaction

    from lte.accounts.models import User
    from lte.crm.models import Contact, ContactLookup, ContactToken, Note, Tag
    from lte.crm.services.index import email_digest, national_digest, national_digits, phone_digest
    from lte.crm.services.stages import stage_defaults_create
    from lte.crm.text import fold, search_key, sort_key
    from lte.vault.context import acting_for

    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    user = User.objects.create_user(f"bench{seed}@example.com", "bench-password-1", name="Bench Leader",
                                    country="US")
    stages = stage_defaults_create(owner=user)
    tag_rows = Tag.objects.bulk_create([Tag(owner=user, name=f"tag-{i:02d}") for i in range(tags)])
    batch = 2000
    with acting_for(user.pk):
        for start in range(0, contacts, batch):
            rows, lookups, notes, links, tokens = [], [], [], [], []
            for i in range(start, min(start + batch, contacts)):
                first, last = rnd.choice(FIRST), f"{rnd.choice(LAST)}{i}"
                email = f"person{i}@example.com"
                phone = f"+1415{5550000 + i:07d}"[:12]
                contact = Contact(owner=user, first_name=first, last_name=last,
                                  search_name=search_key(first, last), sort_name=sort_key(first, last),
                                  reach={"emails": [email], "phones": [phone]}, source="social",
                                  stage=rnd.choice(stages))
                rows.append(contact)
                lookups += [
                    ContactLookup(owner=user, contact=contact, kind=ContactLookup.EMAIL,
                                  digest=email_digest(user.pk, email)),
                    ContactLookup(owner=user, contact=contact, kind=ContactLookup.PHONE,
                                  digest=phone_digest(user.pk, phone)),
                    ContactLookup(owner=user, contact=contact, kind=ContactLookup.NATIONAL,
                                  digest=national_digest(user.pk, national_digits(phone))),
                ]
                tokens += [ContactToken(owner=user, contact=contact, token=w)
                           for w in dict.fromkeys(fold(f"{first} {last}").split())]
                notes += [Note(owner=user, contact=contact, body=f"Talked about the {k}th order; follow up soon.")
                          for k in range(notes_per_contact)]
                links.append(Contact.tags.through(contact_id=contact.pk, tag_id=rnd.choice(tag_rows).pk))
            with transaction.atomic():
                Contact.objects.bulk_create(rows)
                ContactLookup.objects.bulk_create(lookups)
                ContactToken.objects.bulk_create(tokens)
                Note.objects.bulk_create(notes)
                Contact.tags.through.objects.bulk_create(links)
    return user


def child_peak_rss_mb(args: list[str]) -> tuple[float, float]:
    """Runs a command; returns (seconds, its peak resident memory in MB)."""
    start = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-f", "%M", *args], capture_output=True, text=True,  # noqa: S603
                            env=os.environ.copy(), cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return seconds, int(result.stderr.strip().splitlines()[-1]) / 1024


# --- The floor: the same operation in plain sqlite3 / psycopg on the same data, in the same run ----------------


class Plain:
    """A plain DB-API connection to the benchmark's own database (no Django, no ORM, no decryption): what the
    database itself takes for an operation's queries, the floor each figure is compared with."""

    def __init__(self) -> None:
        from django.db import connection

        settings = connection.settings_dict
        self.vendor = connection.vendor
        self.con: Any
        if self.vendor == "sqlite":
            import sqlite3

            self.con = sqlite3.connect(settings["NAME"], isolation_level=None)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "secure_delete=ON", "foreign_keys=ON",
                           "busy_timeout=5000"):
                self.con.execute("PRAGMA " + pragma)
        else:
            import psycopg

            self.con = psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None,
                                       user=settings["USER"] or None, password=settings["PASSWORD"] or None,
                                       dbname=settings["NAME"], autocommit=True)

    def key(self, value):
        """A UUID as this database's column holds it."""
        return value.hex if self.vendor == "sqlite" else value

    def rows(self, sql: str, *params) -> list:
        if self.vendor == "sqlite":
            sql = sql.replace("%s", "?")
        cursor = self.con.cursor()
        cursor.execute(sql, params)
        rows = cursor.fetchall() if cursor.description else []
        cursor.close()
        return rows

    def run(self, *statements: tuple) -> Callable[[], None]:
        """A callable running these (sql, *params) statements and reading all their rows."""
        def call() -> None:
            for sql, *params in statements:
                self.rows(sql, *params)
        return call


def ratio_row(name: str, ours: dict[str, float], floor: dict[str, float], goal: str = "") -> str:
    """One line of the report (markdown): our median and p95, the plain database's median, the ratio."""
    line = (f"| {name} | {ours['median_ms']:.2f} ms | {ours['p95_ms']:.2f} ms | {floor['median_ms']:.3f} ms | "
            f"{ours['median_ms'] / max(floor['median_ms'], 1e-6):.0f}× | {goal} |")
    print(line, flush=True)
    return line


def command(script: str) -> str:
    """The command line that made a report: the BENCH_ variables set, then the script."""
    env = " ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("BENCH_") and "URL" not in k)
    urls = " ".join(f"{k}=…" for k in sorted(os.environ) if k.startswith("BENCH_") and "URL" in k)
    return " ".join(x for x in (urls, env, f".venv/bin/python {script}") if x)


def load_average() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"
