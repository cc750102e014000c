"""The contact import benchmark: a 100,000-row Google Contacts CSV with national numbers ("(312) 555-0142",
read with the account's country) and our export's layout, imported into a fresh account.

    .venv/bin/python bench/import_bench.py            (SQLite)
    BENCH_IMPORT_ROWS=20000 .venv/bin/python bench/import_bench.py
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/import_bench.py

Reports the scan at upload time (encrypt, detect, count), the import itself in rows per second (goal:
≥ 5,000/s), a second import of the same file (every row matches a contact: the de-duplication path), and
the process's peak resident memory (goal: < 300 MB) from resource.getrusage.
"""

from __future__ import annotations

import csv
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import FIRST, LAST, machine, setup_instance

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
STAGES = ["new-lead", "contacted", "presented", "following-up", "customer", "team-member", "not-now"]
TAGS = [f"tag-{i:02d}" for i in range(20)] + ["VIP", "Yoga", "Skincare", "Team Ana"]
SOURCES = ["warm market", "social", "referral", "event", "other"]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def write_csv(path: Path, rows: int, seed: int = 11) -> None:
    """Realistic rows: accents, one or two emails and phones, some addresses and birthdays, stages, tags."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["first_name", "last_name", "emails", "phones", "address", "birthday", "source", "stage",
                         "tags"])
        for i in range(rows):
            emails = [f"person{i}@example.com"] + ([f"p{i}@work.example"] if i % 5 == 0 else [])
            phones = [f"+1415{2000000 + i:07d}"] + ([f"+34{600000000 + i}"] if i % 7 == 0 else [])
            writer.writerow([
                rnd.choice(FIRST), f"{rnd.choice(LAST)} {i}", " | ".join(emails), " | ".join(phones),
                f"{i} Main Street, Springfield" if i % 3 == 0 else "",
                f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}" if i % 2 == 0 else "",
                rnd.choice(SOURCES), rnd.choice(STAGES), " | ".join(rnd.sample(TAGS, k=1 + i % 2)),
            ])


def write_google_csv(path: Path, rows: int, seed: int = 12) -> None:
    """Google Contacts' layout, numbers written the local way, labels, organisations, notes."""
    rnd = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["First Name", "Middle Name", "Last Name", "Nickname", "Birthday", "Notes", "Labels",
                         "E-mail 1 - Label", "E-mail 1 - Value", "Phone 1 - Label", "Phone 1 - Value",
                         "Phone 2 - Label", "Phone 2 - Value", "Address 1 - Label", "Address 1 - Formatted",
                         "Organization Name", "Organization Title"])
        for i in range(rows):
            writer.writerow([
                rnd.choice(FIRST), "", f"{rnd.choice(LAST)} {i}", "", f"--{1 + i % 12:02d}-{1 + i % 28:02d}"
                if i % 4 == 0 else "", "Met at the fair, likes tea" if i % 10 == 0 else "",
                "* myContacts ::: Customers" if i % 3 == 0 else "* myContacts", "Home", f"person{i}@example.com",
                "Mobile", f"({200 + i % 700}) 555-{i % 10000:04d}", "Work" if i % 6 == 0 else "",
                f"312.555.{(i * 7) % 10000:04d}" if i % 6 == 0 else "", "Home" if i % 3 == 0 else "",
                f"{i} Main Street\nSpringfield" if i % 3 == 0 else "", "Acme" if i % 8 == 0 else "",
                "Buyer" if i % 8 == 0 else ""])


