"""The contact import benchmark: a 100,000-row CSV (our export's layout) imported into a fresh account.

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
    path = work / "contacts.csv"
    write_csv(path, ROWS)
    size_mb = path.stat().st_size / (1024 * 1024)
    print(f"  generated {ROWS:,} rows, {size_mb:.1f} MB; peak RSS so far {peak_rss_mb():.0f} MB")
    user = User.objects.create_user("bench-import@example.com", "bench-password-1", name="Bench", country="US")

    def import_once(label: str) -> ImportJob:
        started = time.perf_counter()
        with path.open("rb") as source:
            job = imports.import_start(owner=user, upload=File(source, name="contacts.csv"))
        scanned = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.process_time()
        with acting_for(user.pk):
            imports.import_run(job.pk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        job = ImportJob.objects.get(pk=job.pk)
        print(f"  {label:<34} scan {scanned:5.2f} s · import {seconds:6.2f} s = {job.processed / seconds:6,.0f} rows/s"
              f" ({job.processed / cpu:,.0f} rows per CPU-second) · created {job.created:,} updated {job.updated:,}"
              f" · peak RSS {peak_rss_mb():.0f} MB · load {os.getloadavg()[0]:.1f}")
        assert job.status == ImportJob.Status.DONE and not job.errors, job.errors[:5]
        return job

    first = import_once("new contacts (bulk path)")
    assert first.created == ROWS and Contact.objects.owned_by(user).count() == ROWS
    second = import_once("the same file again (all match)")
    assert second.updated == ROWS and Contact.objects.owned_by(user).count() == ROWS
    print(f"  goals: ≥ 5,000 rows/s for new contacts, peak RSS < 300 MB (now {peak_rss_mb():.0f} MB)")
    path.unlink()
    work.rmdir()


if __name__ == "__main__":
    main()
