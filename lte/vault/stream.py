"""The chunked AES-256-GCM stream format (a STREAM-like construction), shared by the encrypted backups
(lte.backups.stream) and the sealed uploads of the import (lte.crm.imports.upload):

    magic | header length (4 bytes, big-endian) | header (JSON) | chunks…
    chunk = length (4 bytes) | ciphertext+tag of at most `chunk` bytes of plaintext

Chunk i is sealed with nonce i and associated data binding the header's SHA-256 and whether it is the last
chunk, so a flipped bit, a swapped, dropped or repeated chunk, a truncated file or a wrong key are all
detected, and memory stays at one chunk whatever the size. Every chunk but the last holds exactly `chunk`
bytes, so chunk i can also be found without reading the ones before it (random access).

StreamWriter writes a stream, open_chunks reads one in order, RandomAccess opens any chunk on its own.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from lte.vault.crypto import TAG_BYTES, Cipher, DecryptionFailed

LEN = struct.Struct(">I")
TAG = TAG_BYTES


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
        self._cipher = Cipher(key)
        self._digest = hashlib.sha256(header).digest()
        self._index = 0

    def seal(self, plain: bytes, *, final: bool) -> bytes:
        sealed = self._cipher.seal_at(nonce(self._index), plain, aad(self._digest, self._index, final))
        self._index += 1
        return LEN.pack(len(sealed)) + sealed


class StreamWriter:
    """Writes one stream to `target` as data arrives: the preamble at once, then every `chunk` bytes a chunk,
    and the last one (possibly empty, never more than `chunk`) on close(). At most one chunk of plaintext is
    held in memory beyond what one write() hands in; `target` stays open."""

    def __init__(self, target: BinaryIO, key: bytes, magic: bytes, header: bytes, *, chunk: int) -> None:
        self._target = target
        self._sealer = Sealer(key, header)
        self._chunk = chunk
        self._pending = bytearray()
        self._closed = False
        target.write(preamble(magic, header))

    def write(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) > self._chunk:  # strictly more: the final chunk is sealed by close()
            self._target.write(self._sealer.seal(bytes(self._pending[:self._chunk]), final=False))
            del self._pending[:self._chunk]

    def close(self) -> None:
        if self._closed:
            return
        self._target.write(self._sealer.seal(bytes(self._pending), final=True))
        self._pending.clear()
        self._closed = True

    def discard(self) -> None:
        """Forgets the pending plaintext without sealing it (the caller removes what was written)."""
        self._pending.clear()
        self._closed = True


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


def open_chunk(cipher: Cipher, digest: bytes, index: int, sealed: bytes, final: bool | None) -> tuple[bytes, bool]:
    """One chunk's plaintext and whether it is the last; `final=None` when the reader can't know (it tries
    both). Raises DecryptionFailed when it doesn't authenticate."""
    for is_final in ((False, True) if final is None else (final,)):
        try:
            return cipher.open_at(nonce(index), sealed, aad(digest, index, is_final)), is_final
        except DecryptionFailed:
            continue
    raise DecryptionFailed("stream chunk does not authenticate")


def open_chunks(source: BinaryIO, key: bytes, header: bytes, *, chunk: int,
                fail: Callable[[str], Exception], strict_end: bool = False) -> Iterator[bytes]:
    """The plaintext chunks of a stream whose preamble was read; raises `fail(reason)` on any fault (before
    the end of the stream at the latest), so callers must commit only at the end. A key of the wrong size
    fails here, before the first chunk is asked for."""
    return _chunks(source, Cipher(key), hashlib.sha256(header).digest(), chunk=chunk, fail=fail,
                   strict_end=strict_end)


def _chunks(source: BinaryIO, cipher: Cipher, digest: bytes, *, chunk: int, fail: Callable[[str], Exception],
            strict_end: bool) -> Iterator[bytes]:
    index = 0
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
            plain, final = open_chunk(cipher, digest, index, sealed, None)
        except DecryptionFailed:
            raise fail("does not decrypt") from None
        yield plain
        if final:
            if strict_end and source.read(1):
                raise fail("data after the end")
            return
        index += 1


class RandomAccess:
    """Chunk i of a stream file opened on its own, without reading the ones before it (every chunk but the
    last holds exactly `chunk` bytes, so where each starts is known); the last one is checked as the last.
    `source` is positioned just after the preamble, whose header is `header`."""

    def __init__(self, source: BinaryIO, key: bytes, magic: bytes, header: bytes, *, chunk: int,
                 fail: Callable[[str], Exception]) -> None:
        self._source, self._chunk, self._fail = source, chunk, fail
        self._cipher = Cipher(key)
        self._digest = hashlib.sha256(header).digest()
        self._start = len(magic) + LEN.size + len(header)
        self._stride = LEN.size + chunk + TAG
        stored = os.fstat(source.fileno()).st_size - self._start
        self.count = max(1, -(-stored // self._stride))
        last = stored - (self.count - 1) * self._stride - LEN.size - TAG
        if stored <= 0 or last < 0:
            raise fail("truncated")
        self.size = (self.count - 1) * chunk + last  # of the plaintext

    def open(self, index: int) -> bytes:
        self._source.seek(self._start + index * self._stride)
        raw = self._source.read(LEN.size)
        (length,) = LEN.unpack(raw) if len(raw) == LEN.size else (0,)
        sealed = self._source.read(length) if 0 < length <= self._chunk + TAG else b""
        try:
            plain, _final = open_chunk(self._cipher, self._digest, index, sealed, final=index == self.count - 1)
        except (DecryptionFailed, ValueError):
            raise self._fail("does not decrypt") from None
        return plain
