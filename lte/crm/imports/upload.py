"""The upload, sealed as it arrives: it never touches the disk in plaintext (AES-256-GCM chunks under a
random per-file key that lives only in ImportJob.file_key, itself sealed under the owner's key)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from lte.crm.imports import limits
from lte.crm.imports.limits import FILE_FIELD, ImportFileError, ImportTooLarge
from lte.vault import stream as chunked
from lte.vault.crypto import new_key

# The encrypted file:
# lte.vault.stream's chunk format (the backups' too), under a random key per file: b"LTEI1\n" | header | chunks.

MAGIC = b"LTEI1\n"
CHUNK = 256 * 1024
SUFFIX = ".lteimport"
PART_SUFFIX = ".part"
_HEADER = chunked.header_bytes({"v": 1, "chunk": CHUNK})
_REASONS = {"magic": "The stored upload is damaged (not an import file).",
            "truncated header": "The stored upload is damaged (no header).",
            "header size": "The stored upload is damaged (no header).",
            "truncated": "The stored upload is damaged (truncated).",
            "chunk size": "The stored upload is damaged (truncated).",
            "does not decrypt": "The stored upload is damaged (it does not decrypt)."}


def _fail(reason: str) -> ImportFileError:
    return ImportFileError(_REASONS.get(reason, "The stored upload is damaged."))


def imports_dir() -> Path:
    path = Path(settings.DATA_DIR) / "imports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def job_file(job_id) -> Path:
    return imports_dir() / f"{job_id}{SUFFIX}"


class SealedWriter:
    """Writes a file as AES-256-GCM chunks under `key`, holding at most one chunk of plaintext in memory."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self.size = 0
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._out: BinaryIO | None = os.fdopen(fd, "wb")
        self._stream = chunked.StreamWriter(self._out, key, MAGIC, _HEADER, chunk=CHUNK)

    @classmethod
    def create(cls) -> tuple[SealedWriter, bytes]:
        key = new_key()
        path = imports_dir() / f"upload-{secrets.token_hex(16)}{PART_SUFFIX}"
        return cls(path, key), key

    def write(self, data: bytes) -> None:
        assert self._out is not None
        self.size += len(data)
        self._stream.write(data)

    def close(self) -> None:
        if self._out is None:
            return
        self._stream.close()
        self._out.close()
        self._out = None

    def discard(self) -> None:
        self._stream.discard()
        if self._out is not None:
            self._out.close()
            self._out = None
        remove_file(self.path)


def remove_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


