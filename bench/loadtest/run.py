"""`make loadtest` (issue 9, part 6): a real `lte run` on loopback under wrk, for every endpoint a seller leans on.

For each database (SQLite; PostgreSQL + Redis too when BENCH_DATABASE_URL is set) and each data set (one account
of LOADTEST_CONTACTS contacts, and LOADTEST_ACCOUNTS accounts of LOADTEST_ACCOUNT_CONTACTS), in a process of its
own (Django sets up once per process): start `lte run` (lte.testing.server.LteServer) on a free port, seed its
database through the real models (bench.common.seed_account), make a token and a session per account, measure the
idle memory of the server's process tree, then run wrk (bench/loadtest/lte.lua) for LOADTEST_SECONDS per endpoint
at 1 and 8 connections, and print a Markdown table: req/s, p50, p99, non-2xx answers, "database is locked" in
the server's log during that run, and the load average when it started (the machine's other work is noise).

    make loadtest                                   (SQLite, 100,000 contacts + 100 accounts of 1,000)
    LOADTEST_CONTACTS=5000 LOADTEST_SECONDS=5 make loadtest          (a quick try)
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
      BENCH_KEYSTORE_URL=postgres://postgres@127.0.0.1:5432/postgres \
      BENCH_REDIS_URL=redis://127.0.0.1:6379/14 make loadtest       (SQLite, then PostgreSQL + Redis)
Other knobs: LOADTEST_SETS=one,many, LOADTEST_DATABASES=sqlite,postgresql, LOADTEST_NOTES (per contact, 3),
LOADTEST_IDLE_SECONDS (5), LOADTEST_KEEP=1 (leave the data dir and server log in /tmp), LOADTEST_MODES=list,page
(only these endpoints). The last column is the CPU seconds each web process (gunicorn's workers) spent in the run:
how evenly the connections were shared.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from lte.testing.server import LteServer  # noqa: E402 - needs ROOT on the path; imports no Django

SECONDS = int(os.environ.get("LOADTEST_SECONDS", "10"))
CONTACTS = int(os.environ.get("LOADTEST_CONTACTS", "100000"))
ACCOUNTS = int(os.environ.get("LOADTEST_ACCOUNTS", "100"))
ACCOUNT_CONTACTS = int(os.environ.get("LOADTEST_ACCOUNT_CONTACTS", "1000"))
NOTES = int(os.environ.get("LOADTEST_NOTES", "3"))
IDLE_SECONDS = float(os.environ.get("LOADTEST_IDLE_SECONDS", "5"))
SCENARIO_TIMEOUT = int(os.environ.get("LOADTEST_SCENARIO_TIMEOUT", "3600"))  # seeding 100k included
CONNECTIONS = (1, 8)
IDS_PER_ACCOUNT = 500
LUA = HERE / "lte.lua"
MODES = [
    ("healthz", "`GET /healthz` (framework floor)"),
    ("list", "list `GET /api/v1/contacts?limit=50`"),
    ("search", "search `GET /api/v1/contacts?q=<prefix>`"),
    ("contact", "contact `GET /api/v1/contacts/<id>`"),
    ("page", "contact page `/app/contacts/<id>/` (session)"),
    ("note", "note create `POST /api/v1/contacts/<id>/notes`"),
    ("mixed", "mixed seller workload (10 % writes)"),
]
LOCKED = "database is locked"


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- The whole run: one child process per (database, data set) ---------------------------------------------------


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--scenario":
        return scenario(sys.argv[2], sys.argv[3])
    if shutil.which("wrk") is None:
        sys.exit("The load test needs wrk: `apt-get install wrk` (Debian/Ubuntu) or `brew install wrk` (macOS).")
    databases = os.environ.get("LOADTEST_DATABASES") or ("sqlite,postgresql" if os.environ.get("BENCH_DATABASE_URL")
                                                          else "sqlite")
    sets = os.environ.get("LOADTEST_SETS", "one,many")
    started = time.perf_counter()
    print(f"# Load test — {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, wrk {SECONDS} s per run, "
          f"load average {loadavg()}", flush=True)
    failed = 0
    for database in databases.split(","):
        for dataset in sets.split(","):
            try:
                result = subprocess.run([sys.executable, __file__, "--scenario", database, dataset],  # noqa: S603
                                        timeout=SCENARIO_TIMEOUT, check=False)
                failed += result.returncode != 0
            except subprocess.TimeoutExpired:
                print(f"**{database}/{dataset}: stopped after {SCENARIO_TIMEOUT} s (LOADTEST_SCENARIO_TIMEOUT)**")
                failed += 1
    print(f"\nWhole load test: {time.perf_counter() - started:.0f} s, load average now {loadavg()}", flush=True)
    return 1 if failed else 0


# --- One scenario -------------------------------------------------------------------------------------------------


def use_database(database: str) -> None:
    """LteServer.start() makes its own databases from DATABASE_URL / KEYSTORE_URL (and keys under REDIS_URL)."""
    for var in ("DATABASE_URL", "KEYSTORE_URL", "REDIS_URL"):
        os.environ.pop(var, None)
    if database == "postgresql":
        url = os.environ.get("BENCH_DATABASE_URL")
        if not url:
            sys.exit("LOADTEST_DATABASES has postgresql but BENCH_DATABASE_URL is not set.")
        os.environ["DATABASE_URL"] = url
        os.environ["KEYSTORE_URL"] = os.environ.get("BENCH_KEYSTORE_URL") or url
        if os.environ.get("BENCH_REDIS_URL"):
            os.environ["REDIS_URL"] = os.environ["BENCH_REDIS_URL"]
    elif database != "sqlite":
        sys.exit(f"Unknown database {database!r}: sqlite or postgresql.")


def scenario(database: str, dataset: str) -> int:
    use_database(database)
    root = Path(tempfile.mkdtemp(prefix="lte-loadtest-"))
    server = LteServer(root=root)
    try:
        server.start()
        with server.log_on_failure():
            return measure(server, database, dataset)
    finally:
        server.stop()
        server.cleanup()
        if os.environ.get("LOADTEST_KEEP"):
            print(f"(kept {root})")
        else:
            shutil.rmtree(root, ignore_errors=True)


def seed(dataset: str, datafile: Path) -> tuple[str, float]:
    """Seeds the server's database from this process (the same settings, keys and cache prefix as the server);
    writes wrk's data file; returns (what was seeded, seconds)."""
    from django.conf import settings
    from django.db import connections
    from django.test import Client, override_settings

    from bench.common import FIRST, LAST, seed_account
    from lte.accounts.services import api_token_create
    from lte.crm.models import Contact
    from lte.crm.text import fold

    started = time.perf_counter()
    # The seeded accounts never log in with a password: skip bcrypt's 0.3 s per account.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        if dataset == "one":
            users = [seed_account(contacts=CONTACTS, notes_per_contact=NOTES, seed=7)]
            what = f"1 account of {CONTACTS:,} contacts, {CONTACTS * NOTES:,} notes"
        elif dataset == "many":
            users = [seed_account(contacts=ACCOUNT_CONTACTS, notes_per_contact=NOTES, seed=100 + i)
                     for i in range(ACCOUNTS)]
            what = (f"{ACCOUNTS} accounts of {ACCOUNT_CONTACTS:,} contacts, {ACCOUNT_CONTACTS * NOTES:,} notes "
                    f"each (a token per request picked at random)")
        else:
            sys.exit(f"Unknown data set {dataset!r}: one or many.")
    seconds = time.perf_counter() - started
    rnd = random.Random(9)  # noqa: S311 - which contacts the load test asks for, not a secret
    lines = []
    for user in users:
        _token, secret = api_token_create(owner=user, name="loadtest")
        client = Client()
        client.force_login(user)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        ids = [str(pk) for pk in Contact.objects.owned_by(user).values_list("pk", flat=True)]
        lines.append(" ".join(["A", secret, session, *rnd.sample(ids, min(IDS_PER_ACCOUNT, len(ids)))]))
    words = {fold(name) for name in FIRST + LAST}
    prefixes = sorted({w[:n] for w in words for n in (2, 3, 4) if re.fullmatch("[a-z]+", w[:n])})
    lines.append(" ".join(["P", *prefixes]))
    datafile.write_text("\n".join(lines) + "\n")
    datafile.chmod(0o600)
    connections.close_all()  # hold no SQLite lock while wrk runs
    return what, seconds


