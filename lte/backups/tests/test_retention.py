"""The schedule and the retention promises, with time travel: key-store copies live 7 days, data 90."""

import os
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from huey.contrib.djhuey import HUEY

from lte.accounts.models import User
from lte.backups.engine import DATA, KEYS, list_backups, newest, prune, run_daily
from lte.crm.models import Contact
from lte.crm.services.contacts import contact_create
from lte.privacy.deletion import enforce_tombstones
from lte.privacy.retention import purge_old_tombstones
from lte.vault.context import acting_for
from lte.vault.keys import record_tombstone
from lte.vault.models import AccountKey, Tombstone

pytestmark = pytest.mark.django_db(transaction=True)
T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def backup_dir(settings, tmp_path):
    settings.BACKUP_DIR = tmp_path / "backups"
    return settings.BACKUP_DIR


@pytest.fixture
def seeded(alice):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Kept", emails=["kept@example.com"])


def kinds_and_days() -> list[tuple[str, int]]:
    return sorted((b.kind, (b.created_at - T0).days) for b in list_backups())


def test_key_store_backups_are_pruned_after_7_days_and_data_backups_after_90(seeded):
    for day in (0, 1, 8, 91):
        with time_machine.travel(T0 + timedelta(days=day), tick=False):
            run_daily()
    assert kinds_and_days() == [("data", 1), ("data", 8), ("data", 91), ("keys", 91)]
    with time_machine.travel(T0 + timedelta(days=91, hours=1), tick=False):
        assert [b.created_at for b in list_backups(KEYS)] == [T0 + timedelta(days=91)]


def test_the_daily_job_is_idempotent(seeded):
    with time_machine.travel(T0, tick=False):
        first = run_daily()
        second = run_daily()
    assert sorted(b.kind for b in first) == [DATA, KEYS]
    assert second == []
    with time_machine.travel(T0 + timedelta(hours=20), tick=False):
        assert run_daily() == []
    with time_machine.travel(T0 + timedelta(hours=24), tick=False):
        assert len(run_daily()) == 2


def test_an_interrupted_backup_is_never_used_and_is_made_up_then_cleaned(seeded, backup_dir):
    backup_dir.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(T0, tick=False):
        (backup_dir / "lte-data-20260301T013000000000Z.lteb.part").write_bytes(b"half a backup")
        (backup_dir / "lte-data-20260301T015900000000Z.lteb").write_bytes(b"no manifest: never finished")
        os.utime(backup_dir / "lte-data-20260301T013000000000Z.lteb.part", (T0.timestamp(), T0.timestamp()))
        os.utime(backup_dir / "lte-data-20260301T015900000000Z.lteb", (T0.timestamp(), T0.timestamp()))
        assert newest(DATA) is None
        made = run_daily()  # the next hourly run makes up for the killed one
    assert {b.kind for b in made} == {DATA, KEYS}
    with time_machine.travel(T0 + timedelta(hours=7), tick=False):
        removed = prune()
    assert sorted(removed) == ["lte-data-20260301T013000000000Z.lteb.part", "lte-data-20260301T015900000000Z.lteb"]
    assert len(list_backups()) == 2


def test_the_jobs_are_on_the_schedule():
    names = {task.__name__ for task in HUEY._registry._periodic_tasks}
    assert {"ensure_daily_backups", "purge_old_tombstones", "enforce_tombstones"} <= names


def test_a_deletion_interrupted_after_its_tombstone_is_finished_by_the_job(alice, bob):
    with acting_for(alice.pk):
        contact_create(owner=alice, first_name="Gone", emails=["gone@example.com"])
    record_tombstone(alice.pk)  # then the process died
    assert enforce_tombstones.call_local() >= 4  # the user, their email address, contact, its lookups…
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not Contact.objects.filter(owner_id=alice.pk).exists()
    assert not AccountKey.objects.filter(owner_id=alice.pk).exists()
    assert User.objects.filter(pk=bob.pk).exists()
    assert enforce_tombstones.call_local() == 0


def test_tombstones_are_kept_91_days():
    with time_machine.travel(T0, tick=False):
        record_tombstone("00000000-0000-4000-8000-000000000001")
    with time_machine.travel(T0 + timedelta(days=90), tick=False):
        assert purge_old_tombstones.call_local() == 0
    with time_machine.travel(T0 + timedelta(days=92), tick=False):
        assert purge_old_tombstones.call_local() == 1
    assert not Tombstone.objects.exists()
