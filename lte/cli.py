"""The `lte` command: `lte run` starts everything on one machine; anything else is a management command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

STOP_GRACE_SECONDS = 20


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
    if argv[:1] == ["run"]:
        return run()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["lte", *argv])
    return 0


def _django_setup() -> None:
    import django

    django.setup()


def run() -> int:
    """Migrates, then runs the web server (gunicorn) and the job worker/scheduler (huey) in the foreground.

    SIGINT or SIGTERM stops both cleanly; if either dies, the other is stopped and the exit code is non-zero.
    """
    _django_setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", database="keystore", interactive=False, verbosity=0)
    _refuse_unknown_master_keys()
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)

    bind = os.environ.get("LTE_BIND", "127.0.0.1")
    port = settings.PORT
    web = [
        sys.executable, "-m", "gunicorn", "lte.wsgi:application",
        "--bind", f"{bind}:{port}",
        "--workers", os.environ.get("WEB_CONCURRENCY", "2"),
        "--worker-class", "gthread", "--threads", "4",
        "--graceful-timeout", str(STOP_GRACE_SECONDS - 5),
        # Above our own limits (lte.lib.middleware.limit_request_head), which answer as JSON first.
        "--limit-request-line", "8190",  # gunicorn's maximum; ours is MAX_REQUEST_LINE
        "--limit-request-field_size", str(2 * settings.MAX_REQUEST_HEADER_LINE),
        "--limit-request-fields", str(2 * settings.MAX_REQUEST_HEADERS),
        "--no-control-socket",  # gunicorn's default socket is one per user, shared by every instance
        "--access-logfile", "-",
        # Path without the query string: searches may carry contact names, which never reach a log.
        "--access-logformat", '%(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
    ]
    worker = [sys.executable, "-m", "lte.cli", "run_huey", "--quiet"]
    commands = (web, worker)
    children = [subprocess.Popen(command) for command in commands]  # noqa: S603 - our own fixed commands
    print(f"LTE is running at {settings.BASE_URL} (data in {settings.DATA_DIR}). Ctrl-C stops it.", flush=True)

    stopping = False

    def stop(signum: int, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for command, child in zip(commands, children, strict=True):
            if child.poll() is not None:
                print(f"LTE: {command[2]} exited with {child.returncode}; stopping.", file=sys.stderr)
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    _checkpoint_sqlite()
    print("LTE stopped.", flush=True)
    return exit_code


def _refuse_unknown_master_keys() -> None:
    from django.core.checks import Error

    from lte.vault.checks import master_key_opens_the_key_store

    errors = [e for e in master_key_opens_the_key_store(None, databases=["keystore"]) if isinstance(e, Error)]
    if errors:
        sys.exit(f"LTE: {errors[0].msg}")


def _checkpoint_sqlite() -> None:
    """A clean stop folds the WAL back into the database file."""
    from django.db import connections

    for alias in ("default", "keystore"):
        connection = connections[alias]
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.close()


if __name__ == "__main__":
    sys.exit(main())
