"""Issue 5's benchmarks: one-tap export and deletion of a big account.

Export of 100,000 contacts / 300,000 notes / 50,000 messages: total time, time to the first bytes and
peak memory of the process (goal < 20 s, < 1 s, < 200 MB); deletion of that account (goal < 10 s).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Plain, child_peak_rss_mb, command, load_average, machine, seed_account, setup_instance

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))


def main() -> None:
    setup_instance()
    from django.db import transaction
    from django.test import RequestFactory

    from lte.crm.models import Contact, Message
    from lte.privacy.deletion import account_delete_confirmed
    from lte.vault.context import acting_for

    print(f"# export and deletion — {machine()}, load average {load_average()}")
    started = time.perf_counter()
    user = seed_account(contacts=CONTACTS, notes_per_contact=3, seed=11)
    ids = list(Contact.objects.owned_by(user).values_list("pk", flat=True)[: CONTACTS // 2])
    with acting_for(user.pk), transaction.atomic():
        for start in range(0, len(ids), 5000):
            Message.objects.bulk_create([Message(owner=user, contact_id=pk, channel="whatsapp",
                                                 body="Hi! Loved seeing you at the event.")
                                         for pk in ids[start:start + 5000]])
    print(f"  seeded {CONTACTS:,} contacts, {3 * CONTACTS:,} notes, {len(ids):,} messages in "
          f"{time.perf_counter() - started:.1f} s")

    out = Path(os.environ["LTE_DATA_DIR"]) / "export.zip"
    _seconds, peak = child_peak_rss_mb([sys.executable, __file__, "--export", str(user.pk), str(out)])
    first, total, size = (float(x) for x in (Path(str(out) + ".timing")).read_text().split())
    plain = Plain()
    floor_export = plain_export(plain, user.pk, Path(os.environ["LTE_DATA_DIR"]) / "plain.zip")
    floor_delete = plain_delete(plain, user.pk)

    user.set_password("bench-password-1")
    start = time.perf_counter()
    request = RequestFactory().delete("/api/v1/me", REMOTE_ADDR="127.0.0.1")
    request.user = user
    account_delete_confirmed(request, user=user, password="bench-password-1")
    deleted = time.perf_counter() - start
    assert not Contact.objects.filter(owner_id=user.pk).exists()
    print(f"\n`{command('bench/rights_bench.py')}` — {CONTACTS:,} contacts, {3 * CONTACTS:,} notes, "
          f"{len(ids):,} messages, database {plain.vendor}\n")
    print("| operation | LTE | plain SQL, same rows | ratio | goal |\n|---|---|---|---|---|")
    print(f"| export ZIP ({size / 1e6:.1f} MB), all of it | {total:.1f} s | {floor_export:.1f} s "
          f"(no decryption) | {total / floor_export:.1f}× | ≤ 10 s |")
    print(f"| export, first bytes | {first:.2f} s | — | — | < 1 s |")
    print(f"| export, peak memory of the exporting process | {peak:.0f} MB | — | — | ≤ 150 MB |")
    print(f"| delete the account (rows, sessions, keys, WAL checkpoint) | {deleted:.1f} s | {floor_delete:.1f} s "
          f"(keys checked, rolled back) | {deleted / floor_delete:.1f}× | ≤ 5 s |")
    print(f"load average after: {load_average()}")


# The floor: the same rows in plain sqlite3 / psycopg (S608: table and column names are constants here).
EXPORTED = {
    "contacts.csv": "SELECT * FROM crm_contact WHERE owner_id = %s ORDER BY sort_name, id",
    "notes.csv": "SELECT * FROM crm_note WHERE owner_id = %s ORDER BY created_at, id",
    "messages.csv": "SELECT * FROM crm_message WHERE owner_id = %s ORDER BY sent_at, id",
    "followups.csv": "SELECT * FROM crm_followup WHERE owner_id = %s ORDER BY due_at, id",
}
DELETED = ["crm_contactlookup", "crm_contacttoken", "crm_note", "crm_message", "crm_followup", "crm_stagechange"]


def plain_export(plain: Plain, user_id, out: Path) -> float:
    """Every row of the big tables, in the export's order, as CSV in a streamed ZIP (deflate level 1), without
    decrypting anything: the floor of the export."""
    import csv
    import io
    import zipfile

    start = time.perf_counter()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, sql in EXPORTED.items():
            with archive.open(name, "w", force_zip64=True) as raw:
                cursor = plain.con.cursor()
                cursor.execute(sql.replace("%s", "?") if plain.vendor == "sqlite" else sql, (plain.key(user_id),))
                text = io.StringIO()
                writer = csv.writer(text)
                while rows := cursor.fetchmany(2000):
                    writer.writerows(rows)
                    raw.write(text.getvalue().encode())
                    text.seek(0)
                    text.truncate()
                cursor.close()
    return time.perf_counter() - start


def plain_delete(plain: Plain, user_id) -> float:
    """The account's rows deleted with plain DELETEs in one transaction, their foreign keys checked, then rolled
    back (the real deletion runs after): the floor of the deletion."""
    owner = plain.key(user_id)
    start = time.perf_counter()
    plain.rows("BEGIN")
    for table in DELETED:
        plain.rows(f"DELETE FROM {table} WHERE owner_id = %s", owner)  # noqa: S608
    plain.rows("DELETE FROM crm_contact_tags WHERE contact_id IN (SELECT id FROM crm_contact WHERE owner_id = %s)",
               owner)
    plain.rows("DELETE FROM crm_contact WHERE owner_id = %s", owner)
    if plain.vendor == "postgresql":  # the foreign keys' checks, deferred to the commit, run here as ours do
        plain.rows("SET CONSTRAINTS ALL IMMEDIATE")
    seconds = time.perf_counter() - start
    plain.rows("ROLLBACK")
    return seconds


def export_child(user_id: str, out: str) -> None:
    """Runs in a fresh process, so its peak memory is the export's own."""
    import django

    django.setup()
    from lte.accounts.models import User
    from lte.privacy.exports import zip_stream

    user = User.objects.get(pk=user_id)
    start = time.perf_counter()
    first, size = None, 0
    with open(out, "wb") as fh:
        for chunk in zip_stream(user):
            if first is None and chunk:
                first = time.perf_counter() - start
            size += len(chunk)
            fh.write(chunk)
    Path(out + ".timing").write_text(f"{first} {time.perf_counter() - start} {size}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--export"]:
        export_child(sys.argv[2], sys.argv[3])
    else:
        main()
