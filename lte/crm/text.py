"""Normalisation for search and sorting: case- and accent-insensitive, the same in SQLite and PostgreSQL."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
# Folding can lengthen text (NFKD turns one ligature into up to 18 characters): cut to the columns' sizes.
SEARCH_MAX = 200
SORT_MAX = 201


def fold(text: str) -> str:
    """'  Zoë   O’Brien ' -> 'zoe o’brien': lower case, accents removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def search_key(first_name: str, last_name: str) -> str:
    """What name search matches against: ' first last ' folded, with spaces at both ends so that
    `LIKE '% term%'` finds a word start anywhere and `LIKE ' term%'` a prefix of the whole name."""
    return f" {fold(f'{first_name} {last_name}')[:SEARCH_MAX]} "


def sort_key(first_name: str, last_name: str) -> str:
    return fold(f"{first_name} {last_name}")[:SORT_MAX] or "~"
