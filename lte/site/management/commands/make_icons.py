"""`lte make_icons`: (re)draws the PNG app icons into static/icons/ (see lte.site.icons). Run after changing the
icon's shapes, then commit the files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lte.site.icons import write_icons


class Command(BaseCommand):
    help = "Draws the PNG app icons (192, 512, maskable 512, apple-touch 180) into static/icons/."

    def handle(self, *args, **options) -> None:
        for path in write_icons(Path(settings.BASE_DIR) / "static" / "icons"):
            self.stdout.write(f"{path.relative_to(settings.BASE_DIR)} ({path.stat().st_size} bytes)")