def floor_rows_per_second(work: Path, rows: int) -> float:
    """The plain-sqlite3 floor: the same number of contact rows and three index rows each, through
    executemany in one file with the same pragmas, no validation, no encryption."""
    import sqlite3
    import uuid

    db = sqlite3.connect(work / "floor.sqlite3")
    db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA secure_delete=ON;"
                     "CREATE TABLE c (id TEXT PRIMARY KEY, owner TEXT, first TEXT, last TEXT, reach TEXT);"
                     "CREATE TABLE l (id TEXT PRIMARY KEY, owner TEXT, contact TEXT, kind TEXT, digest TEXT);"
                     "CREATE INDEX l_d ON l (owner, kind, digest);")
    owner = uuid.uuid4().hex
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        contacts = [(uuid.uuid4().hex, owner, "Ana", f"Silva {i}", "x" * 80) for i in range(start, start + 1000)]
        db.executemany("INSERT INTO c VALUES (?, ?, ?, ?, ?)", contacts)
        db.executemany("INSERT INTO l VALUES (?, ?, ?, ?, ?)", [(uuid.uuid4().hex, owner, c[0], k, uuid.uuid4().hex)
                                                                for c in contacts for k in ("e", "p", "t")])
        db.commit()
    seconds = time.perf_counter() - started
    db.close()
    return rows / seconds


def main() -> None:
    os.environ["LTE_JOBS_IMMEDIATE"] = "0"  # queued jobs wait in the (throwaway) queue; we run the import here
    setup_instance()
    from django.core.files import File

    from lte.accounts.models import User
    from lte.crm import imports
    from lte.crm.models import Contact, ImportJob
    from lte.vault.context import acting_for

    print(f"# contact import — {machine()}; load average {os.getloadavg()[0]:.1f} (others slow the wall clock)")
    work = Path(tempfile.mkdtemp(prefix="lte-import-bench-"))
    google = work / "google.csv"
    write_google_csv(google, ROWS)
    path = work / "contacts.csv"
    write_csv(path, ROWS)
    size_mb = path.stat().st_size / (1024 * 1024)
    print(f"  generated {ROWS:,} rows, {size_mb:.1f} MB; peak RSS so far {peak_rss_mb():.0f} MB")
    print(f"  floor: plain sqlite3, 1 + 3 rows per contact: {floor_rows_per_second(work, ROWS):,.0f} rows/s")
    user = User.objects.create_user("bench-import@example.com", "bench-password-1", name="Bench", country="US")
    other = User.objects.create_user("bench-import-2@example.com", "bench-password-1", name="Bench", country="US")

    def import_once(label: str, path: Path = path, user=user) -> ImportJob:
        started = time.perf_counter()
        with path.open("rb") as source:
            job = imports.import_start(owner=user, upload=File(source, name="contacts.csv"))
        scanned = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        with acting_for(user.pk):
            imports.import_run(job.pk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        job = ImportJob.objects.get(pk=job.pk)
        with acting_for(user.pk):
            problems = job.errors
        print(f"  {label:<34} scan {scanned:5.2f} s · import {seconds:6.2f} s = {job.processed / seconds:6,.0f} rows/s"
              f" ({job.processed / cpu:,.0f} rows per CPU-second) · created {job.created:,} updated {job.updated:,}"
              f" · peak RSS {peak_rss_mb():.0f} MB · load {os.getloadavg()[0]:.1f}")
        assert job.status == ImportJob.Status.DONE and not problems, problems[:5]
        return job

    first = import_once("Google CSV, national numbers", google, other)
    assert first.created == ROWS and Contact.objects.owned_by(other).count() == ROWS
    first = import_once("our layout, new contacts")
    assert first.created == ROWS and Contact.objects.owned_by(user).count() == ROWS
    second = import_once("the same file again (all known)")
    assert second.created == 0 and Contact.objects.owned_by(user).count() == ROWS
    from lte.privacy.exports import zip_stream

    started = time.perf_counter()
    archive = work / "export.zip"
    with archive.open("wb") as out:
        for piece in zip_stream(user):
            out.write(piece)
    print(f"  round trip: export of {ROWS:,} contacts {time.perf_counter() - started:.1f} s, "
          f"{archive.stat().st_size / 2**20:.1f} MB")
    third = User.objects.create_user("bench-import-3@example.com", "bench-password-1", name="Bench", country="US")
    back = import_once("round trip: that ZIP, new account", archive, third)
    assert back.created >= ROWS and Contact.objects.owned_by(third).count() == ROWS
    print(f"  goals: ≥ 5,000 rows/s for new contacts, peak RSS < 250 MB (now {peak_rss_mb():.0f} MB)")
    for leftover in work.iterdir():
        leftover.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
