from django.core.management.base import BaseCommand, CommandError

from lte.privacy.staff import verify_chain


class Command(BaseCommand):
    help = "lte audit verify: checks the staff access log's hash chain and names the first bad entry."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, action: str, **options):
        ok, bad_seq, checked = verify_chain()
        if not ok:
            raise CommandError(f"The staff access log was tampered with: entry {bad_seq} is the first that does "
                               f"not match the chain ({checked} entries before it are intact).")
        self.stdout.write(f"The staff access log is intact: {checked} entries verified.")
