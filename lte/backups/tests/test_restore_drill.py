"""Restore drills on a real instance (SQLite files, or PostgreSQL when DATABASE_URL is set)."""

import base64
import json
import os

import pytest

from lte.testing.instance import Instance

pytestmark = pytest.mark.slow


@pytest.fixture
def instance(tmp_path):
    inst = Instance(tmp_path)
    inst.migrate()
    yield inst
    inst.close()


def test_write_back_up_destroy_restore_gives_identical_data(instance):
    instance.seed("alice", "bob")
    before = instance.dump()
    assert before["alice@example.com"]["notes"] == ["private note of alice"]
    out = instance.lte("backup").stdout
    assert "data:" in out and "keys:" in out
    verified = [json.loads(line)["verified"] for line in instance.lte("backup", "--verify").stdout.splitlines()]
    assert {v["kind"] for v in verified} == {"data", "keys"} and all(v["rows"] > 0 for v in verified)

    instance.destroy_data_database()
    [backup] = instance.backups("data")
    instance.lte("restore", str(backup))
    assert instance.dump() == before


def test_a_restore_never_brings_a_deleted_account_back(instance):
    ids = instance.seed("alice", "bob")
    instance.lte("backup")
    instance.python(
        "import django; django.setup()\n"
        "from lte.accounts.models import User\nfrom lte.privacy.deletion import account_delete\n"
        "account_delete(user=User.objects.get(email='alice@example.com'))"
    )
    [backup] = instance.backups("data")
    result = instance.lte("restore", str(backup)).stdout
    assert "removed again" in result
    after = instance.dump()
    assert list(after) == ["bob@example.com"]
    assert after["bob@example.com"]["notes"] == ["private note of bob"]
    leftovers = instance.python(
        "import django; django.setup()\n"
        "from lte.crm.models import Contact, Note\nfrom lte.vault.models import AccountKey\n"
        f"print(Contact.objects.filter(owner_id={ids['alice']!r}).count(), "
        f"Note.objects.filter(owner_id={ids['alice']!r}).count(), "
        f"AccountKey.objects.filter(owner_id={ids['alice']!r}).count())"
    )
    assert leftovers == "0 0 0"


def test_a_key_store_restore_keeps_deleted_accounts_keyless(instance):
    ids = instance.seed("alice", "bob")
    instance.lte("backup")
    instance.python(
        "import django; django.setup()\n"
        "from lte.accounts.models import User\nfrom lte.privacy.deletion import account_delete\n"
        "account_delete(user=User.objects.get(email='alice@example.com'))"
    )
    [keys_backup] = instance.backups("keys")
    instance.lte("restore", str(keys_backup))
    counts = instance.python(
        "import django; django.setup()\nfrom lte.vault.models import AccountKey, Tombstone\n"
        f"print(AccountKey.objects.filter(owner_id={ids['alice']!r}).count(), "
        f"Tombstone.objects.filter(owner_id={ids['alice']!r}).count())"
    )
    assert counts == "0 1"
    assert instance.dump()["bob@example.com"]["notes"] == ["private note of bob"]


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_a_damaged_backup_restores_nothing(instance, damage):
    instance.seed("alice")
    instance.lte("backup")
    before = instance.dump()
    [backup] = instance.backups("data")
    data = bytearray(backup.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x01
    elif damage == "truncate":
        data = data[: len(data) - 100]
    else:
        data = bytearray()
    backup.write_bytes(bytes(data))
    backup.with_suffix(".json").unlink()  # so the decryption itself must notice, not just the checksum
    instance.seed("carol")  # the live data moves on
    live = instance.dump()
    result = instance.lte("restore", str(backup), check=False)
    assert result.returncode != 0
    assert "Nothing was restored" in result.stderr
    assert instance.dump() == live != before


def test_a_checksum_mismatch_is_reported_before_decrypting(instance):
    instance.seed("alice")
    instance.lte("backup")
    [backup] = instance.backups("data")
    with backup.open("ab") as fh:
        fh.write(b"x")
    result = instance.lte("restore", str(backup), check=False)
    assert result.returncode != 0 and "sha256" in result.stderr


def test_the_wrong_master_key_restores_nothing(instance):
    instance.seed("alice")
    instance.lte("backup")
    [backup] = instance.backups("data")
    wrong = base64.b64encode(os.urandom(32)).decode()
    result = instance.lte("restore", str(backup), check=False, LTE_MASTER_KEY=wrong)
    assert result.returncode != 0
    assert "master key" in result.stderr


def test_backups_hold_no_plaintext_and_no_key(instance):
    instance.seed("alice")
    instance.lte("backup")
    key = base64.b64decode((instance.data_dir / "master.key").read_text()) if not os.environ.get(
        "LTE_MASTER_KEY") else None
    for path in instance.backups("data") + instance.backups("keys"):
        blob = path.read_bytes()
        for needle in (b"private note", b"friend.of.alice", b"alice@example.com", b"SQLite format", b"PGDMP"):
            assert needle not in blob, (path.name, needle)
        if key:
            assert key not in blob
        assert oct(path.stat().st_mode)[-3:] == "600"
