"""Versioned legal documents, kept as text files named `<kind>-<YYYY-MM-DD>.txt` (the published date).

The newest file of a kind is the current version; its date is the "Last updated" date shown on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent / "policies"
NAME = re.compile(r"^(?P<kind>[a-z]+)-(?P<date>\d{4}-\d{2}-\d{2})\.txt$")


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...]
    items: tuple[str, ...]


@dataclass(frozen=True)
class PolicyVersion:
    kind: str
    published: date
    intro: tuple[str, ...]
    sections: tuple[Section, ...]


@cache
def current(kind: str) -> PolicyVersion:
    versions = sorted(
        (date.fromisoformat(m["date"]), path)
        for path in POLICY_DIR.iterdir()
        if (m := NAME.match(path.name)) and m["kind"] == kind
    )
    if not versions:
        raise LookupError(f"No {kind} policy in {POLICY_DIR}")
    published, path = versions[-1]
    return parse(kind, published, path.read_text(encoding="utf-8"))


def parse(kind: str, published: date, text: str) -> PolicyVersion:
    """Plain text to sections: a short line without a full stop is a heading, '- ' lines are list items."""
    intro: list[str] = []
    sections: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    items: list[str] = []

    def close() -> None:
        if heading is not None:
            sections.append(Section(heading, tuple(paragraphs), tuple(items)))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("- "):
            items.append(line[2:])
        elif len(line) < 60 and not line.endswith((".", ":", "!", "?")):
            close()
            heading, paragraphs, items = line, [], []
        elif heading is None:
            intro.append(line)
        else:
            paragraphs.append(line)
    close()
    return PolicyVersion(kind, published, tuple(intro), tuple(sections))
