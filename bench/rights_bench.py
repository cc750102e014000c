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

from bench.common import child_peak_rss_mb, machine, seed_account, setup_instance

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))


def main() -> None:
    setup_instance()
    from django.db import transaction
    from django.test import RequestFactory

    from lte.crm.models import Contact, Message
    from lte.privacy.deletion import account_delete_confirmed
    from lte.vault.context import acting_for

    print(f"# export and deletion — {machine()}")
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
    print(f"  export ZIP {size / 1e6:.1f} MB: first bytes after {first:.2f} s (goal < 1 s), "
          f"all in {total:.1f} s (goal < 20 s), peak memory of the exporting process {peak:.0f} MB "
          f"(goal < 200 MB)")

    user.set_password("bench-password-1")
    start = time.perf_counter()
    request = RequestFactory().delete("/api/v1/me", REMOTE_ADDR="127.0.0.1")
    request.user = user
    account_delete_confirmed(request, user=user, password="bench-password-1")
    print(f"  delete the account (rows, sessions, keys): {time.perf_counter() - start:.1f} s (goal < 10 s)")
    assert not Contact.objects.filter(owner_id=user.pk).exists()


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
