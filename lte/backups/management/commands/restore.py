from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lte.backups.engine import BackupError, restore
from lte.lib.instance import InstanceRunning, hold_instance_lock, release_instance_lock


class Command(BaseCommand):
    help = ("Restores an encrypted backup (data or key store, told by its header) into a fresh database "
            "that then replaces the live one. Stop LTE first. Deleted accounts stay deleted.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:  # the data dir's lock: no `lte run` may use the database while it is replaced, nor start meanwhile
            lock = hold_instance_lock(settings.DATA_DIR)
        except InstanceRunning as exc:
            raise CommandError(f"Nothing was restored: {exc}") from None
        try:
            result = restore(path)
        except BackupError as exc:
            raise CommandError(f"Nothing was restored: {exc}") from None
        finally:
            release_instance_lock(lock)
        self.stdout.write(f"Restored the {result['kind']} backup of {result['created_at']}; "
                          f"{result['accounts_removed_by_tombstones']} deleted account row(s) removed again.")
