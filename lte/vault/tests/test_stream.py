"""The chunked stream format and the sealed values keep their bytes: what an earlier version wrote still opens,
and the same key, header and plaintext give the same stream (the nonces are the chunks' numbers)."""

import io

import pytest

from lte.vault import stream
from lte.vault.crypto import Cipher, DecryptionFailed

KEY = bytes(range(32))
MAGIC = b"LTET1\n"
# Written by the code before Cipher became the only AES-GCM wrapper: three chunks of at most 8 bytes.
STREAM_V1 = bytes.fromhex(
    "4c544554310a000000147b226368756e6b223a20382c202276223a20317d000000186fded6bad04ae4d5be7d945cbbef875f9104"
    "c1095ed2b8db000000187cbcd490299a5f6e4404b10c76ed6c417ee6d8b280b7cfab00000012b80399ba430d0ab921389733b736"
    "9ce2152b"
)
# crypto.seal(KEY, b"a wrapped secret", b"lte:v1:test") of that version: nonce ‖ ciphertext+tag.
SEALED_V1 = bytes.fromhex("8a7dad56defe7900f406ce21a315dd93e82e1a8a9c28a04cef9f2c6c1583694ee9cbaa29ad556f03f26b190d")


def fail(reason: str) -> Exception:
    return ValueError(reason)


def test_it_writes_the_same_bytes_as_before():
    header = stream.header_bytes({"v": 1, "chunk": 8})
    out = io.BytesIO()
    writer = stream.StreamWriter(out, KEY, MAGIC, header, chunk=8)
    writer.write(b"abcdefghij")
    writer.write(b"klmnopqr")
    writer.close()
    assert out.getvalue() == STREAM_V1


def test_it_reads_a_stream_written_before():
    source = io.BytesIO(STREAM_V1)
    header = stream.read_preamble(source, MAGIC, max_header=4096, fail=fail)
    chunks = list(stream.open_chunks(source, KEY, header, chunk=8, fail=fail, strict_end=True))
    assert chunks == [b"abcdefgh", b"ijklmnop", b"qr"]


def test_it_opens_any_chunk_on_its_own(tmp_path):
    path = tmp_path / "stream"
    path.write_bytes(STREAM_V1)
    with path.open("rb") as source:
        header = stream.read_preamble(source, MAGIC, max_header=4096, fail=fail)
        chunks = stream.RandomAccess(source, KEY, MAGIC, header, chunk=8, fail=fail)
        assert (chunks.count, chunks.size) == (3, 18)
        assert [chunks.open(i) for i in (2, 0, 1)] == [b"qr", b"abcdefgh", b"ijklmnop"]


def test_it_refuses_a_stream_cut_after_a_full_chunk(tmp_path):
    path = tmp_path / "stream"
    path.write_bytes(STREAM_V1[:-(4 + 2 + 16)])  # the last chunk dropped: the second would have to be the last
    with path.open("rb") as source:
        header = stream.read_preamble(source, MAGIC, max_header=4096, fail=fail)
        chunks = stream.RandomAccess(source, KEY, MAGIC, header, chunk=8, fail=fail)
        with pytest.raises(ValueError, match="does not decrypt"):
            chunks.open(1)


def test_an_empty_stream_is_one_empty_final_chunk():
    out = io.BytesIO()
    header = stream.header_bytes({"v": 1})
    writer = stream.StreamWriter(out, KEY, MAGIC, header, chunk=8)
    writer.close()
    source = io.BytesIO(out.getvalue())
    assert list(stream.open_chunks(source, KEY, stream.read_preamble(source, MAGIC, max_header=64, fail=fail),
                                   chunk=8, fail=fail, strict_end=True)) == [b""]


def test_a_value_sealed_before_still_opens_and_only_with_its_associated_data():
    assert Cipher(KEY).open(SEALED_V1, b"lte:v1:test") == b"a wrapped secret"
    with pytest.raises(DecryptionFailed):
        Cipher(KEY).open(SEALED_V1, b"lte:v1:other")
