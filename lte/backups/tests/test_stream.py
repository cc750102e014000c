"""The backup file format on its own: round trips of any size, and every kind of damage detected."""

import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lte.backups import stream
from lte.backups.stream import BackupError, decrypt_stream, encrypt_stream


def roundtrip(data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, {"kind": "data"})
    header, chunks = decrypt_stream(io.BytesIO(out.getvalue()))
    assert header["kind"] == "data"
    return b"".join(chunks)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(stream, "CHUNK", 64)  # many chunks from little data


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=600))
def test_any_bytes_round_trip(data):
    assert roundtrip(data) == data


@pytest.mark.parametrize("size", [0, 1, 64, 65, 640, 1000])
def test_chunk_boundaries_round_trip(small_chunks, size):
    data = os.urandom(size)
    assert roundtrip(data) == data


def sealed(data: bytes) -> bytes:
    out = io.BytesIO()
    encrypt_stream(io.BytesIO(data), out, {"kind": "data"})
    return out.getvalue()


def read_all(blob: bytes) -> bytes:
    _header, chunks = decrypt_stream(io.BytesIO(blob))
    return b"".join(chunks)


def test_truncation_at_a_chunk_boundary_is_detected(small_chunks):
    blob = sealed(os.urandom(640))
    header_end = blob.index(b"}") + 1
    one_chunk = 4 + 64 + 16
    for cut in range(header_end, len(blob), one_chunk):
        with pytest.raises(BackupError):
            read_all(blob[:cut])


def test_reordered_chunks_are_detected(small_chunks):
    blob = bytearray(sealed(os.urandom(256)))
    start = blob.index(b"}") + 1
    size = 4 + 64 + 16
    first, second = bytes(blob[start:start + size]), bytes(blob[start + size:start + 2 * size])
    blob[start:start + size], blob[start + size:start + 2 * size] = second, first
    with pytest.raises(BackupError):
        read_all(bytes(blob))


def test_an_edited_header_is_detected():
    blob = sealed(b"some rows")
    with pytest.raises(BackupError):
        read_all(blob.replace(b'"kind": "data"', b'"kind": "keys"'))


def test_appended_garbage_is_detected():
    with pytest.raises(BackupError):
        read_all(sealed(b"rows") + b"\x00\x00\x00\x01x")


def test_not_a_backup_at_all():
    with pytest.raises(BackupError):
        read_all(b"SQLite format 3\x00" + b"\x00" * 100)
