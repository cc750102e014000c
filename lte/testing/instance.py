"""A throwaway LTE instance for backup and restore drills: its own data dir and, when the suite runs on
PostgreSQL, its own databases; commands run in subprocesses exactly as an operator would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lte.testing.server import create_postgres_database, with_database

ROOT = Path(__file__).resolve().parents[2]

SEED = """
import json, django
django.setup()
from lte.accounts.models import User
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.vault.context import acting_for
made = {}
for name in NAMES:
    user = User.objects.create_user(f"{name}@example.com", "pw-long-enough-1", name=name.title())
    with acting_for(user.pk):
        contact = contact_create(owner=user, first_name=f"{name}'s friend", emails=[f"friend.of.{name}@example.org"],
                                 phones=["+14155550100"])
        note_create(owner=user, contact=contact, body=f"private note of {name}")
    made[name] = str(user.pk)
print(json.dumps(made))
"""

DUMP = """
import json, django
django.setup()
from lte.accounts.models import User
from lte.crm.models import Contact, Note
from lte.vault.context import acting_for
out = {}
for user in User.objects.order_by("email"):
    with acting_for(user.pk):
        out[user.email] = {
            "contacts": sorted((c.first_name, c.emails, c.phones) for c in Contact.objects.owned_by(user)),
            "notes": sorted(n.body for n in Note.objects.owned_by(user)),
        }
print(json.dumps(out, sort_keys=True))
"""


class Instance:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.data_dir = root / "data"
        self.cleanups: list = []
        self.env = {k: v for k, v in os.environ.items()
                    if k not in {"DATABASE_URL", "KEYSTORE_URL", "LTE_JOBS_IMMEDIATE", "PYTEST_XDIST_WORKER"}}
        self.env |= {"LTE_DATA_DIR": str(self.data_dir), "DJANGO_SETTINGS_MODULE": "lte.settings",
                     "LTE_CACHE_PREFIX": f"lte-bk-{os.getpid()}-{id(self)}"}
        for variable in ("DATABASE_URL", "KEYSTORE_URL"):
            if os.environ.get(variable):
                url, drop = create_postgres_database(os.environ[variable])
                self.env[variable] = url
                self.cleanups.append(drop)

    @property
    def on_postgres(self) -> bool:
        return "DATABASE_URL" in self.env

    def lte(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "lte.cli", *args], env=self.env | env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        if check and result.returncode != 0:
            raise AssertionError(f"lte {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def python(self, code: str, **env: str) -> str:
        result = subprocess.run([sys.executable, "-c", code], env=self.env | env, cwd=ROOT, capture_output=True,
                                text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"script failed:\n{result.stderr}")
        return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""

    def migrate(self) -> None:
        self.lte("migrate", "-v0")
        self.lte("migrate", "--database", "keystore", "-v0")

    def seed(self, *names: str) -> dict[str, str]:
        return json.loads(self.python(f"NAMES = {list(names)!r}\n" + SEED))

    def dump(self) -> dict:
        return json.loads(self.python(DUMP))

    def destroy_data_database(self) -> None:
        if self.on_postgres:
            import psycopg
            from psycopg import sql
            url = self.env["DATABASE_URL"]
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(with_database(url, "postgres").replace("postgres://", "postgresql://", 1),
                                 autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.data_dir / 'lte.sqlite3'}{suffix}").unlink(missing_ok=True)

    def backups(self, kind: str) -> list[Path]:
        return sorted((self.data_dir / "backups").glob(f"lte-{kind}-*.lteb"))

    def close(self) -> None:
        for cleanup in reversed(self.cleanups):
            cleanup()
