"""Where an account's deletion spends its time on PostgreSQL: the DELETE statements, then the foreign keys'
checks (Django's keys are DEFERRABLE INITIALLY DEFERRED: PostgreSQL checks every deleted row at commit),
forced here with SET CONSTRAINTS ALL IMMEDIATE, then the commit. Also runs on SQLite, which checks its keys
during the statements.

    BENCH_DATABASE_URL=postgres://… BENCH_KEYSTORE_URL=postgres://… BENCH_CONTACTS=20000 \\
        .venv/bin/python bench/deletion_probe.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import command, load_average, machine, seed_account, setup_instance


def main() -> None:
    setup_instance()
    from django.db import connection, transaction

    from lte.privacy.deletion import accounts_rows_delete

    contacts = int(os.environ.get("BENCH_CONTACTS", "20000"))
    user = seed_account(contacts=contacts, notes_per_contact=3)
    user = user[0] if isinstance(user, tuple) else user
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    start = time.perf_counter()
    with transaction.atomic():
        accounts_rows_delete([user.pk])
        statements = time.perf_counter()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        checked = time.perf_counter()
    done = time.perf_counter()
    print(f"`{command('bench/deletion_probe.py')}` — {machine()}, {contacts:,} contacts, {3 * contacts:,} notes, "
          f"load average {load_average()}: the statements {statements - start:.2f} s, the deferred foreign-key "
          f"checks {checked - statements:.2f} s, the commit {done - checked:.2f} s")


if __name__ == "__main__":
    main()