def database_size(server: LteServer) -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        main, wal = (server.data_dir / "lte.sqlite3"), (server.data_dir / "lte.sqlite3-wal")
        return (f"{main.stat().st_size / 1e6:.0f} MB"
                + (f" (+ WAL {wal.stat().st_size / 1e6:.0f} MB)" if wal.exists() else ""))
    else:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        connection.close()
    return f"{size / 1e6:.0f} MB"


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    todo, members = [pid], []
    while todo:
        current = todo.pop()
        members.append(current)
        todo += children.get(current, [])
    return sorted(members)


def role(member: int) -> str:
    try:
        words = [w.decode(errors="replace") for w in Path(f"/proc/{member}/cmdline").read_bytes().split(b"\0") if w]
    except OSError:
        return "?"
    return ("huey" if "run_huey" in words else "gunicorn" if "gunicorn" in words
            else "lte run" if "run" in words else Path(words[0]).name if words else "?")


def worker_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of each gunicorn process of the tree (its master and its workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for member in tree(pid):
        if role(member) != "gunicorn":
            continue
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[member] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def tree_memory(pid: int) -> tuple[float, float, str]:
    """(sum of RSS, sum of PSS) in MB for `pid` and all its descendants, from /proc, and RSS per process."""
    rss = pss = 0
    parts = []
    for member in tree(pid):
        try:
            rollup = Path(f"/proc/{member}/smaps_rollup").read_text()
        except OSError:
            continue
        one = int(re.search(r"^Rss:\s+(\d+)", rollup, re.M).group(1))
        rss += one
        pss += int(re.search(r"^Pss:\s+(\d+)", rollup, re.M).group(1))
        parts.append(f"{role(member)} {one / 1024:.0f}")
    return rss / 1024, pss / 1024, ", ".join(parts)


def probe(server: LteServer, datafile: Path) -> None:
    """One request of each kind before wrk, so a wrong route or a lost session fails loudly, not as a fast 404."""
    account = datafile.read_text().splitlines()[0].split()
    token, session, contact = account[1], account[2], account[3]
    bearer = {"Authorization": f"Bearer {token}"}
    checks = [
        ("GET", "/healthz", {}, None),
        ("GET", "/api/v1/contacts?limit=50", bearer, None),
        ("GET", "/api/v1/contacts?q=ga", bearer, None),
        ("GET", f"/api/v1/contacts/{contact}", bearer, None),
        ("GET", f"/api/v1/contacts/{contact}/notes", bearer, None),
        ("GET", f"/app/contacts/{contact}/", {"Cookie": f"lte_session={session}"}, None),
        ("POST", f"/api/v1/contacts/{contact}/notes", {**bearer, "Content-Type": "application/json"},
         '{"body": "Load test probe."}'),
    ]
    for method, path, headers, body in checks:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        if not 200 <= response.status < 300:
            raise RuntimeError(f"{method} {path} answered {response.status}: {content[:300]!r}")


def wrk(server: LteServer, datafile: Path, mode: str, connections: int, seconds: int) -> dict[str, float]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
               server.base_url, "--", str(datafile), mode]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)  # noqa: S603
    match = re.search(r"^LOADTEST (.*)$", result.stdout, re.M)
    if result.returncode != 0 or not match:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    numbers = {key: float(value) for key, value in (pair.split("=") for pair in match.group(1).split())}
    numbers["rps"] = numbers["requests"] / (numbers["duration_us"] / 1e6)
    numbers["non2xx"] = numbers["r3xx"] + numbers["r4xx"] + numbers["r5xx"]
    numbers["socket_errors"] = sum(numbers[k] for k in ("connect", "read", "write", "timeout"))
    return numbers


