"""Blind indexes: HMAC-SHA256 of a normalised value under the account's own index key.

They let us find a contact by exact email or phone, and spot duplicates, without decrypting anything;
the same email gives different index values in two accounts, so nobody can link them.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from lte.vault.keys import keyring_for

INDEX_HEX_CHARS = 32  # 128 bits


def blind_index(owner_id: uuid.UUID | str, kind: str, normalised: str) -> str:
    keyring = keyring_for(owner_id, create=True)
    digest = hmac.new(keyring.index_key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
    return digest[:INDEX_HEX_CHARS]
