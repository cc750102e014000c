"""A real LTE instance for the end-to-end tests, started the way users start it: ``lte run``.

The server gets its own data dir, port and (when ``DATABASE_URL`` points at PostgreSQL) its own database,
so it never meets pytest-django's test databases or another test process. Nothing here imports Django.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
LOG_TAIL_CHARS = 20_000


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel picks it for a socket bound to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lte_command() -> Path:
    """The ``lte`` console script of the venv running the tests (``.venv/bin/lte``)."""
    for candidate in (Path(sys.executable).parent / "lte", REPO / ".venv" / "bin" / "lte"):
        if candidate.exists():
            return candidate
    raise RuntimeError("The `lte` command is missing: run `make test` (it installs the project into .venv).")


# --- PostgreSQL: a database of our own, created and dropped here -----------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _psycopg_url(url: str) -> str:
    """psycopg understands postgresql:// and postgres://, not dj-database-url's aliases such as pgsql://."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def create_postgres_database(url: str, template: str = "") -> tuple[str, Callable[[], None]]:
    """Creates ``lte_e2e_<random>`` on the server of ``url`` (a copy of ``template``'s database if given),
    connecting to its maintenance database (the suite's own may not exist yet); returns its URL and a function
    dropping it."""
    import psycopg
    from psycopg import sql

    name = f"lte_e2e_{secrets.token_hex(6)}"
    admin_url = with_database(url, "postgres")
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(urlsplit(template).path.lstrip("/")))
    with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as conn:
        conn.execute(create)

    def drop() -> None:
        with psycopg.connect(_psycopg_url(admin_url), autocommit=True) as conn:
            # FORCE (PostgreSQL 13+) ends connections a crashed server might have left behind.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    return with_database(admin_url, name), drop


