"""The backup file format: a small header, then AES-256-GCM chunks (a STREAM-like construction).

    b"LTEB1\\n" | header length (4 bytes) | header (JSON) | chunks…
    chunk = length (4 bytes) | ciphertext+tag of at most CHUNK bytes

Each file has its own key, HKDF(master key, random salt, "lte:v1:backup:<kind>"); chunk i is sealed with
nonce i and associated data binding the header and whether it is the last chunk. So a flipped bit, a
swapped or dropped chunk, a truncated file or the wrong master key are all detected, and memory stays at
one chunk whatever the size. The master key itself is never in a backup. The chunk format itself is
lte.vault.stream's, shared with the import's sealed uploads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, BinaryIO

from lte.vault import stream as chunked
from lte.vault.crypto import DecryptionFailed, derive, master_keys

MAGIC = b"LTEB1\n"
CHUNK = 1024 * 1024
MAX_HEADER = 65536
_REASONS = {
    "magic": "not an LTE backup file (wrong magic bytes)", "truncated header": "truncated backup header",
    "header size": "backup header too large", "truncated": "backup is truncated (a chunk is missing or cut short)",
    "chunk size": "backup chunk too large: corrupt file",
    "does not decrypt": "backup does not authenticate: corrupt, tampered, or another master key",
    "data after the end": "data after the last chunk: corrupt file",
}


class BackupError(Exception):
    """A backup that is corrupt, truncated, tampered with, or sealed under a master key we don't hold."""


def _fail(reason: str) -> BackupError:
    return BackupError(_REASONS.get(reason, reason))


def encrypt_stream(source: BinaryIO, target: BinaryIO, header: dict[str, Any]) -> None:
    ring = master_keys()
    salt = os.urandom(16)
    header = {**header, "kek_id": ring.current_id, "salt": salt.hex(), "chunk": CHUNK}
    key = derive(ring.current, f"lte:v1:backup:{header['kind']}", salt=salt)
    writer = chunked.StreamWriter(target, key, MAGIC, chunked.header_bytes(header), chunk=CHUNK)
    while data := source.read(CHUNK):
        writer.write(data)
    writer.close()


def read_header(source: BinaryIO) -> tuple[dict[str, Any], bytes]:
    header_bytes = chunked.read_preamble(source, MAGIC, max_header=MAX_HEADER, fail=_fail)
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
    key = derive(kek, f"lte:v1:backup:{kind}", salt=salt)
    return header, chunked.open_chunks(source, key, header_bytes, chunk=CHUNK, fail=_fail, strict_end=True)
