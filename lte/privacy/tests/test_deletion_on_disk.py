"""After a deletion, nothing of the account is left on disk: not in the database file (SQLite's secure_delete
zeroes the deleted rows) and not in its write-ahead log, which otherwise keeps the old pages — names in plain
text — until a clean stop. A real file-backed instance, grepped while its connections are still open, as
gunicorn's are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NAMES = ("Quillonwyth", "Zarabethine")  # the contact's first and last names, which stay plaintext (ARCHITECTURE.md)

SCRIPT = f"""
import os, pathlib, django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0); call_command("migrate", database="keystore", verbosity=0)
from django.db import connections
from lte.accounts.models import User
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.privacy.deletion import account_delete_confirmed
from lte.vault.context import acting_for

data_dir = pathlib.Path(os.environ["LTE_DATA_DIR"])
NAMES = {NAMES!r}

def files_with_the_names():
    found = []
    for path in data_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            found += [f"{{path.name}}:{{name}}" for name in NAMES if name.lower().encode() in data]
    return found

stayer = User.objects.create_user("stays@example.com", "pw-unused-1234", name="Stays")
with acting_for(stayer.pk):
    contact_create(owner=stayer, first_name="Someone", last_name="Else")
seller = User.objects.create_user("seller@example.com", "pw-unused-1234", name="Seller")
with acting_for(seller.pk):
    contact = contact_create(owner=seller, first_name=NAMES[0], last_name=NAMES[1], company=NAMES[1] + " Ltd")
    note_create(owner=seller, contact=contact, body="a note")
print("BEFORE", files_with_the_names())
for alias in ("default", "keystore"):
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        print("SECURE_DELETE", alias, cursor.fetchone()[0])
from django.test import RequestFactory
request = RequestFactory().delete("/api/v1/me", REMOTE_ADDR="127.0.0.1")
request.user = User.objects.get(pk=seller.pk)
account_delete_confirmed(request, user=request.user, password="pw-unused-1234")
assert not User.objects.filter(email="seller@example.com").exists()
print("AFTER", files_with_the_names())
"""


def test_a_deleted_accounts_contact_names_are_in_no_file_of_the_data_dir_nor_its_wal(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEYSTORE_URL", "REDIS_URL"}}
    env |= {"LTE_DATA_DIR": str(tmp_path / "data"), "DJANGO_SETTINGS_MODULE": "lte.settings"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "SECURE_DELETE default 1" in lines and "SECURE_DELETE keystore 1" in lines
    before = next(line for line in lines if line.startswith("BEFORE"))
    assert "lte.sqlite3" in before  # the names were on disk (the file or its WAL), so the search can find them
    assert "AFTER []" in lines, result.stdout
