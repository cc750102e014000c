"""The `lte` command: `lte run` starts everything on one machine; anything else is a management command."""

from __future__ import annotations

import collections
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence

from lte.lib.catalogs import compile_catalogs
from lte.lib.instance import InstanceRunning, hold_instance_lock

# gunicorn lets requests in flight (an export download) finish for this long after SIGTERM; we wait a little more.
GRACEFUL_SECONDS = 60
STOP_GRACE_SECONDS = GRACEFUL_SECONDS + 5
# A child that dies is started again, up to this many times in this window; one more death stops LTE (exit 1).
MAX_RESTARTS = 3
RESTART_WINDOW_SECONDS = 600.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
    _compile_translations()
    if argv[:1] == ["run"]:
        return run()
    if argv[:1] == [PREPARE]:
        return _prepare()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lte", *argv])
    return 0


def _compile_translations() -> None:
    """locale/*.po → .mo (Babel, no GNU gettext needed) where a .po changed since; nothing to do otherwise."""
    try:
        compile_catalogs()
    except OSError as exc:  # a read-only install ships its .mo files: run with them
        print(f"lte: translations not compiled ({exc})", file=sys.stderr)


def _django_setup() -> None:
    import django

    django.setup()


PREPARE = "_prepare_to_run"  # `lte run`'s first child: migrates and checks with Django loaded, then exits


def _prepare() -> int:
    """Everything `lte run` does with Django before serving: migrations, the master-key check, static files."""
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="keystore", interactive=False, verbosity=0)
    _refuse_unknown_master_keys()
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    return 0


def run() -> int:
    """Migrates, then runs the web server (gunicorn) and the job worker/scheduler (huey) in the foreground.

    One instance per data dir (a lock); the children die with this process; a child that dies is restarted a
    few times (see _supervise). SIGINT or SIGTERM stops both, letting requests in flight finish for 60 s.
    The supervisor reads the settings module but never sets Django up: migrating happens in a child that exits,
    so the process that stays for the server's whole life holds ~20 MB, not a third copy of the app (~90 MB).
    """
    import importlib

    settings = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
    lock = _lock_the_data_dir(settings.DATA_DIR)
    prepared = subprocess.run([sys.executable, "-m", "lte.cli", PREPARE], pass_fds=(lock,), check=False)  # noqa: S603
    if prepared.returncode:
        return prepared.returncode

    bind = os.environ.get("LTE_BIND", "127.0.0.1")
    port = settings.PORT
    web = [
        sys.executable, "-m", "gunicorn", "lte.wsgi:application",
        "--bind", f"{bind}:{port}",
        "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
        "--worker-class", "lte.lib.webworker.ThreadWorker", "--threads", "4",  # gthread, balanced
        "--preload",  # the app loaded once, then forked: the workers share its memory (lte/wsgi.py)
        "--graceful-timeout", str(GRACEFUL_SECONDS),
        # Above our own limits (lte.lib.middleware.limit_request_head), which answer as JSON first.
        "--limit-request-line", "8190",  # gunicorn's maximum; ours is MAX_REQUEST_LINE
        "--limit-request-field_size", str(2 * settings.MAX_REQUEST_HEADER_LINE),
        "--limit-request-fields", str(2 * settings.MAX_REQUEST_HEADERS),
        "--no-control-socket",  # gunicorn's default socket is one per user, shared by every instance
        "--access-logfile", "-",
        "--logger-class", "lte.lib.accesslog.AccessLogger",  # masks the reset and confirmation keys in paths
        # Path without the query string: searches may carry contact names, which never reach a log.
        "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]
    worker = [sys.executable, "-m", "lte.cli", "run_huey", "--quiet"]
    print(f"LTE is running at {settings.BASE_URL} (data in {settings.DATA_DIR}). Ctrl-C stops it.", flush=True)
    exit_code = _supervise({"the web server (gunicorn)": web, "the job worker (huey)": worker}, lock)
    _checkpoint_sqlite(settings.DATABASES)
    print("LTE stopped.", flush=True)
    return exit_code


def _lock_the_data_dir(data_dir) -> int:
    """One LTE per data dir: a second `lte run` (or a restore) on it refuses while this one's lock is held."""
    try:
        return hold_instance_lock(data_dir)
    except InstanceRunning as exc:
        sys.exit(f"LTE: {exc}")


def _die_with_parent(parent: int) -> Callable[[], None]:
    """A child's preexec_fn: the kernel sends it SIGTERM when the supervisor dies, however it dies (Linux)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def preexec() -> None:
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the supervisor died before the line above: don't outlive it
            os._exit(1)

    return preexec


def _spawn(command: Sequence[str], lock: int) -> subprocess.Popen:
    # The children inherit the data dir's lock, so it stays held until the last of them is gone. Our own fixed
    # commands; the supervisor starts no thread, so a preexec_fn is safe here.
    return subprocess.Popen(command, preexec_fn=_die_with_parent(os.getpid()), pass_fds=(lock,))  # noqa: S603


def _supervise(commands: dict[str, list[str]], lock: int) -> int:
    """Runs the children until SIGINT/SIGTERM. A child that dies is started again (MAX_RESTARTS times in
    RESTART_WINDOW_SECONDS): one crash of the job worker must not take the web server down with it, nor leave
    LTE half-running. A child that keeps dying stops everything with a non-zero exit for a service manager."""
    children = {name: _spawn(command, lock) for name, command in commands.items()}
    restarts: collections.deque[float] = collections.deque()
    stopping = False

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if stopping or child.poll() is None:
                continue
            now = time.monotonic()
            while restarts and now - restarts[0] > RESTART_WINDOW_SECONDS:
                restarts.popleft()
            if len(restarts) >= MAX_RESTARTS:
                print(f"LTE: {name} exited with {child.returncode} after {MAX_RESTARTS} restarts in "
                      f"{RESTART_WINDOW_SECONDS / 60:.0f} minutes; stopping.", file=sys.stderr, flush=True)
                exit_code = child.returncode or 1
                stopping = True
            else:
                restarts.append(now)
                print(f"LTE: {name} exited with {child.returncode}; starting it again.", file=sys.stderr, flush=True)
                children[name] = _spawn(commands[name], lock)
        time.sleep(0.2)
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return exit_code


def _refuse_unknown_master_keys() -> None:
    from django.core.checks import Error

    from lte.vault.checks import master_key_opens_the_key_store

    errors = [e for e in master_key_opens_the_key_store(None, databases=["keystore"]) if isinstance(e, Error)]
    if errors:
        sys.exit(f"LTE: {errors[0].msg}")


def _checkpoint_sqlite(databases: dict) -> None:
    """A clean stop folds the WAL back into the database file (plain sqlite3: the supervisor has no Django)."""
    import sqlite3

    for alias in ("default", "keystore"):
        database = databases[alias]
        if database["ENGINE"].endswith("sqlite3") and os.path.exists(database["NAME"]):
            connection = sqlite3.connect(database["NAME"])
            try:
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                connection.close()


if __name__ == "__main__":
    sys.exit(main())