def forget_redis_keys(url: str, pattern: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    try:
        for key in client.scan_iter(pattern):
            client.delete(key)
    finally:
        client.close()


# --- A migrated database, made once per test process -------------------------------------------------------------


@dataclass
class MigratedTemplate:
    """The databases of a data dir that `lte run` has migrated once: each server copies them instead of migrating
    from nothing (about 7 of a fresh start's 9 s). They hold the schema and the migrations' own rows, no keys: the
    master key and the secret key are made by each server in its own data dir."""

    data_dir: Path
    database_url: str = ""  # PostgreSQL: a database to clone (CREATE DATABASE … TEMPLATE)
    keystore_url: str = ""

    def copy_into(self, server: LteServer) -> None:
        if self.database_url:
            server.database_url, drop = create_postgres_database(self.database_url, template=self.database_url)
            server._cleanups.append(drop)
        else:
            _copy_sqlite(self.data_dir / "lte.sqlite3", server.data_dir / "lte.sqlite3")
        if self.keystore_url:
            server.keystore_url, drop_keys = create_postgres_database(self.keystore_url, template=self.keystore_url)
            server._cleanups.append(drop_keys)
        else:
            _copy_sqlite(self.data_dir / "keystore.sqlite3", server.data_dir / "keystore.sqlite3")


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (a WAL left behind is read too), owner-only like LTE's."""
    if not source.exists() or target.exists():
        return
    with contextlib.closing(sqlite3.connect(source)) as src, contextlib.closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    target.chmod(0o600)


_template: MigratedTemplate | None = None


def migrated_template() -> MigratedTemplate:
    """Made on first use by this process (an xdist worker has its own), dropped when the process exits."""
    global _template  # one per process, on purpose
    if _template is not None:
        return _template
    root = Path(tempfile.mkdtemp(prefix="lte-template-"))
    probe = LteServer(root=root)
    probe.data_dir.mkdir(parents=True, mode=0o700)
    template = MigratedTemplate(data_dir=probe.data_dir)
    if os.environ.get("DATABASE_URL"):
        template.database_url, drop = create_postgres_database(os.environ["DATABASE_URL"])
        atexit.register(drop)
    if os.environ.get("KEYSTORE_URL"):
        template.keystore_url, drop_keys = create_postgres_database(os.environ["KEYSTORE_URL"])
        atexit.register(drop_keys)
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    env = probe.environment() | {"LTE_DATA_DIR": str(probe.data_dir)}
    for key, url in (("DATABASE_URL", template.database_url), ("KEYSTORE_URL", template.keystore_url)):
        if url:
            env[key] = url
    done = subprocess.run([sys.executable, "-m", "lte.cli", "_prepare_to_run"], cwd=REPO, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"Migrating the template data dir failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    _template = template
    return template


# --- The server -----------------------------------------------------------------------------------------------


@dataclass
class LteServer:
    """One ``lte run`` process (gunicorn + the huey worker) and where it keeps its things."""

    root: Path
    port: int = field(default_factory=free_port)
    database_url: str = ""
    keystore_url: str = ""
    cache_prefix: str = field(default_factory=lambda: f"lte-e2e-{secrets.token_hex(6)}")
    process: subprocess.Popen | None = None
    returncode: int | None = None
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. billing on, against a local fake Stripe
    # Start from this process's migrated template instead of migrating a fresh database (tests of `lte run`'s own
    # first start keep False: they are what proves a fresh data dir migrates).
    from_template: bool = False
    _cleanups: list[Callable[[], None]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def outbox(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    def url(self, path: str) -> str:
        return self.base_url + path

    def environment(self) -> dict[str, str]:
        """The parent's environment (DATABASE_URL, REDIS_URL… pass through) made safe for a second instance."""
        env = dict(os.environ)
        env.pop("LTE_JOBS_IMMEDIATE", None)  # conftest runs jobs inline; the real server queues them for huey
        env.pop("LTE_USAGE_FLUSH_SECONDS", None)  # and writes usage events itself, in the background
        env.pop("PYTEST_XDIST_WORKER", None)
        # Mail must land in our outbox, never at a real provider.
        env.pop("POSTMARK_SERVER_TOKEN", None)
        env.pop("POSTMARK_API_URL", None)
        env.update(
            LTE_DATA_DIR=str(self.data_dir),
            PORT=str(self.port),
            LTE_BIND="127.0.0.1",
            LTE_BASE_URL=self.base_url,
            LTE_ENV="development",  # the embedded http profile (production insists on https)
            LTE_DEBUG="0",  # what users run, not Django's debug pages
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.keystore_url:
            env["KEYSTORE_URL"] = self.keystore_url
        env["LTE_CACHE_PREFIX"] = self.cache_prefix  # on Redis: rate limits and cached sessions apart from pytest's
        return env

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, mode=0o700)
        if self.from_template:
            migrated_template().copy_into(self)
        if os.environ.get("DATABASE_URL") and not self.database_url:
            self.database_url, drop = create_postgres_database(os.environ["DATABASE_URL"])
            self._cleanups.append(drop)
        if os.environ.get("KEYSTORE_URL") and not self.keystore_url:
            self.keystore_url, drop_keys = create_postgres_database(os.environ["KEYSTORE_URL"])
            self._cleanups.append(drop_keys)
        if os.environ.get("REDIS_URL"):
            self._cleanups.append(lambda: forget_redis_keys(os.environ["REDIS_URL"], f"{self.cache_prefix}:*"))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(lte_command()), "run"],
                cwd=REPO,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so a hung server can be cleaned up whole
            )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"`lte run` exited with {self.process.returncode} before answering /healthz.\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as response:
                    if response.status == 200:
                        return
                    last_error = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
            except OSError as exc:
                last_error = str(exc)
            time.sleep(0.25)
        raise RuntimeError(f"/healthz did not answer 200 within {STARTUP_TIMEOUT:.0f} s ({last_error}).\n{self.log()}")

    def stop(self) -> int | None:
        """SIGTERM, as a process manager would; returns the exit code (None if it had to be killed)."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                self.returncode = None
                return None
        self.returncode = process.returncode
        return self.returncode

    def cleanup(self) -> None:
        """Kills whatever of our process group is left (only after a failed stop), drops our database and keys."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
        while self._cleanups:
            self._cleanups.pop()()

    def log(self) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        if len(text) > LOG_TAIL_CHARS:
            text = "…" + text[-LOG_TAIL_CHARS:]
        return f"----- lte run output ({self.log_path}) -----\n{text}\n----- end of lte run output -----"

    @contextlib.contextmanager
    def log_on_failure(self) -> Iterator[None]:
        """Adds the server's output to any exception raised in the block (shown by pytest as a note)."""
        try:
            yield
        except BaseException as exc:
            exc.add_note(self.log())
            raise

    # --- Looking inside without Django: plain SQL on the server's own database ---------------------------------

    def rows(self, query: str, params: tuple = ()) -> list[tuple]:
        """Runs a read-only query on the server's database; ``?`` placeholders work on both engines."""
        if self.database_url:
            import psycopg

            with psycopg.connect(_psycopg_url(self.database_url)) as pg:
                return pg.execute(query.replace("?", "%s"), params).fetchall()
        lite = sqlite3.connect(f"file:{self.data_dir / 'lte.sqlite3'}?mode=ro", uri=True, timeout=10)
        try:
            return lite.execute(query, params).fetchall()
        finally:
            lite.close()

    def count(self, table: str, where: str = "", params: tuple = ()) -> int:
        """``SELECT count(*) FROM table [WHERE where]``."""
        query = f"SELECT count(*) FROM {table}" + (f" WHERE {where}" if where else "")
        return int(self.rows(query, params)[0][0])