class _PlainReader(io.RawIOBase):
    """The plaintext of a sealed import file, one chunk in memory at a time."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._source = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._buf = b""
        self._pos = 0
        header = chunked.read_preamble(self._source, MAGIC, max_header=4096, fail=_fail)
        self._chunks = chunked.open_chunks(self._source, key, header, chunk=CHUNK, fail=_fail)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._pos >= len(self._buf):
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._buf, self._pos = chunk, 0
        n = min(len(buffer), len(self._buf) - self._pos)
        buffer[:n] = self._buf[self._pos:self._pos + n]
        self._pos += n
        return n

    def close(self) -> None:
        self._source.close()
        super().close()


class SeekablePlaintext(io.RawIOBase):
    """The plaintext of a sealed import file with random access (a ZIP's directory is at its end): chunk i
    is opened on demand, one chunk in memory at a time. Every chunk but the last holds CHUNK bytes, so where
    chunk i starts is known without reading the ones before it; the last one is checked as the last."""

    def __init__(self, path: Path, key: bytes) -> None:
        self._source = open(path, "rb")  # noqa: SIM115 - closed by close()
        header = chunked.read_preamble(self._source, MAGIC, max_header=4096, fail=_fail)
        try:
            chunk = int(json.loads(header)["chunk"])
        except (ValueError, KeyError, TypeError):
            raise _fail("truncated header") from None
        self._chunks = chunked.RandomAccess(self._source, key, MAGIC, header, chunk=chunk, fail=_fail)
        self._chunk = chunk
        self._size = self._chunks.size
        self._pos = 0
        self._cached: tuple[int, bytes] = (-1, b"")

    def _open(self, index: int) -> bytes:
        if self._cached[0] != index:
            self._cached = (index, self._chunks.open(index))
        return self._cached[1]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer) -> int:
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, self._chunk)
        plain = self._open(index)
        n = min(len(buffer), len(plain) - offset)
        buffer[:n] = plain[offset:offset + n]
        self._pos += n
        return n

    def close(self) -> None:
        self._source.close()
        super().close()


def open_seekable(path: Path, key: bytes) -> io.BufferedReader:
    return io.BufferedReader(SeekablePlaintext(path, key), buffer_size=64 * 1024)


def open_plaintext(path: Path, key: bytes) -> io.BufferedReader:
    return io.BufferedReader(_PlainReader(path, key), buffer_size=CHUNK)


def open_text(path: Path, key: bytes, encoding: str) -> io.TextIOWrapper:
    # errors="surrogateescape": a stray undecodable byte is kept (as a surrogate) for readers.fix_cell to read
    # in Windows-1252, so that only that byte falls back, not the file
    return io.TextIOWrapper(open_plaintext(path, key), encoding=encoding, errors="surrogateescape", newline="")


class EncryptedUpload(UploadedFile):
    """An uploaded file that already sits encrypted in the imports directory. Closing it (Django closes
    request files when the response is done) deletes it unless import_start() adopted it."""

    def __init__(self, *, path: Path, key: bytes, name: str, size: int, content_type: str | None = None) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)
        self.sealed_path = path
        self.key = key
        self.adopted = False

    def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
        with open_plaintext(self.sealed_path, self.key) as plain:
            while data := plain.read(chunk_size or CHUNK):
                yield data

    def multiple_chunks(self, chunk_size: int | None = None) -> bool:
        return True

    def open(self, mode: str | None = None, *args: Any, **kwargs: Any) -> EncryptedUpload:
        return self  # the plaintext is only ever streamed, through chunks()

    def close(self) -> None:
        if not self.adopted:
            remove_file(self.sealed_path)


class EncryptingUploadHandler(FileUploadHandler):
    """Seals the `file` field of a multipart upload as it arrives (no plaintext temporary file, not even
    in memory beyond one chunk) and refuses more than limits.MAX_FILE_BYTES. Install it before anything reads
    request.POST or request.FILES — the CSRF check included."""

    def __init__(self, request=None, *, too_large=None) -> None:
        super().__init__(request)
        self._sink: SealedWriter | None = None
        self._key = b""
        self._taken = False
        self._too_large = too_large or ImportTooLarge

    def new_file(self, field_name, file_name, content_type, content_length, charset=None, content_type_extra=None):
        if field_name != FILE_FIELD or self._taken:
            raise SkipFile
        if content_length is not None and content_length > limits.MAX_FILE_BYTES:
            raise self._too_large(too_large_message())
        super().new_file(field_name, file_name, content_type, content_length, charset, content_type_extra)
        self._sink, self._key = SealedWriter.create()

    def receive_data_chunk(self, raw_data: bytes, start: int):
        if self._sink is None:
            return None
        if start + len(raw_data) > limits.MAX_FILE_BYTES:
            self._sink.discard()
            self._sink = None
            raise self._too_large(too_large_message())
        self._sink.write(raw_data)
        return None

    def file_complete(self, file_size: int):
        if self._sink is None:
            return None
        sink, self._sink = self._sink, None
        sink.close()
        self._taken = True
        return EncryptedUpload(path=sink.path, key=self._key, name=self.file_name or "upload",
                               size=file_size, content_type=self.content_type)

    def upload_interrupted(self) -> None:
        if self._sink is not None:
            self._sink.discard()
            self._sink = None


def too_large_message() -> str:
    return (f"The file is larger than {limits.MAX_FILE_BYTES // (1024 * 1024)} MB or has more than "
            f"{limits.MAX_ROWS:,} rows: split it into smaller files and import them one after the other.")


def _adopt(upload, path: Path) -> bytes:
    """Moves an EncryptedUpload to `path`, or seals any other file-like upload there; returns the key."""
    if isinstance(upload, EncryptedUpload):
        os.replace(upload.sealed_path, path)
        upload.adopted = True
        return upload.key
    key = new_key()
    writer = SealedWriter(path, key)
    try:
        pieces: Iterable[bytes] = upload.chunks() if hasattr(upload, "chunks") else iter(
            lambda: upload.read(CHUNK), b"")
        for piece in pieces:
            if writer.size + len(piece) > limits.MAX_FILE_BYTES:
                raise ImportTooLarge(too_large_message())
            writer.write(piece)
        writer.close()
    except BaseException:
        writer.discard()
        raise
    return key

