"""A backup's plaintext snapshot never sits readable on disk: only in a 0700 scratch dir, emptied when the job
worker starts, so a run killed midway (kill -9, a deploy) leaves nothing of it behind."""

import os
import stat
import threading

import pytest
from django.db import connections
from huey.consumer import Worker
from huey.contrib.djhuey import HUEY

from lte.backups import engine, tasks
from lte.backups.engine import DATA, KEYS, list_backups, make_backup
from lte.crm.services.contacts import contact_create
from lte.vault.context import acting_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def files_under(directory) -> list:
    return [os.path.join(root, name) for root, _dirs, names in os.walk(directory) for name in names]


def start_the_job_worker(monkeypatch) -> None:
    monkeypatch.setattr(tasks, "_cleaned", threading.Event(), raising=False)
    Worker(HUEY, threading.Event(), 0.1, 1.0, 2.0).initialize()  # what huey's consumer runs as it starts


def test_it_keeps_a_snapshot_only_in_a_0700_scratch_dir_while_it_is_used(alice, backup_dir):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Kept", emails=["kept@example.com"])
    os.umask(0o022)  # what a shell gives LTE
    for kind, alias in ((DATA, "default"), (KEYS, "keystore")):
        with engine._snapshot(kind) as (stream, _counts):
            # The plaintext: a copy of the SQLite file, or pg_dump's custom-format dump.
            magic = b"PGDMP" if connections[alias].vendor == "postgresql" else b"SQLite format 3\x00"
            assert stream.read(len(magic)) == magic
            plaintext = files_under(backup_dir)
            if magic == b"PGDMP":  # pg_dump streams through a pipe: no plaintext file at all
                assert plaintext == []
                continue
            assert len(plaintext) == 1, plaintext
            snapshot = plaintext[0]
            assert mode(snapshot) == 0o600
            scratch = backup_dir / ".scratch"
            assert os.path.commonpath([snapshot, scratch]) == str(scratch)
            assert mode(scratch) == 0o700 and mode(os.path.dirname(snapshot)) == 0o700
        assert files_under(backup_dir) == []  # gone when the run ends


def test_it_writes_a_backup_as_0600_from_the_first_byte(alice, backup_dir, monkeypatch):
    os.umask(0o022)
    modes = []
    real_encrypt = engine.encrypt_stream

    def look_at_the_part_file(source, out, header):
        modes.extend(mode(p) for p in backup_dir.glob("*.part"))
        return real_encrypt(source, out, header)

    monkeypatch.setattr(engine, "encrypt_stream", look_at_the_part_file)
    backup = make_backup(DATA)
    assert modes == [0o600] and mode(backup.path) == 0o600


def test_it_removes_what_a_killed_backup_left_when_the_job_worker_starts(backup_dir, monkeypatch):
    scratch = engine.scratch_dir() / "snapshot-killed"
    scratch.mkdir(mode=0o700)
    (scratch / "snapshot.sqlite3").write_bytes(b"SQLite format 3\x00 the whole database")
    old_style = backup_dir / "snapshot-0123.sqlite3"  # where earlier versions put it
    old_style.write_bytes(b"SQLite format 3\x00")
    HUEY.lock_task(tasks.LOCK).__enter__()  # the killed run never released its lock

    start_the_job_worker(monkeypatch)

    assert files_under(backup_dir) == []
    assert list_backups() == []
    assert HUEY.is_locked(tasks.LOCK) is False  # the next hourly run may take a backup
