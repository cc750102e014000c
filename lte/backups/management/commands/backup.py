import json

from django.core.management.base import BaseCommand, CommandError

from lte.backups.engine import DATA, KEYS, BackupError, make_backup, newest, prune
from lte.backups.engine import verify as verify_backup


class Command(BaseCommand):
    help = ("Makes an encrypted backup of the data and of the key store now, then prunes old ones "
            "(data: 90 days, key store: 7 days). With --verify, restores the newest backups into scratch "
            "databases and checks them instead.")

    def add_arguments(self, parser):
        parser.add_argument("--verify", action="store_true", help="check the newest backups by restoring them")
        parser.add_argument("--only", choices=[DATA, KEYS], help="just the data or just the key store")

    def handle(self, *args, verify: bool = False, only: str | None = None, **options):
        kinds = [only] if only else [DATA, KEYS]
        try:
            if verify:
                for kind in kinds:
                    backup = newest(kind)
                    if backup is None:
                        raise CommandError(f"There is no complete {kind} backup to verify.")
                    self.stdout.write(json.dumps({"verified": verify_backup(backup)}))
                return
            for kind in kinds:
                backup = make_backup(kind)
                self.stdout.write(f"{kind}: {backup.path} ({backup.manifest['size']} bytes, "
                                  f"{sum(backup.manifest['rows'].values())} rows)")
            for name in prune():
                self.stdout.write(f"pruned {name}")
        except BackupError as exc:
            raise CommandError(str(exc)) from None
