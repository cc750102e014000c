"""The chunked AES-256-GCM stream format (a STREAM-like construction), shared by the encrypted backups
(lte.backups.stream) and the sealed uploads of the import (lte.crm.imports.upload):

    magic | header length (4 bytes, big-endian) | header (JSON) | chunks…
    chunk = length (4 bytes) | ciphertext+tag of at most `chunk` bytes of plaintext

Chunk i is sealed with nonce i and associated data binding the header's SHA-256 and whether it is the last
chunk, so a flipped bit, a swapped, dropped or repeated chunk, a truncated file or a wrong key are all
detected, and memory stays at one chunk whatever the size. Every chunk but the last holds exactly `chunk`
bytes, so chunk i can also be found without reading the ones before it (random access).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

LEN = struct.Struct(">I")
TAG = 16


def nonce(index: int) -> bytes:
    return b"\0\0\0\0" + index.to_bytes(8, "big")


def aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\1" if final else b"\0")


def header_bytes(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True).encode()


def preamble(magic: bytes, header: bytes) -> bytes:
    """What a stream starts with."""
    return magic + LEN.pack(len(header)) + header


class Sealer:
    """Seals the chunks of one stream, in order."""

    def __init__(self, key: bytes, header: bytes) -> None:
        self._aead = AESGCM(key)
        self._digest = hashlib.sha256(header).digest()
        self._index = 0

    def seal(self, plain: bytes, *, final: bool) -> bytes:
        sealed = self._aead.encrypt(nonce(self._index), plain, aad(self._digest, self._index, final))
        self._index += 1
        return LEN.pack(len(sealed)) + sealed


def read_preamble(source: BinaryIO, magic: bytes, *, max_header: int,
                  fail: Callable[[str], Exception]) -> bytes:
    """The header's bytes, after checking the magic; `fail(reason)` makes the caller's exception."""
    if source.read(len(magic)) != magic:
        raise fail("magic")
    raw = source.read(LEN.size)
    if len(raw) != LEN.size:
        raise fail("truncated header")
    (length,) = LEN.unpack(raw)
    if not 0 < length <= max_header:
        raise fail("header size")
    header = source.read(length)
    if len(header) != length:
        raise fail("truncated header")
    return header


def open_chunk(aead: AESGCM, digest: bytes, index: int, sealed: bytes, final: bool | None) -> tuple[bytes, bool]:
    """One chunk's plaintext and whether it is the last; `final=None` when the reader can't know (it tries
    both). Raises InvalidTag when it doesn't authenticate."""
    for is_final in ((False, True) if final is None else (final,)):
        try:
            return aead.decrypt(nonce(index), sealed, aad(digest, index, is_final)), is_final
        except InvalidTag:
            continue
    raise InvalidTag


def open_chunks(source: BinaryIO, key: bytes, header: bytes, *, chunk: int,
                fail: Callable[[str], Exception], strict_end: bool = False) -> Iterator[bytes]:
    """The plaintext chunks of a stream whose preamble was read; raises `fail(reason)` on any fault (before
    the end of the stream at the latest), so callers must commit only at the end."""
    aead, digest, index = AESGCM(key), hashlib.sha256(header).digest(), 0
    while True:
        raw = source.read(LEN.size)
        if len(raw) != LEN.size:
            raise fail("truncated")
        (length,) = LEN.unpack(raw)
        if not 0 < length <= chunk + TAG:
            raise fail("chunk size")
        sealed = source.read(length)
        if len(sealed) != length:
            raise fail("truncated")
        try:
            plain, final = open_chunk(aead, digest, index, sealed, None)
        except InvalidTag:
            raise fail("does not decrypt") from None
        yield plain
        if final:
            if strict_end and source.read(1):
                raise fail("data after the end")
            return
        index += 1
