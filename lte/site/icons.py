"""The app's PNG icons (manifest, apple-touch-icon), drawn from the same shapes as static/icon.svg without an
image library: a few shapes, 4×4 supersampled, written as 8-bit RGBA PNGs with zlib and struct.

`lte make_icons` writes them into static/icons/; the files are committed, so nothing runs at start-up.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

GREEN = (0x0B, 0x5F, 0x4F)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4  # per axis: 16 samples a pixel for smooth edges
# The "L" of icon.svg (viewBox 64): a vertical and a horizontal bar, in units of the 64-unit box.
BARS = ((18.0, 16.0, 26.0, 48.0), (18.0, 40.0, 46.0, 48.0))
CORNER = 14.0  # icon.svg's rx: the tile's rounded corners (only for the "any" icon; masks cut their own shape)


@dataclass(frozen=True)
class Icon:
    name: str
    size: int
    rounded: bool  # False: full bleed (maskable, Apple's own mask), every pixel opaque


ICONS = (
    Icon("icon-192.png", 192, rounded=True),
    Icon("icon-512.png", 512, rounded=True),
    Icon("icon-maskable-512.png", 512, rounded=False),
    Icon("apple-touch-icon.png", 180, rounded=False),
)


def _in_tile(x: float, y: float, rounded: bool) -> bool:
    if not rounded:
        return True
    cx = min(max(x, CORNER), 64 - CORNER)
    cy = min(max(y, CORNER), 64 - CORNER)
    return (x - cx) ** 2 + (y - cy) ** 2 <= CORNER**2


def _in_letter(x: float, y: float) -> bool:
    return any(left <= x < right and top <= y < bottom for left, top, right, bottom in BARS)


def pixels(icon: Icon) -> list[bytes]:
    """The icon's rows of RGBA bytes."""
    scale = 64 / icon.size
    offsets = [(i + 0.5) / SAMPLES for i in range(SAMPLES)]
    total = SAMPLES * SAMPLES
    rows = []
    for py in range(icon.size):
        row = bytearray()
        for px in range(icon.size):
            tile = letter = 0
            for oy in offsets:
                y = (py + oy) * scale
                for ox in offsets:
                    x = (px + ox) * scale
                    if _in_tile(x, y, icon.rounded):
                        tile += 1
                        letter += _in_letter(x, y)
            if tile == 0:
                row += b"\0\0\0\0"
                continue
            mix = letter / tile  # white over green, within the covered part of the pixel
            row += bytes(round(g + (w - g) * mix) for g, w in zip(GREEN, WHITE, strict=True))
            row.append(round(255 * tile / total))
        rows.append(bytes(row))
    return rows


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """An 8-bit RGBA PNG (colour type 6), each row with filter type 0."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    raw = b"".join(b"\0" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def write_icons(target: Path) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for icon in ICONS:
        path = target / icon.name
        path.write_bytes(png(icon.size, icon.size, pixels(icon)))
        written.append(path)
    return written
