"""Birthdays with or without a year.

A birthday whose year is unknown ("--07-19" in vCard and the API, Apple's X-APPLE-OMIT-YEAR) is stored as a
date in YEARLESS, the year Apple uses for the same purpose: a leap year, so 29 February fits, and one no real
birthday we keep can fall in (we keep 1900 onwards). Everything that shows or reminds goes through here.
"""

from __future__ import annotations

import re
from datetime import date

YEARLESS = 1604
_FULL = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")


def is_yearless(value: date | None) -> bool:
    return value is not None and value.year == YEARLESS


def yearless(month: int, day: int) -> date:
    return date(YEARLESS, month, day)


def birthday_text(value: date | None) -> str | None:
    """'1980-07-19', '--07-19' when the year is unknown, None for no birthday."""
    if value is None:
        return None
    if is_yearless(value):
        return f"--{value.month:02d}-{value.day:02d}"
    return value.isoformat()


def parse_birthday_text(text: str) -> date:
    """'YYYY-MM-DD' or '--MM-DD' (also '--MMDD'); ValueError for anything else or an impossible day."""
    text = (text or "").strip()
    if m := _NO_YEAR.match(text):
        return yearless(int(m.group(1)), int(m.group(2)))
    if m := _FULL.match(text):
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError("not YYYY-MM-DD or --MM-DD")
