"""Where a contact-list API request spends its time: one account of BENCH_CONTACTS contacts (5,000 by default),
`GET /api/v1/contacts?limit=50` (or BENCH_PATH) through Django's test client with a bearer token, medians of 200
requests next to `/healthz`, then a pyinstrument profile of 200 more. Run: `.venv/bin/python bench/list_profile.py`."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import load_average, machine, seed_account, setup_instance


def median_ms(client, path: str, runs: int = 200) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content[:200]
    return statistics.median(times) * 1000


def main() -> None:
    setup_instance()
    from pyinstrument import Profiler

    from lte.testing.helpers import bearer_client

    contacts = int(os.environ.get("BENCH_CONTACTS", "5000"))
    user = seed_account(contacts=contacts, notes_per_contact=0)
    user = user[0] if isinstance(user, tuple) else user
    client = bearer_client(user, HTTP_HOST="127.0.0.1")
    path = os.environ.get("BENCH_PATH", "/api/v1/contacts?limit=50")
    median_ms(client, path, runs=20)  # warm-up
    print(f"# list profile — {machine()}, {contacts:,} contacts, load average {load_average()}")
    print(f"- `GET {path}`: median {median_ms(client, path):.1f} ms")
    print(f"- `GET /healthz`: median {median_ms(client, '/healthz'):.2f} ms")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(200):
        client.get(path)
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
