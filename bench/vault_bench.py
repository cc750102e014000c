"""Issue 3's benchmarks: the encrypted field, its cost on a list of 50, and backup/verify at 100k contacts.

    make bench            (SQLite)      BENCH_DATABASE_URL=postgres://… make bench   (PostgreSQL)
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import child_peak_rss_mb, machine, report, seed_account, setup_instance, timed

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))


def main() -> None:
    setup_instance()
    from lte.crm.models import Contact, Note
    from lte.vault.context import acting_for
    from lte.vault.fields import open_value, seal_value
    from lte.vault.keys import key_cache

    print(f"# vault and backups — {machine()}")
    started = time.perf_counter()
    user = seed_account(contacts=CONTACTS, notes_per_contact=3)
    print(f"  seeded {CONTACTS:,} contacts and {3 * CONTACTS:,} notes in {time.perf_counter() - started:.1f} s")

    field = Note._meta.get_field("body")
    note = Note(owner=user, contact_id=Contact.objects.values_list("pk", flat=True).first(), body="")
    values = [f"short value {i}" for i in range(100_000)]
    with acting_for(user.pk):
        start = time.perf_counter()
        tokens = [seal_value(field, note, v) for v in values]
        sealed_s = time.perf_counter() - start
        start = time.perf_counter()
        opened = [open_value(field, note, t) for t in tokens]
        opened_s = time.perf_counter() - start
    assert opened == values
    print(f"  encrypt 100,000 short values through the field            {sealed_s:.2f} s "
          f"({sealed_s * 1e6 / 1e5:.1f} µs each)")
    print(f"  decrypt 100,000 short values through the field            {opened_s:.2f} s "
          f"({opened_s * 1e6 / 1e5:.1f} µs each)")

    middle = CONTACTS // 2
    ordered = Contact.objects.owned_by(user).order_by("sort_name", "id").values_list("pk", flat=True)
    page = list(ordered[middle:middle + 50])
    assert len(page) == 50

    def without_decryption():
        rows = list(Contact.objects.filter(pk__in=page).order_by("sort_name", "id"))
        return [(c.first_name, c.last_name, c.__dict__["reach"]) for c in rows]

    def with_decryption():
        rows = list(Contact.objects.filter(pk__in=page).order_by("sort_name", "id"))
        return [(c.first_name, c.last_name, c.emails, c.phones) for c in rows]

    with acting_for(user.pk):
        plain = timed(without_decryption, runs=200)
        key_cache.evict()
        crypto = timed(with_decryption, runs=200)
    report("list 50 contacts, ciphertext untouched (baseline)", plain)
    report("list 50 contacts, emails and phones decrypted", crypto)
    overhead = (crypto["median_ms"] - plain["median_ms"]) / plain["median_ms"] * 100
    print(f"  decryption overhead on the list of 50                      {overhead:.1f} %   goal < 20 %")

    lte = [sys.executable, "-m", "lte.cli"]
    seconds, peak = child_peak_rss_mb([*lte, "backup", "--only", "data"])
    print(f"  lte backup (data), {CONTACTS:,} contacts + {3 * CONTACTS:,} notes    {seconds:.1f} s, "
          f"peak memory {peak:.0f} MB   goal < 30 s")
    seconds, peak = child_peak_rss_mb([*lte, "backup", "--verify", "--only", "data"])
    print(f"  lte backup --verify (restore into scratch and check)       {seconds:.1f} s, peak memory {peak:.0f} MB")
    backups = sorted((Path(os.environ["LTE_DATA_DIR"]) / "backups").glob("lte-data-*.lteb"))
    print(f"  backup size {backups[-1].stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
