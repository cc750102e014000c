"""LTE's translation catalogs: extracting every message from our templates and code, keeping locale/*.po up to
date with it, and compiling the .po files into the .mo files Django reads.

No GNU gettext needed (a fresh clone has none): templates go through Django's own `templatize` (what
`makemessages` does before calling xgettext) and Babel's Python extractor reads the result and our code, with
Django's gettext keywords. Babel compiles the catalogs. The completeness test uses the same `extract()`.

    python -m lte.lib.catalogs update   # `make messages`: new strings in, gone ones out, translations kept
    python -m lte.lib.catalogs compile  # .po → .mo where the .mo is missing or older (`lte`, tests, make)
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent.parent
LOCALE_DIR = ROOT / "locale"
# The four languages besides English, by their directory under locale/ (Django's locale name for 'pt-BR').
LOCALES = ("es", "pt_BR", "fr", "de")
DOMAIN = "django"

# Django's gettext functions (and the `_` alias), as Babel's extractor wants them: the argument positions of the
# singular, the plural and the context ('c').
KEYWORDS: dict[str, tuple | None] = {
    "_": None, "gettext": None, "gettext_lazy": None, "gettext_noop": None,
    "ngettext": (1, 2), "ngettext_lazy": (1, 2),
    "pgettext": ((1, "c"), 2), "pgettext_lazy": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3), "npgettext_lazy": ((1, "c"), 2, 3),
}
TEMPLATE_SUFFIXES = (".html", ".txt")
# Code whose strings nobody sees: tests, the test scaffolding, migrations, benchmarks.
SKIPPED_PARTS = {"tests", "testing", "migrations", "__pycache__"}


@dataclass
class Message:
    msgid: str
    plural: str | None = None
    context: str | None = None
    locations: list[tuple[str, int]] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.context, self.msgid


def source_files() -> Iterator[Path]:
    """Every file whose strings users see: templates/**, lte/**/*.py (without tests and migrations)."""
    for path in sorted((ROOT / "templates").rglob("*")):
        if path.suffix in TEMPLATE_SUFFIXES and path.is_file():
            yield path
    for path in sorted((ROOT / "lte").rglob("*.py")):
        if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts):
            yield path


def _python_source(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix in TEMPLATE_SUFFIXES:
        from django.utils.translation.template import templatize  # noqa: PLC0415 - needs settings only here

        # templatize keeps each line where it was (the template's text as XXXX) for xgettext, which doesn't
        # mind indentation; Python's tokenizer does, and every call it writes fits on one line.
        return "\n".join(line.lstrip() for line in templatize(text, origin=str(path)).splitlines())
    return text


def extract_file(path: Path) -> Iterator[Message]:
    source = _python_source(path).encode("utf-8")
    where = str(path.relative_to(ROOT))
    for lineno, message, _comments, context in extract("python", io.BytesIO(source), keywords=KEYWORDS,
                                                        options={"encoding": "utf-8"}):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if singular:
            yield Message(singular, plural, context, [(where, lineno)])


def extract_messages() -> dict[tuple[str | None, str], Message]:
    """Every message in LTE's sources, once, with each place it is used."""
    found: dict[tuple[str | None, str], Message] = {}
    for path in source_files():
        for message in extract_file(path):
            if message.key in found:
                found[message.key].locations += message.locations
                found[message.key].plural = found[message.key].plural or message.plural
            else:
                found[message.key] = message
    return found


def template_catalog() -> Catalog:
    pot = Catalog(project="LeadTrackEngine", fuzzy=False)
    for message in extract_messages().values():
        msgid = (message.msgid, message.plural) if message.plural else message.msgid
        flags = ("python-format",) if "%" in message.msgid else ()
        pot.add(msgid, locations=message.locations, context=message.context, flags=flags)
    return pot


def po_path(locale: str, domain: str = DOMAIN) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{domain}.po"


def read_catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def _describe(catalog: Catalog, locale: str) -> None:
    """The header: fixed values, so that `make messages` changes a .po only when its messages change."""
    catalog.header_comment = (f"# LeadTrackEngine's {locale} translations. Updated by `make messages`"
                              " (lte/lib/catalogs.py); see docs/CONTRIBUTING.md.")
    catalog.project, catalog.version = "LeadTrackEngine", "1"
    catalog.msgid_bugs_address = catalog.last_translator = "LeadTrackEngine <hello@leadtrackengine.com>"
    catalog.language_team = f"{locale} <hello@leadtrackengine.com>"
    catalog.creation_date = catalog.revision_date = datetime(2026, 12, 3, tzinfo=UTC)


def update_catalogs() -> None:
    """Brings every locale/<lang>/LC_MESSAGES/django.po in line with the sources: new messages arrive with an
    empty translation (the completeness test fails until someone writes it), translations of messages still
    used are kept, messages no longer used leave."""
    pot = template_catalog()
    for locale in LOCALES:
        path = po_path(locale)
        if path.exists():
            catalog = read_catalog(locale)
        else:
            catalog = Catalog(locale=locale, project="LeadTrackEngine", fuzzy=False)
        catalog.update(pot, no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        _describe(catalog, locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=116, ignore_obsolete=True, include_previous=False, include_lineno=False)


def compile_catalogs(*, force: bool = False) -> list[Path]:
    """Writes each .mo next to its .po when it is missing or older; returns the files written. The write is
    atomic (a temporary file renamed), so processes starting at once never read half a catalog."""
    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=po.parent.parent.name)
        fd, tmp = tempfile.mkstemp(dir=po.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        os.replace(tmp, mo)
        written.append(mo)
    return written


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "update":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lte.settings")
        import django  # noqa: PLC0415 - templatize reads the settings

        django.setup()
        update_catalogs()
        compile_catalogs(force=True)
        return 0
    if command == "compile":
        compile_catalogs()
        return 0
    print("usage: python -m lte.lib.catalogs update|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
