import uuid

from django.core.management.base import BaseCommand, CommandError

from lte.vault.keys import KeysDestroyed
from lte.vault.rotation import reencrypt_account


class Command(BaseCommand):
    help = ("Gives an account a new data key and re-encrypts its sensitive values under it. "
            "Safe to interrupt: running it again finishes the same rotation instead of starting another.")

    def add_arguments(self, parser):
        parser.add_argument("account", help="the account id (a UUID)")
        parser.add_argument("--limit", type=int, default=None, help="stop after this many rows")

    def handle(self, *args, account: str, limit=None, **options):
        try:
            owner_id = uuid.UUID(account)
        except ValueError:
            raise CommandError(f"{account!r} is not an account id (a UUID).") from None
        try:
            done = reencrypt_account(owner_id, limit=limit)
        except KeysDestroyed as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Re-encrypted {done} row(s) of account {owner_id}.")