def measure(server: LteServer, database: str, dataset: str) -> int:
    os.environ.update(server.environment())  # the server's data dir, databases, cache prefix and master key file
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
    import django

    django.setup()
    from bench.common import machine

    datafile = server.root / "wrk-data.txt"
    what, seed_seconds = seed(dataset, datafile)
    size = database_size(server)
    probe(server, datafile)
    time.sleep(IDLE_SECONDS)
    rss, pss, parts = tree_memory(server.process.pid)
    name = "PostgreSQL + Redis" if database == "postgresql" and os.environ.get("REDIS_URL") else database
    print(f"\n## {name}: {what}\n")
    print(f"- {machine()}")
    print(f"- seeded in {seed_seconds:.0f} s; database {size}; `lte run` = gunicorn (2 workers × 4 threads) + "
          f"huey; wrk -t1, {SECONDS} s per run, after a 3 s warm-up (mixed, 8 connections)")
    print(f"- idle server after seeding, the `lte run` tree: **RSS {rss:.0f} MB** (PSS {pss:.0f} MB; goal ≤ 300 MB)"
          f" — RSS MB by process: {parts}", flush=True)
    wrk(server, datafile, "mixed", 8, 3)
    print("\n| endpoint | conns | req/s | p50 ms | p99 ms | non-2xx | socket errors | 'database is locked' "
          "| load avg | web CPU s by process |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    totals = {"non2xx": 0.0, "r5xx": 0.0, "locked": 0, "socket_errors": 0.0}
    only = [m for m in os.environ.get("LOADTEST_MODES", "").split(",") if m]
    for mode, label in MODES:
        if only and mode not in only:
            continue
        for conns in CONNECTIONS:
            load = loadavg().split()[0]
            offset = server.log_path.stat().st_size
            before = worker_cpu(server.process.pid)
            r = wrk(server, datafile, mode, conns, SECONDS)
            after = worker_cpu(server.process.pid)
            split = " / ".join(f"{after[w] - before.get(w, 0.0):.1f}" for w in sorted(after)
                               if after[w] - before.get(w, 0.0) >= 0.05)
            with server.log_path.open("rb") as log:
                log.seek(offset)
                locked = log.read().decode(errors="replace").count(LOCKED)
            for key in ("non2xx", "r5xx", "socket_errors"):
                totals[key] += r[key]
            totals["locked"] += locked
            non2xx = f"{r['non2xx']:.0f}" + (f" ({r['r5xx']:.0f} 5xx)" if r["r5xx"] else "")
            print(f"| {label} | {conns} | {r['rps']:.0f} | {r['p50_us'] / 1000:.1f} | {r['p99_us'] / 1000:.1f} "
                  f"| {non2xx} | {r['socket_errors']:.0f} | {locked} | {load} | {split} |", flush=True)
    time.sleep(IDLE_SECONDS)
    rss_after, pss_after, parts = tree_memory(server.process.pid)
    ok = not totals["r5xx"] and not totals["locked"]
    print(f"\n- {'no 5xx, no' if ok else '**5xx or'} 'database is locked'{'' if ok else '**'}: "
          f"{totals['non2xx']:.0f} non-2xx ({totals['r5xx']:.0f} 5xx), {totals['socket_errors']:.0f} socket "
          f"errors, {totals['locked']} 'database is locked' in the server log")
    print(f"- idle server after the load: RSS {rss_after:.0f} MB (PSS {pss_after:.0f} MB) — {parts}")
    print(f"- load average at the end: {loadavg()}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
