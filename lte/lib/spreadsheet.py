"""A CSV cell that a spreadsheet won't run as a formula (SECURITY.md 27), and back.

Our export writes every cell through neutralise(); our import takes the apostrophe off again with
unneutralise() (every leading apostrophe in our export was added by us). Phone numbers in E.164 are written as
they are: a spreadsheet reads "+13125550100" as text or a number, never as a formula, and other tools keep a
leading apostrophe.
"""

from __future__ import annotations

import re
from datetime import date, datetime

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
_PHONES = re.compile(r"^\+\d{2,15}(?: \| \+\d{2,15})*$")  # one number, or several joined by " | "


def neutralise(value) -> str:
    """The cell's text; one that would start a formula starts with an apostrophe instead."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = value if isinstance(value, str) else str(value)
    return "'" + text if text.startswith(FORMULA_START) and not _PHONES.match(text) else text


def unneutralise(text: str) -> str:
    """The inverse, for re-importing our own export."""
    return text[1:] if text.startswith("'") else text
