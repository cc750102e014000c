"""The backup file format: a small header, then AES-256-GCM chunks (a STREAM-like construction).

    b"LTEB1\\n" | header length (4 bytes) | header (JSON) | chunks…
    chunk = length (4 bytes) | ciphertext+tag of at most CHUNK bytes

Each file has its own key, HKDF(master key, random salt, "lte:v1:backup:<kind>"); chunk i is sealed with
nonce i and associated data binding the header and whether it is the last chunk. So a flipped bit, a
swapped or dropped chunk, a truncated file or the wrong master key are all detected, and memory stays at
one chunk whatever the size. The master key itself is never in a backup.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from collections.abc import Iterator
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lte.vault.crypto import DecryptionFailed, derive, master_keys

MAGIC = b"LTEB1\n"
CHUNK = 1024 * 1024
_LEN = struct.Struct(">I")


class BackupError(Exception):
    """A backup that is corrupt, truncated, tampered with, or sealed under a master key we don't hold."""


def _nonce(index: int) -> bytes:
    return b"\0\0\0\0" + index.to_bytes(8, "big")


def _aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\1" if final else b"\0")


def encrypt_stream(source: BinaryIO, target: BinaryIO, header: dict[str, Any]) -> None:
    ring = master_keys()
    salt = os.urandom(16)
    header = {**header, "kek_id": ring.current_id, "salt": salt.hex(), "chunk": CHUNK}
    header_bytes = json.dumps(header, sort_keys=True).encode()
    key = AESGCM(derive(ring.current, f"lte:v1:backup:{header['kind']}", salt=salt))
    digest = hashlib.sha256(header_bytes).digest()
    target.write(MAGIC + _LEN.pack(len(header_bytes)) + header_bytes)
    index = 0
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if current else b""
        final = not following
        sealed = key.encrypt(_nonce(index), current, _aad(digest, index, final))
        target.write(_LEN.pack(len(sealed)) + sealed)
        if final:
            return
        current, index = following, index + 1


def read_header(source: BinaryIO) -> tuple[dict[str, Any], bytes]:
    if source.read(len(MAGIC)) != MAGIC:
        raise BackupError("not an LTE backup file (wrong magic bytes)")
    raw_len = source.read(_LEN.size)
    if len(raw_len) != _LEN.size:
        raise BackupError("truncated backup header")
    (length,) = _LEN.unpack(raw_len)
    if length > 65536:
        raise BackupError("backup header too large")
    header_bytes = source.read(length)
    try:
        return json.loads(header_bytes), header_bytes
    except ValueError:
        raise BackupError("backup header is not JSON") from None


def decrypt_stream(source: BinaryIO) -> tuple[dict[str, Any], Iterator[bytes]]:
    """The header and an iterator of plaintext chunks; raises BackupError on any fault, before the end
    of the stream at the latest (callers must write to a scratch place and commit only at the end)."""
    header, header_bytes = read_header(source)
    try:
        kek = master_keys().by_id(header["kek_id"])
        salt = bytes.fromhex(header["salt"])
        kind = header["kind"]
    except (KeyError, ValueError, DecryptionFailed) as exc:
        raise BackupError(f"cannot open this backup: {exc}") from None
    key = AESGCM(derive(kek, f"lte:v1:backup:{kind}", salt=salt))
    digest = hashlib.sha256(header_bytes).digest()

    def chunks() -> Iterator[bytes]:
        index = 0
        while True:
            raw_len = source.read(_LEN.size)
            if len(raw_len) != _LEN.size:
                raise BackupError("backup is truncated (the last chunk is missing)")
            (length,) = _LEN.unpack(raw_len)
            if length > CHUNK + 16:
                raise BackupError("backup chunk too large: corrupt file")
            sealed = source.read(length)
            if len(sealed) != length:
                raise BackupError("backup is truncated")
            for final in (False, True):
                try:
                    plain = key.decrypt(_nonce(index), sealed, _aad(digest, index, final))
                except InvalidTag:
                    continue
                yield plain
                if final:
                    if source.read(1):
                        raise BackupError("data after the last chunk: corrupt file")
                    return
                break
            else:
                raise BackupError("backup does not authenticate: corrupt, tampered, or another master key")
            index += 1

    return header, chunks()
