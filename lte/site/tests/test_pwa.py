"""The installable app's files (CONTRACT.md, "Web pages"): the manifest, its PNG icons and the service worker.
What they do in a browser (offline, the outbox) is proven in test_e2e_offline.py."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings

from lte.site.icons import ICONS, png

pytestmark = pytest.mark.django_db
STATIC = Path(settings.BASE_DIR) / "static"


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) of a well-formed PNG, after checking its chunks' CRCs and that it inflates."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    offset, idat, header = 8, b"", None
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in {kind!r}"
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    assert header is not None
    width, height, depth, colour = header[:4]
    assert len(zlib.decompress(idat)) == height * (1 + width * 4 * depth // 8)
    return width, height, colour


def test_it_serves_the_manifest_at_the_root_as_a_web_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/manifest+json")
    manifest = response.json()
    assert manifest["start_url"] == "/app/"
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["name"] and manifest["short_name"]
    assert manifest["theme_color"] and manifest["background_color"]
    sizes = {(icon["sizes"], icon["type"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "image/png", "any"), ("512x512", "image/png", "any"),
            ("512x512", "image/png", "maskable"), ("any", "image/svg+xml", "any")} <= sizes


def test_the_manifests_icons_are_real_pngs_of_the_sizes_it_says(client):
    for icon in client.get("/manifest.webmanifest").json()["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        data = b"".join(response.streaming_content) if response.streaming else response.content
        if icon["type"] == "image/png":
            width, height, _colour = png_size(data)
            assert f"{width}x{height}" == icon["sizes"]


def test_the_committed_icons_are_the_ones_the_generator_names():
    for icon in ICONS:
        width, height, colour = png_size((STATIC / "icons" / icon.name).read_bytes())
        assert (width, height, colour) == (icon.size, icon.size, 6)


def test_png_writes_what_a_decoder_reads():
    rows = [bytes([255, 0, 0, 255, 0, 255, 0, 128]), bytes([0, 0, 255, 255, 0, 0, 0, 0])]
    assert png_size(png(2, 2, rows)) == (2, 2, 6)


def test_it_serves_the_service_worker_at_the_root_as_javascript_never_cached(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    code = response.content.decode()
    assert code.startswith("const LTE = {")
    assert '"/static/css/lte.css"' in code and '"/offline"' in code
    assert "importScripts(LTE.outbox)" in code


def test_the_pages_link_the_manifest_icons_and_theme_colour(client):
    html = client.get("/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in html
    assert '<meta name="theme-color"' in html
    assert 'name="lte-account"' not in html


def test_a_signed_in_page_names_its_account_by_an_opaque_marker(alice, alice_client):
    html = alice_client.get("/app/").content.decode()
    assert 'name="lte-account"' in html
    assert str(alice.pk) not in html.split('name="lte-account"', 1)[1].split(">", 1)[0]
    assert 'id="outbox"' in html


def test_the_offline_page_answers_without_a_cookie(client):
    response = client.get("/offline")
    assert response.status_code == 200
    assert not response.cookies
