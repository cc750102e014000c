"""`make screens` (lte/testing/screens.py): the capture code run for two screens into a temporary dir gives real PNGs
of the phone's width, and docs/screens/ holds a picture of every listed screen and no other, with the README
written from the same list, so the list and the docs can't drift apart."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from lte.testing.screens import BY_NAME, OUT, PHONE, capture, readme
from lte.testing.server import LteServer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_facts(path: Path) -> tuple[int, int, int]:
    """Width, height and how many different byte values the image data holds (a blank picture has very few)."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        (length,), kind = struct.unpack(">I", data[offset:offset + 4]), data[offset + 4:offset + 8]
        if kind == b"IDAT":
            chunks.append(data[offset + 8:offset + 8 + length])
        offset += 12 + length
    return width, height, len(set(zlib.decompress(b"".join(chunks))))


@pytest.mark.e2e
@pytest.mark.xdist_group("e2e")
def test_the_capture_writes_phone_wide_pictures_of_the_screens_asked_for(lte_server: LteServer, browser: Browser,
                                                                        tmp_path: Path) -> None:
    with lte_server.log_on_failure():
        saved = capture(lte_server, browser, tmp_path, only=["login", "contact"])
    assert sorted(path.name for path in saved) == ["contact.png", "login.png"]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["contact.png", "login.png"]
    login_width, login_height, login_bytes = png_facts(tmp_path / "login.png")
    assert (login_width, login_height) == (PHONE["width"], PHONE["height"])  # what the phone shows at first
    contact_width, contact_height, contact_bytes = png_facts(tmp_path / "contact.png")
    assert contact_width == PHONE["width"]
    assert contact_height > PHONE["height"]  # the contact page is taken whole
    assert login_bytes > 16 and contact_bytes > 16, "a blank picture"


def test_docs_screens_has_a_picture_of_every_listed_screen_and_the_readme_of_the_list() -> None:
    pictures = {path.stem for path in OUT.glob("*.png")}
    assert not set(BY_NAME) - pictures, f"Run `make screens`: no picture of {sorted(set(BY_NAME) - pictures)}"
    assert not pictures - set(BY_NAME), f"Pictures of screens no longer listed: {sorted(pictures - set(BY_NAME))}"
    for name in BY_NAME:
        width, _height, _bytes = png_facts(OUT / f"{name}.png")
        assert width == PHONE["width"], f"{name}.png is {width} px wide"
    assert (OUT / "README.md").read_text() == readme(), "docs/screens/README.md is not the list's: run `make screens`"
