"""The data dir is private to the account LTE runs as, however it came to exist.

An operator who made the folder (`mkdir /srv/lte`, 0755) or copied a database into it (0644) left it readable
by every local user: the database, its WAL, the key store and the keys. At every start LTE makes the folder
0700 and the files directly in it 0600, and sets the process's umask to 077, so that what SQLite, huey, gunicorn
and our own code create from then on (the WAL and shared-memory files, the job queue, outbox and backups) is
the owner's alone. The children `lte run` starts inherit the umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

PRIVATE_UMASK = 0o077


def make_private(path: Path) -> Path:
    """Creates `path` if needed, then makes it 0700 and every regular file directly in it 0600."""
    os.umask(PRIVATE_UMASK)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            path.chmod(0o700)
        for entry in os.scandir(path):
            if entry.is_file(follow_symlinks=False) and stat.S_IMODE(entry.stat().st_mode) & 0o077:
                os.chmod(entry.path, stat.S_IMODE(entry.stat().st_mode) & 0o700)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"LTE_DATA_DIR={path} cannot be made private to this account (0700, its files 0600): {exc}. "
            "Run LTE as the folder's owner."
        ) from exc
    return path
