"""The primitives: AES-256-GCM via `cryptography`, the master-key ring, and key derivation.

Nothing here knows about models or requests; lte.vault.keys and lte.vault.fields build on it.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32


class VaultError(Exception):
    """Base of everything the vault refuses."""


class DecryptionFailed(VaultError):
    """Tampered, truncated, moved to another row, or sealed under a key we don't hold."""


def b64e(data: bytes) -> str:
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64d(text: str) -> bytes:
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


class Cipher:
    """One AES-256-GCM key, with its (costly to build) cipher object made once: the project's only AES-GCM
    wrapper. `seal`/`open` pick a random nonce and store it in front (nonce ‖ ciphertext+tag); `seal_at`/
    `open_at` take the nonce from a format that numbers its pieces (lte.vault.stream)."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.seal_at(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        if len(blob) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionFailed("ciphertext too short")
        return self.open_at(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)

    def seal_at(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """ciphertext+tag under a nonce the caller never uses twice with this key."""
        return self._aead.encrypt(nonce, plaintext, aad)

    def open_at(self, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
        try:
            return self._aead.decrypt(nonce, sealed, aad)
        except InvalidTag as exc:
            raise DecryptionFailed("ciphertext does not authenticate") from exc


def derive(key: bytes, purpose: str, salt: bytes | None = None) -> bytes:
    """A key for one purpose, derived from a master key (HKDF-SHA256)."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=purpose.encode()).derive(key)


def kek_fingerprint(kek: bytes) -> str:
    """A short public name for a master key, stored beside what it wrapped (never the key itself)."""
    return hashlib.sha256(b"lte:v1:kek-id:" + kek).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    """The key-encryption keys from LTE_MASTER_KEY or master.key: the first wraps, all unwrap."""

    keys: tuple[bytes, ...]

    @property
    def current(self) -> bytes:
        return self.keys[0]

    @property
    def current_id(self) -> str:
        return kek_fingerprint(self.current)

    def by_id(self, kek_id: str) -> bytes:
        for key in self.keys:
            if hmac.compare_digest(kek_fingerprint(key), kek_id):
                return key
        raise DecryptionFailed(
            f"master key {kek_id} is not configured: add it to LTE_MASTER_KEY (newest first) to read this"
        )

    def known_ids(self) -> set[str]:
        return {kek_fingerprint(k) for k in self.keys}

    def wrap(self, secret: bytes, aad: bytes) -> tuple[str, bytes]:
        return self.current_id, Cipher(self.current).seal(secret, aad)

    def unwrap(self, kek_id: str, blob: bytes | memoryview, aad: bytes) -> bytes:
        return Cipher(self.by_id(kek_id)).open(bytes(blob), aad)


@cache
def _master_keys(keys: tuple[bytes, ...]) -> MasterKeys:
    return MasterKeys(keys)


def master_keys() -> MasterKeys:
    return _master_keys(tuple(settings.MASTER_KEYS))
