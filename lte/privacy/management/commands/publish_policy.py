"""lte publish_policy KIND [--file PATH] [--published DATE] [--effective DATE] [--meaningful --summary TEXT]

Records a version of the privacy policy, the terms or the cookie notice from its text file
(`lte/privacy/policies/<kind>-<published date>.txt` unless --file says otherwise). A meaningful change emails
every active account a summary and must take effect at least POLICY_NOTICE_DAYS (30) days later unless
--force; a small fix (the default) notifies no one.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lte.privacy.documents import notice_recipients, policy_publish
from lte.privacy.models import PolicyVersion


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date: use YYYY-MM-DD.") from exc


class Command(BaseCommand):
    help = "Publish a version of the privacy policy, terms of service or cookie notice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=PolicyVersion.Kind.values)
        parser.add_argument("--file", help="the text (default: lte/privacy/policies/<kind>-<published>.txt)")
        parser.add_argument("--published", help="publication date, YYYY-MM-DD (default: the file's date, or today)")
        parser.add_argument("--effective", help="date it takes effect, YYYY-MM-DD")
        parser.add_argument("--meaningful", action="store_true",
                            help="it changes people's rights: email everyone and show the banner")
        parser.add_argument("--summary", default="", help="a short plain summary of what changes (meaningful only)")
        parser.add_argument("--force", action="store_true",
                            help="allow a meaningful change to take effect sooner than the notice period")

    def handle(self, *args, **options) -> None:
        try:
            version = policy_publish(
                options["kind"],
                path=options["file"],
                published_on=_date(options["published"]) if options["published"] else None,
                effective_on=_date(options["effective"]) if options["effective"] else None,
                meaningful=options["meaningful"],
                summary=options["summary"],
                force=options["force"],
            )
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" if field else " ".join(m) for field, m in messages.items())
            ) from exc
        label = PolicyVersion.Kind(version.kind).label
        self.stdout.write(f"Published the {label.lower()} of {version.published_on}, "
                          f"in effect from {version.effective_on}.")
        if version.meaningful:
            self.stdout.write(f"Meaningful change: emailing {notice_recipients().count()} accounts and showing "
                              "the banner until each acknowledges it.")
        else:
            self.stdout.write("Small fix: nobody is notified.")
