"""One LTE per data dir: an exclusive lock on `LTE_DATA_DIR/lte.lock`, held by `lte run` (and its children,
which inherit it) and by `lte restore`.

`fcntl.flock` locks belong to the open file, so the kernel drops the lock when the last process holding it
exits, however it exits (kill -9 included): there is never a stale lock to clean up by hand.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

LOCK_NAME = "lte.lock"


class InstanceRunning(Exception):
    """Another process holds the data dir's lock (`lte run`, or a restore in progress)."""


def hold_instance_lock(data_dir: Path | str) -> int:
    """Takes the data dir's lock and returns its file descriptor (keep it open as long as you need the lock).
    Raises InstanceRunning at once if another process holds it."""
    path = Path(data_dir) / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InstanceRunning(f"LTE is already running on {data_dir} (another process holds {path}); "
                              "stop it first.") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def release_instance_lock(fd: int) -> None:
    os.close(fd)
