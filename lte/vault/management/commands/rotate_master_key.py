from django.core.management.base import BaseCommand

from lte.vault.keys import rewrap_all


class Command(BaseCommand):
    help = ("Re-wraps every account key under the first key of LTE_MASTER_KEY. Put the new key first and "
            "keep the old one after it until this has finished; safe to interrupt and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None, help="stop after this many keys (a gradual run)")

    def handle(self, *args, limit=None, **options):
        done = rewrap_all(limit=limit)
        self.stdout.write(f"Re-wrapped {done} key(s).")
