"""Backups of the data and of the key store: consistent snapshot → encrypted file + manifest → prune.

    data backups   LTE_DATA_DIR/backups/lte-data-<UTC time>.lteb (+ .json manifest), kept 90 days
    key backups    LTE_DATA_DIR/backups/lte-keys-<UTC time>.lteb (+ .json manifest), kept 7 days

A snapshot (plaintext, on SQLite) exists only inside a 0700 scratch dir, `backups/.scratch/<run>/`, removed when
its run ends and emptied whenever the job worker starts, so a run killed midway leaves nothing readable behind.
A file is written as `.part` (0600 from creation), synced and renamed, and its manifest (sha256, size, schema,
row counts, time) is written the same way afterwards: a backup without a manifest is incomplete and never used.
Restoring data replays the key store's tombstones, so a deleted account never comes back; since the
data keys of deleted accounts are gone from the live key store, nothing sensitive of theirs is readable
from any data backup, and key-store backups older than 7 days do not exist.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections

from lte.backups.stream import BackupError, decrypt_stream, encrypt_stream, read_header
from lte.vault.keys import key_cache, tombstoned_ids
from lte.vault.models import AccountIndexKey, AccountKey, Tombstone

DATA, KEYS = "data", "keys"
ALIAS = {DATA: "default", KEYS: "keystore"}
RETENTION = {DATA: timedelta(days=90), KEYS: timedelta(days=7)}
STALE_PART = timedelta(hours=6)
SCRATCH = ".scratch"


@dataclass(frozen=True)
class Backup:
    path: Path
    manifest: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])


def backup_dir() -> Path:
    path = Path(settings.BACKUP_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def scratch_dir() -> Path:
    """Where snapshots and decrypted copies live while a run uses them: 0700, inside the backup dir."""
    path = backup_dir() / SCRATCH
    path.mkdir(mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)  # whatever made it before, only LTE's user may look inside
    return path


@contextlib.contextmanager
def _scratch(prefix: str) -> Iterator[Path]:
    """A fresh 0700 directory of the scratch dir for one run, removed with everything in it afterwards."""
    with tempfile.TemporaryDirectory(dir=scratch_dir(), prefix=prefix) as workdir:
        yield Path(workdir)


def clean_scratch() -> list[str]:
    """Removes what killed runs left: the scratch dir's contents, and snapshots older versions kept beside
    the backups. Call it when no backup runs (the job worker's start)."""
    removed = []
    directory = backup_dir()
    for leftover in [*(directory / SCRATCH).glob("*"), *directory.glob("snapshot-*")]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover.name)
    return removed


def _now() -> datetime:
    return datetime.now(UTC)


def _fsync_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _vendor(kind: str) -> str:
    return connections[ALIAS[kind]].vendor


