"""The versioned legal documents: the privacy policy, the terms of service and the cookie notice.

Each text is kept as a file named `<kind>-<YYYY-MM-DD>.txt` (its published date) in `policies/`, and
`publish_policy` records it as a `PolicyVersion` row (published and effective dates, meaningful or not).
The version shown is the newest whose effective date has come. A database with no version of a kind
yet (a fresh install) shows the newest file of that kind dated today or earlier, so the pages work with
no setup; the first `publish_policy` of that kind records that file as the baseline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

POLICY_DIR = Path(__file__).resolve().parent / "policies"
NAME = re.compile(r"^(?P<kind>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})\.txt$")
KINDS = ("privacy", "terms", "cookies")


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...]
    # The same text in reading order: ("p", paragraph) and ("ul", (item, ...)) blocks.
    blocks: tuple[tuple[str, str | tuple[str, ...]], ...] = ()

    @property
    def anchor(self) -> str:
        return slugify(self.heading)


@dataclass(frozen=True)
class Document:
    """One version of a document, parsed for display."""

    kind: str
    published: date
    intro: tuple[str, ...]
    sections: tuple[Section, ...]
    effective: date | None = None
    meaningful: bool = False
    summary: str = ""
    pk: int | None = None  # the PolicyVersion row; None for a file not yet recorded

    @property
    def effective_on(self) -> date:
        return self.effective or self.published

    @property
    def title(self) -> str:
        from lte.privacy.models import PolicyVersion

        return str(PolicyVersion.Kind(self.kind).label)


PolicyVersion = Document  # the name this module used before versions lived in the database


PAGES = {"privacy": "site:privacy", "terms": "public:terms", "cookies": "public:cookies"}


def page_url(kind: str) -> str:
    """The page showing the version in effect."""
    return reverse(PAGES[kind])


def version_url(kind: str, published: date) -> str:
    """The page of one version (earlier, current or upcoming): `/privacy?version=2026-11-26`."""
    return f"{page_url(kind)}?version={published.isoformat()}"


def today() -> date:
    return timezone.now().date()  # UTC, like every date LTE stores


# --- The files ----------------------------------------------------------------------------------------


def files(kind: str) -> list[tuple[date, Path]]:
    """Every file of a kind, oldest first."""
    return sorted(
        (date.fromisoformat(m["date"]), path)
        for path in POLICY_DIR.iterdir()
        if (m := NAME.match(path.name)) and m["kind"] == kind
    )


def file_path(kind: str, published: date) -> Path:
    return POLICY_DIR / f"{kind}-{published.isoformat()}.txt"


def _from_file(kind: str, published: date, path: Path) -> Document:
    return parse(kind, published, path.read_text(encoding="utf-8"))


# --- The versions -------------------------------------------------------------------------------------


def _rows(kind: str):
    from lte.privacy.models import PolicyVersion as Row

    return Row.objects.filter(kind=kind)


def _from_row(row) -> Document:
    doc = parse(row.kind, row.published_on, row.body)
    return Document(row.kind, row.published_on, doc.intro, doc.sections, effective=row.effective_on,
                    meaningful=row.meaningful, summary=row.summary, pk=row.pk)


def current(kind: str, on: date | None = None) -> Document:
    """The version in effect on `on` (today by default): the newest whose effective date has come."""
    on = on or today()
    row = (_rows(kind).filter(effective_on__lte=on, published_on__lte=on)
           .order_by("-effective_on", "-published_on").first())
    if row is not None:
        return _from_row(row)
    # No recorded version is in effect: the newest file older than every recorded version (so a file
    # published as an upcoming version never shows early).
    first = _rows(kind).order_by("published_on").values_list("published_on", flat=True).first()
    dated = [(published, path) for published, path in files(kind)
             if published <= on and (first is None or published < first)]
    dated = dated or files(kind)[:1]  # a clock set before the first file: show it rather than nothing
    if not dated:
        raise LookupError(f"No {kind} document in {POLICY_DIR}")
    published, path = dated[-1]
    return _from_file(kind, published, path)


def upcoming(kind: str, on: date | None = None) -> Document | None:
    """The next published meaningful version that is not in effect yet, if there is one."""
    on = on or today()
    row = (_rows(kind).filter(meaningful=True, published_on__lte=on, effective_on__gt=on)
           .order_by("effective_on", "-published_on").first())
    return _from_row(row) if row is not None else None


def version(kind: str, published: date, on: date | None = None) -> Document | None:
    """A published version by its date (past, current or upcoming), or None."""
    on = on or today()
    if published > on:
        return None
    row = _rows(kind).filter(published_on=published).first()
    if row is not None:
        return _from_row(row)
    if not _rows(kind).exists():
        path = file_path(kind, published)
        if path.is_file():
            return _from_file(kind, published, path)
    return None


def history(kind: str, on: date | None = None) -> list[dict]:
    """Every published version, newest first: {published, effective, meaningful, summary}."""
    on = on or today()
    rows = list(_rows(kind).filter(published_on__lte=on).order_by("-published_on")
                .values("published_on", "effective_on", "meaningful", "summary"))
    if rows:
        return [{"published": r["published_on"], "effective": r["effective_on"], "meaningful": r["meaningful"],
                 "summary": r["summary"]} for r in rows]
    return [{"published": d, "effective": d, "meaningful": False, "summary": ""}
            for d, _path in reversed(files(kind)) if d <= on]


# --- Text to sections -----------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def parse(kind: str, published: date, text: str) -> Document:
    """Plain text to sections: a short line without a full stop is a heading, '- ' lines are list items."""
    intro: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    blocks: list[tuple[str, str | tuple[str, ...]]] = []
    run: list[str] = []  # list items not yet closed into a block

    def flush() -> None:
        if run:
            blocks.append(("ul", tuple(run)))
            run.clear()

    def close() -> None:
        flush()
        if heading is not None:
            paragraphs = tuple(str(b) for kind_, b in blocks if kind_ == "p")
            items = tuple(item for kind_, b in blocks if kind_ == "ul" for item in b)
            sections.append(Section(heading, paragraphs, items, tuple(blocks)))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- "):
            run.append(line[2:])
        elif len(line) < 60 and not line.endswith((".", ":", "!", "?")):
            close()
            heading, blocks = line, []
        elif heading is None:
            intro.append(line)
        else:
            flush()
            blocks.append(("p", line))
    close()
    return Document(kind, published, tuple(intro), tuple(sections))
