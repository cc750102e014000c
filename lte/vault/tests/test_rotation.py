"""Rotating the master key (re-wrap) and an account's data key (re-encrypt), both resumable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from lte.crm.models import Contact, Note
from lte.crm.services.contacts import contact_create
from lte.crm.services.notes import note_create
from lte.vault.context import acting_for
from lte.vault.crypto import DecryptionFailed, kek_fingerprint
from lte.vault.fields import key_id_of
from lte.vault.keys import key_cache, keyring_for
from lte.vault.models import AccountIndexKey, AccountKey
from lte.vault.rotation import pending_rows, reencrypt_account, retired_keys

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def fill(user, n: int = 3) -> list[Note]:
    with acting_for(user.pk):
        contact = contact_create(owner=user, first_name="Rita", emails=["rita@example.com"], phones=["+14155550123"])
        return [note_create(owner=user, contact=contact, body=f"note {i}") for i in range(n)]


def read_all(user) -> list[str]:
    key_cache.evict()
    with acting_for(user.pk):
        contact = Contact.objects.owned_by(user).get()
        assert contact.emails == ["rita@example.com"]
        return sorted(n.body for n in Note.objects.owned_by(user))


def test_master_key_rotation_rewraps_every_key_and_resumes_after_an_interruption(settings, alice, bob):
    fill(alice)
    fill(bob)
    old, new = settings.MASTER_KEYS[0], os.urandom(32)
    settings.MASTER_KEYS = [new, old]
    call_command("rotate_master_key", limit=1)  # interrupted after one key
    kek_ids = set(AccountKey.objects.values_list("kek_id", flat=True))
    assert kek_ids == {kek_fingerprint(new), kek_fingerprint(old)}
    assert read_all(alice) == ["note 0", "note 1", "note 2"]  # readable in the middle of it
    call_command("rotate_master_key")
    assert set(AccountKey.objects.values_list("kek_id", flat=True)) == {kek_fingerprint(new)}
    assert set(AccountIndexKey.objects.values_list("kek_id", flat=True)) == {kek_fingerprint(new)}
    settings.MASTER_KEYS = [new]  # the old key can now be thrown away
    assert read_all(alice) == ["note 0", "note 1", "note 2"]
    assert read_all(bob) == ["note 0", "note 1", "note 2"]


def test_without_the_old_master_key_nothing_opens(settings, alice):
    fill(alice)
    settings.MASTER_KEYS = [os.urandom(32)]
    with pytest.raises(DecryptionFailed):
        read_all(alice)


def test_account_key_rotation_reseals_everything_and_keeps_old_ciphertexts_readable(alice):
    notes = fill(alice, n=5)
    old_key = keyring_for(alice.pk).primary_id
    old_token = Note.objects.values_list("body", flat=True).get(pk=notes[0].pk)

    assert reencrypt_account(alice.pk, limit=2) == 2  # interrupted
    new_key = keyring_for(alice.pk).primary_id
    assert new_key != old_key and pending_rows(alice.pk) == 4
    call_command("rotate_account_key", str(alice.pk))  # resumes the same rotation, no third key
    assert pending_rows(alice.pk) == 0
    assert keyring_for(alice.pk).primary_id == new_key
    assert retired_keys(alice.pk) == [old_key]
    tokens = list(Note.objects.values_list("body", flat=True)) + list(Contact.objects.values_list("reach", flat=True))
    assert {key_id_of(t) for t in tokens} == {new_key}
    assert read_all(alice) == [f"note {i}" for i in range(5)]

    Note.objects.filter(pk=notes[0].pk).update(body=old_token)  # e.g. a row from an older backup
    with acting_for(alice.pk):
        assert Note.objects.get(pk=notes[0].pk).body == "note 0"


def test_the_command_refuses_a_bad_account_id():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("rotate_account_key", "not-a-uuid")


@pytest.mark.slow
def test_a_wrong_master_key_stops_lte_from_starting(tmp_path):
    """Keys wrapped by one master key; started with another: a clear refusal, and nothing overwritten."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "KEYSTORE_URL", "REDIS_URL"}}
    env |= {"LTE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "lte.settings"}
    seed = ("import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); call_command('migrate', database='keystore', verbosity=0); "
            "from lte.accounts.models import User; from lte.vault.keys import keyring_for; "
            "keyring_for(User.objects.create_user('a@example.com', 'x-unused-pw-1', name='A').pk, create=True)")
    assert subprocess.run([sys.executable, "-c", seed], env=env, cwd=ROOT, timeout=120).returncode == 0
    key_file = (tmp_path / "master.key").read_bytes()
    import base64
    wrong = base64.b64encode(os.urandom(32)).decode()
    result = subprocess.run([sys.executable, "-m", "lte.cli", "run"], env=env | {"LTE_MASTER_KEY": wrong},
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "refuses to start" in result.stderr
    assert (tmp_path / "master.key").read_bytes() == key_file
    check = subprocess.run([sys.executable, "-m", "lte.cli", "check", "--database", "keystore"],
                           env=env | {"LTE_MASTER_KEY": wrong}, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert check.returncode != 0 and "lte.vault.E001" in check.stderr


@pytest.mark.slow
def test_it_refuses_to_start_without_master_key_when_the_key_store_holds_keys_and_creates_none(tmp_path):
    """A lost master.key is not a first start: making a new one would open nothing and hide the loss."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "KEYSTORE_URL", "REDIS_URL", "LTE_MASTER_KEY"}}
    env |= {"LTE_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "lte.settings"}
    seed = ("import django; django.setup(); from django.core.management import call_command; "
            "call_command('migrate', verbosity=0); call_command('migrate', database='keystore', verbosity=0); "
            "from lte.accounts.models import User; from lte.vault.keys import keyring_for; "
            "keyring_for(User.objects.create_user('a@example.com', 'x-unused-pw-1', name='A').pk, create=True)")
    assert subprocess.run([sys.executable, "-c", seed], env=env, cwd=ROOT, timeout=120).returncode == 0
    (tmp_path / "master.key").unlink()
    result = subprocess.run([sys.executable, "-m", "lte.cli", "run"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0
    assert "master.key is missing, but the key store holds keys" in result.stderr
    assert not (tmp_path / "master.key").exists()