def _schema(alias: str) -> list[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                         "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # noqa: S608


def _pg_env(db: Mapping[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"PGHOST": str(db.get("HOST") or "127.0.0.1"), "PGPORT": str(db.get("PORT") or 5432),
                "PGUSER": str(db.get("USER") or ""), "PGDATABASE": str(db["NAME"])})
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_counts(cursor) -> dict[str, int]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
    tables = [r[0] for r in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - names from the catalogue
        counts[table] = cursor.fetchone()[0]
    return counts


@contextlib.contextmanager
def _snapshot(kind: str) -> Iterator[tuple[Any, dict[str, int]]]:
    """Yields a readable binary stream of a consistent snapshot, and the row counts in that snapshot."""
    alias = ALIAS[kind]
    db = settings.DATABASES[alias]
    if connections[alias].vendor == "sqlite":
        with _scratch("snapshot-") as workdir:
            snap = workdir / "snapshot.sqlite3"
            os.close(os.open(snap, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # 0600 before a byte is in it
            name = str(db["NAME"])
            source = sqlite3.connect(name, uri=name.startswith("file:"))  # the test suite's in-memory database
            target = sqlite3.connect(snap)
            try:
                source.backup(target)  # SQLite's online backup API: a consistent copy while LTE runs
                counts = _sqlite_counts(target)
            finally:
                target.close()
                source.close()
            with snap.open("rb") as fh:
                yield fh, counts
        return

    env = _pg_env(db)
    with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname=env["PGDATABASE"],
                         password=env.get("PGPASSWORD"), autocommit=False) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert row is not None  # the function always answers one row
        snapshot_id = row[0]
        with conn.cursor() as cursor:
            counts = _pg_counts(cursor)
        dump = subprocess.Popen(  # noqa: S603
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}"],  # noqa: S607
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        try:
            yield dump.stdout, counts
        finally:
            _out, err = dump.communicate()
            if dump.returncode != 0:
                raise BackupError(f"pg_dump failed: {err.decode(errors='replace')[:500]}")


def make_backup(kind: str = DATA) -> Backup:
    """Takes an encrypted backup now and returns it (complete, with its manifest)."""
    directory = backup_dir()
    created = _now()
    stem = f"lte-{kind}-{created.strftime('%Y%m%dT%H%M%S%fZ')}"
    final, part = directory / f"{stem}.lteb", directory / f"{stem}.lteb.part"
    header = {"kind": kind, "vendor": _vendor(kind), "created_at": created.isoformat()}
    try:
        with _snapshot(kind) as (stream, counts):
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                encrypt_stream(stream, out, header)
                out.flush()
                os.fsync(out.fileno())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    manifest = {
        **header, "file": final.name, "sha256": _sha256(final), "size": final.stat().st_size,
        "schema": _schema(ALIAS[kind]), "rows": counts,
    }
    _fsync_write(final.with_suffix(".json"), json.dumps(manifest, indent=2, sort_keys=True).encode())
    return Backup(final, manifest)


def list_backups(kind: str | None = None) -> list[Backup]:
    """Complete backups (with a manifest), oldest first."""
    found = []
    for manifest_path in backup_dir().glob("lte-*.json"):
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError):
            continue
        path = manifest_path.with_suffix(".lteb")
        if path.exists() and (kind is None or manifest.get("kind") == kind):
            found.append(Backup(path, manifest))
    return sorted(found, key=lambda b: b.created_at)


def newest(kind: str) -> Backup | None:
    backups = list_backups(kind)
    return backups[-1] if backups else None


def prune(now: datetime | None = None) -> list[str]:
    """Deletes data backups older than 90 days, key-store backups older than 7 days, and leftovers of
    interrupted runs. Times come from the manifests, not file dates."""
    now = now or _now()
    removed = []
    for backup in list_backups():
        if now - backup.created_at > RETENTION[backup.kind]:
            backup.path.unlink(missing_ok=True)
            backup.path.with_suffix(".json").unlink(missing_ok=True)
            removed.append(backup.path.name)
    for leftover in list(backup_dir().glob("*.part")) + list(backup_dir().glob("snapshot-*")):
        age = now - datetime.fromtimestamp(leftover.stat().st_mtime, UTC)
        if age > STALE_PART:
            leftover.unlink(missing_ok=True)
            removed.append(leftover.name)
    for orphan in backup_dir().glob("lte-*.lteb"):
        if not orphan.with_suffix(".json").exists():
            age = now - datetime.fromtimestamp(orphan.stat().st_mtime, UTC)
            if age > STALE_PART:
                orphan.unlink(missing_ok=True)
                removed.append(orphan.name)
    return removed


# --- Reading a backup back ----------------------------------------------------------------------------


def _check_file(backup_path: Path) -> dict[str, Any]:
    manifest_path = backup_path.with_suffix(".json")
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if _sha256(backup_path) != manifest["sha256"]:
            raise BackupError(f"{backup_path.name} does not match its manifest's sha256: corrupt or altered")
        return manifest
    with backup_path.open("rb") as fh:
        header, _ = read_header(fh)
    return {**header, "rows": None}


def decrypt_to(backup_path: Path, target: Path) -> dict[str, Any]:
    """Decrypts a backup into `target` (0600) and returns its manifest; on any fault, removes `target`."""
    manifest = _check_file(backup_path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, backup_path.open("rb") as source:
            header, chunks = decrypt_stream(source)
            for chunk in chunks:
                out.write(chunk)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return {**manifest, **header}


def _check_sqlite(path: Path, manifest: dict[str, Any]) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"restored database is damaged: {exc}") from None
        if result != "ok":
            raise BackupError(f"restored database fails its integrity check: {result}")
        counts = _sqlite_counts(conn)
    finally:
        conn.close()
    if manifest.get("rows") is not None and counts != manifest["rows"]:
        raise BackupError("restored row counts differ from the manifest")
    return counts


# How a restore removes accounts from the restored database: `remover(owner_ids, using=alias)` deletes their
# rows and returns how many went. lte.privacy.deletion registers its `accounts_rows_delete` (the layer that
# knows every table holding an account's rows), so a restore deletes exactly what a deletion does.
AccountsRemover = Callable[..., int]
_accounts_remover: list[AccountsRemover] = []


def register_accounts_remover(remover: AccountsRemover) -> None:
    _accounts_remover[:] = [remover]


def _replay_tombstones(alias: str) -> int:
    """Deletes, in a restored data database, every account the live key store says was deleted."""
    ids = tombstoned_ids()
    if not ids:
        return 0
    if not _accounts_remover:
        raise BackupError("no account remover is registered (lte.privacy is not loaded): nothing was restored")
    return _accounts_remover[0](ids, using=alias)


@contextlib.contextmanager
def _extra_alias(alias: str, config: dict[str, Any]) -> Iterator[str]:
    connections.settings[alias] = {**config}
    connections.settings[alias].setdefault("TIME_ZONE", None)
    try:
        yield alias
    finally:
        if alias in connections:
            connections[alias].close()
            del connections[alias]
        connections.settings.pop(alias, None)


def _pg_admin(db: Mapping[str, Any]):
    env = _pg_env(db)
    return psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname="postgres",
                           password=env.get("PGPASSWORD"), autocommit=True)


def _pg_restore(dump: Path, db: Mapping[str, Any], database: str) -> None:
    env = _pg_env(db) | {"PGDATABASE": database}
    result = subprocess.run(  # noqa: S603
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={database}", str(dump)],  # noqa: S607
        env=env, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr[:500]}")


def _pg_check(db: Mapping[str, Any], database: str, manifest: dict[str, Any]) -> dict[str, int]:
    env = _pg_env(db)
    with psycopg.connect(host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname=database,
                         password=env.get("PGPASSWORD")) as conn, conn.cursor() as cursor:
        counts = _pg_counts(cursor)
    if manifest.get("rows") is not None and counts != manifest["rows"]:
        raise BackupError("restored row counts differ from the manifest")
    return counts


def verify(backup: Backup | None = None) -> dict[str, Any]:
    """Restores a backup (the newest data backup by default) into a scratch database and checks it:
    decryption, integrity, schema and row counts. Nothing live is touched."""
    backup = backup or newest(DATA)
    if backup is None:
        raise BackupError("there is no complete backup to verify")
    kind = backup.kind
    db = settings.DATABASES[ALIAS[kind]]
    with _scratch("verify-") as scratch:
        plain = scratch / "restored"
        manifest = decrypt_to(backup.path, plain)
        if manifest["vendor"] == "sqlite":
            counts = _check_sqlite(plain, manifest)
        else:
            name = f"lte_verify_{uuid.uuid4().hex[:10]}"
            with _pg_admin(db) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                _pg_restore(plain, db, name)
                counts = _pg_check(db, name, manifest)
            finally:
                with _pg_admin(db) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return {"file": backup.path.name, "kind": kind, "created_at": backup.manifest["created_at"],
            "tables": len(counts), "rows": sum(counts.values())}


def restore(backup_path: Path) -> dict[str, Any]:
    """Restores a backup into a fresh database that then replaces the live one, all or nothing.
    Stop LTE first. A data restore replays the live tombstones; a key-store restore keeps them."""
    backup_path = Path(backup_path)
    if not backup_path.exists():
        raise BackupError(f"{backup_path} does not exist")
    with backup_path.open("rb") as fh:
        header, _ = read_header(fh)
    kind = header.get("kind")
    if kind not in ALIAS:
        raise BackupError("unknown backup kind")
    alias = ALIAS[kind]
    db = settings.DATABASES[alias]
    if header.get("vendor") != connections[alias].vendor:
        raise BackupError(f"this is a {header.get('vendor')} backup; the configured database is "
                          f"{connections[alias].vendor}")
    tombstones = tombstoned_ids()
    if connections[alias].vendor == "sqlite":
        live = Path(db["NAME"])
        fresh = live.with_name(f"{live.name}.restore-{uuid.uuid4().hex[:8]}")
        try:
            manifest = decrypt_to(backup_path, fresh)
            _check_sqlite(fresh, manifest)
            with _extra_alias("lte_restore", {**db, "NAME": fresh}) as tmp_alias:
                replayed = _replay(kind, tmp_alias, tombstones)
            connections[alias].close()
            for suffix in ("-wal", "-shm"):
                Path(f"{live}{suffix}").unlink(missing_ok=True)
            os.replace(fresh, live)
        finally:
            fresh.unlink(missing_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{fresh}{suffix}").unlink(missing_ok=True)
    else:
        name = f"{db['NAME']}_restore_{uuid.uuid4().hex[:8]}"
        with _scratch("restore-") as scratch:
            dump = scratch / "dump"
            manifest = decrypt_to(backup_path, dump)
            with _pg_admin(db) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                _pg_restore(dump, db, name)
                _pg_check(db, name, manifest)
                with _extra_alias("lte_restore", {**db, "NAME": name}) as tmp_alias:
                    replayed = _replay(kind, tmp_alias, tombstones)
            except BaseException:
                with _pg_admin(db) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                raise
        connections[alias].close()
        old = f"{db['NAME']}_replaced_{uuid.uuid4().hex[:8]}"
        with _pg_admin(db) as admin:
            admin.execute(f'ALTER DATABASE "{db["NAME"]}" RENAME TO "{old}"')
            admin.execute(f'ALTER DATABASE "{name}" RENAME TO "{db["NAME"]}"')
            admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
    key_cache.evict()
    return {"kind": kind, "created_at": header.get("created_at"), "accounts_removed_by_tombstones": replayed}


def _replay(kind: str, alias: str, tombstones: list[uuid.UUID]) -> int:
    if kind == DATA:
        return _replay_tombstones(alias)
    # A key-store restore: keep every tombstone known now, and no key of a tombstoned account.
    Tombstone.objects.using(alias).bulk_create([Tombstone(owner_id=t) for t in tombstones], ignore_conflicts=True)
    removed, _ = AccountKey.objects.using(alias).filter(owner_id__in=tombstones).delete()
    AccountIndexKey.objects.using(alias).filter(owner_id__in=tombstones).delete()
    return removed


def run_daily(now: datetime | None = None) -> list[Backup]:
    """The scheduled job: a data backup and a key-store backup when the newest is over a day old, then
    prune. Idempotent: run it as often as you like (the worker runs it hourly, so a missed or killed
    run is made up within the hour)."""
    now = now or _now()
    made = []
    for kind in (DATA, KEYS):
        latest = newest(kind)
        if latest is None or now - latest.created_at >= timedelta(hours=23, minutes=30):
            made.append(make_backup(kind))
    prune(now)
    shutil.disk_usage(backup_dir())  # touch the directory: a missing mount fails loudly here
    return made
