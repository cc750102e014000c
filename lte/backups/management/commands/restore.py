from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from lte.backups.engine import BackupError, restore


class Command(BaseCommand):
    help = ("Restores an encrypted backup (data or key store, told by its header) into a fresh database "
            "that then replaces the live one. Stop LTE first. Deleted accounts stay deleted.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)

    def handle(self, *args, path: Path, **options):
        try:
            result = restore(path)
        except BackupError as exc:
            raise CommandError(f"Nothing was restored: {exc}") from None
        self.stdout.write(f"Restored the {result['kind']} backup of {result['created_at']}; "
                          f"{result['accounts_removed_by_tombstones']} deleted account row(s) removed again.")
