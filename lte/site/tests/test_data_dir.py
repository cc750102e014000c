"""The data dir is the owner's alone: 0700, and its database, WAL, key store, job queue and keys 0600, even when
the operator made the folder (0755) or the files came from a world-readable copy (0644)."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lte.testing.server import LteServer, lte_command

ROOT = Path(__file__).resolve().parents[3]
OPERATOR_UMASK = 0o022  # what a shell usually has: folders 0755, files 0644


def lte(data_dir: Path, *args: str) -> None:
    """An `lte` command as the operator runs it, from a shell with the usual umask."""
    env = {k: v for k, v in os.environ.items() if k not in {"LTE_MASTER_KEY", "DATABASE_URL", "KEYSTORE_URL",
                                                             "REDIS_URL", "LTE_JOBS_IMMEDIATE"}}
    env |= {"DJANGO_SETTINGS_MODULE": "lte.settings", "LTE_DATA_DIR": str(data_dir)}
    result = subprocess.run([sys.executable, "-m", "lte.cli", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120, umask=OPERATOR_UMASK)
    assert result.returncode == 0, result.stderr


def open_to_others(data_dir: Path) -> list[str]:
    """Everything in the data dir that a group or another local user may read, write or enter."""
    paths = [data_dir, *data_dir.rglob("*")]
    return [f"{path.relative_to(data_dir.parent)} {oct(stat.S_IMODE(path.lstat().st_mode))}"
            for path in paths if not path.is_symlink() and stat.S_IMODE(path.lstat().st_mode) & 0o077]


def test_it_makes_a_folder_the_operator_created_private_and_everything_written_in_it(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    lte(data_dir, "migrate", "-v0")
    lte(data_dir, "migrate", "--database", "keystore", "-v0")
    names = {path.name for path in data_dir.iterdir()}
    assert {"lte.sqlite3", "keystore.sqlite3", "master.key", "secret_key"} <= names
    assert open_to_others(data_dir) == []
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_it_closes_database_and_key_files_left_world_readable(tmp_path):
    data_dir = tmp_path / "data"
    lte(data_dir, "migrate", "-v0")
    data_dir.chmod(0o755)
    for path in data_dir.iterdir():
        if path.is_file():
            path.chmod(0o644)  # e.g. restored with `cp` by hand, or written by an older LTE
    (data_dir / "lte.sqlite3-wal").touch(mode=0o644)
    assert open_to_others(data_dir)
    lte(data_dir, "check")
    assert open_to_others(data_dir) == []


@pytest.mark.slow
def test_lte_run_and_the_processes_it_starts_write_nothing_others_can_read(tmp_path):
    """`lte run` from a shell with umask 022 in a 0755 folder: gunicorn's and huey's files (the WAL, the job
    queue) are private too, because they inherit the umask `lte run` set at start-up."""
    server = LteServer(root=tmp_path)
    server.data_dir.mkdir(mode=0o755)
    server.data_dir.chmod(0o755)
    env = {k: v for k, v in server.environment().items() if k not in {"DATABASE_URL", "KEYSTORE_URL", "REDIS_URL"}}
    with server.log_path.open("wb") as log:
        process = subprocess.Popen([str(lte_command()), "run"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True, umask=OPERATOR_UMASK)
    server.process = process
    try:
        with server.log_on_failure():
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None and time.monotonic() < deadline, "lte run did not start"
                try:
                    with urllib.request.urlopen(server.url("/login"), timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    time.sleep(0.25)
            # The supervisor holds no database open (it never sets Django up): the WALs are the children's, the
            # job worker's kept open while it runs.
            while not any(path.name.endswith("-wal") for path in server.data_dir.iterdir()):
                assert time.monotonic() < deadline, "no child opened a database"
                time.sleep(0.25)
            names = {path.name for path in server.data_dir.iterdir()}
            assert {"lte.sqlite3", "jobs.sqlite3"} <= names, names
            assert open_to_others(server.data_dir) == []
    finally:
        process.send_signal(signal.SIGTERM)
        server.stop()
        server.cleanup()
