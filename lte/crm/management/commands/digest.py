"""`lte digest`: sends every daily digest that is due now (the worker runs the same on its schedule)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from lte.crm.digest import digests_send_due


class Command(BaseCommand):
    help = "Send every daily digest that is due: asked for, its hour passed today where the seller is, not yet sent."

    def handle(self, *args, **options) -> None:
        sent = digests_send_due()
        self.stdout.write(f"{sent} daily digest{'s' if sent != 1 else ''} sent")
