"""`lte run` as operators meet it: one instance per data dir, children that die with the supervisor, a job
worker restarted when it dies, an access log without the secrets that travel in paths."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lte.lib.accesslog import MaskSecretPaths, mask_path
from lte.testing.server import LteServer, free_port, lte_command

WAIT_SECONDS = 30
RESET_KEY = "3-c9s1n4-0a6f7d2b8e1c4f5a9b3d7e6c2a1f8b4d"
CONFIRM_KEY = "MQ:1w2x3y:Zk9Qh7Vb-confirm-Xq5"


def wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {WAIT_SECONDS} s")


def children_of(pid: int) -> dict[int, str]:
    """The live (non-zombie) processes whose parent is `pid`, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2] != "Z"


def child(server: LteServer, marker: str) -> int:
    assert server.process is not None
    pids = [pid for pid, cmd in children_of(server.process.pid).items() if marker in cmd]
    return pids[0] if len(pids) == 1 else 0


def get(server: LteServer, path: str) -> int:
    try:
        with urllib.request.urlopen(server.url(path), timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LteServer]:
    running = LteServer(root=tmp_path_factory.mktemp("lte-run"))
    try:
        running.start()
        with running.log_on_failure():
            yield running
    finally:
        running.stop()
        running.cleanup()


def test_it_masks_the_reset_and_confirmation_keys_in_a_path():
    assert mask_path(f"/accounts/password/reset/key/{RESET_KEY}/") == "/accounts/password/reset/key/…/"
    assert mask_path(f"/accounts/confirm-email/{CONFIRM_KEY}/") == "/accounts/confirm-email/…/"
    assert mask_path("/app/contacts/") == "/app/contacts/"


def test_it_masks_the_keys_in_what_django_logs_about_a_request():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "Internal Server Error: %s",
                               (f"/accounts/password/reset/key/{RESET_KEY}/",), None)
    assert MaskSecretPaths().filter(record)
    assert record.getMessage() == "Internal Server Error: /accounts/password/reset/key/…/"
    handlers = logging.getLogger().handlers  # settings.LOGGING's, as every process of LTE has them
    assert any(isinstance(f, MaskSecretPaths) for handler in handlers for f in handler.filters)


@pytest.mark.slow
def test_it_keeps_reset_and_confirmation_keys_out_of_the_access_log(server):
    assert get(server, f"/accounts/password/reset/key/{RESET_KEY}/") < 500
    assert get(server, f"/accounts/confirm-email/{CONFIRM_KEY}/") < 500
    assert get(server, "/healthz?after=the-secret-paths") == 200
    masked = ("/accounts/password/reset/key/…/", "/accounts/confirm-email/…/")
    # Each gunicorn worker writes its own lines, in no order between them: wait for both masked lines.
    log = wait_for(lambda: all(m in (text := server.log_path.read_text(errors="replace")) for m in masked) and text,
                   "the masked access log lines")
    for secret in (RESET_KEY, RESET_KEY.split("-", 1)[1], CONFIRM_KEY):
        assert secret not in log


@pytest.mark.slow
def test_a_second_lte_run_and_a_restore_refuse_while_lte_runs_on_the_data_dir(server):
    env = server.environment() | {"PORT": str(free_port())}
    second = subprocess.run([str(lte_command()), "run"], env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "already running" in second.stderr
    restore = subprocess.run([str(lte_command()), "restore", str(server.root / "any.lteb")], env=env,
                             capture_output=True, text=True, timeout=60)
    assert restore.returncode != 0
    assert "Nothing was restored" in restore.stderr and "already running" in restore.stderr
    assert get(server, "/healthz") == 200


@pytest.mark.slow
def test_it_gives_requests_in_flight_60_seconds_to_finish_when_it_stops(server):
    web = child(server, "gunicorn")
    command = Path(f"/proc/{web}/cmdline").read_bytes().split(b"\0")
    assert command[command.index(b"--graceful-timeout") + 1] == b"60"  # an export download runs on that long


@pytest.mark.slow
def test_it_starts_the_job_worker_again_when_it_dies_and_keeps_serving(server):
    web, worker = child(server, "gunicorn"), child(server, "run_huey")
    assert web and worker
    os.kill(worker, signal.SIGKILL)
    replacement = wait_for(lambda: (pid := child(server, "run_huey")) != worker and pid, "a new job worker")
    assert alive(replacement)
    assert child(server, "gunicorn") == web  # the web server was never stopped
    assert get(server, "/healthz") == 200
    assert "the job worker (huey) exited with -9; starting it again" in server.log_path.read_text()


@pytest.mark.slow
def test_killing_the_supervisor_ends_its_children_and_frees_the_data_dir(tmp_path):
    doomed = LteServer(root=tmp_path)
    try:
        doomed.start()
        assert doomed.process is not None
        children = list(children_of(doomed.process.pid))
        assert len(children) == 2
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
        wait_for(lambda: not any(alive(pid) for pid in children), "gunicorn and huey gone with the supervisor")
        restore = subprocess.run([str(lte_command()), "restore", str(tmp_path / "missing.lteb")],
                                 env=doomed.environment(), capture_output=True, text=True, timeout=60)
        assert "does not exist" in restore.stderr  # it got past the data dir's lock: nothing holds it now
    finally:
        doomed.stop()
        doomed.cleanup()
