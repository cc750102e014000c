"""Per-account keys: created on first use, cached unwrapped in memory only, destroyed on deletion."""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from lte.lib.prepared import Prepared
from lte.vault.crypto import Cipher, DecryptionFailed, MasterKeys, VaultError, master_keys, new_key
from lte.vault.models import AccountIndexKey, AccountKey, Tombstone

KEYSTORE = "keystore"
CACHE_SIZE = 2048


class KeysDestroyed(VaultError):
    """The account was deleted: its keys are gone, and so is every way to read its data."""


@dataclass(frozen=True)
class Keyring:
    owner_id: uuid.UUID
    primary_id: str
    data_keys: dict[str, bytes]
    index_key: bytes
    ciphers: dict[str, Cipher] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.ciphers.update({key_id: Cipher(key) for key_id, key in self.data_keys.items()})

    def data_key(self, key_id: str) -> bytes:
        try:
            return self.data_keys[key_id]
        except KeyError:
            raise DecryptionFailed(f"key {key_id} does not belong to this account") from None

    def cipher(self, key_id: str) -> Cipher:
        try:
            return self.ciphers[key_id]
        except KeyError:
            raise DecryptionFailed(f"key {key_id} does not belong to this account") from None


def _dek_aad(owner_id: uuid.UUID, key_id: str) -> bytes:
    return f"lte:v1:dek:{owner_id}:{key_id}".encode()


def _index_aad(owner_id: uuid.UUID) -> bytes:
    return f"lte:v1:index-key:{owner_id}".encode()


class _Cache:
    """Unwrapped keyrings in process memory, briefly (never on disk); evicted on deletion and rotation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[uuid.UUID, tuple[float, Keyring]] = OrderedDict()

    def get(self, owner_id: uuid.UUID) -> Keyring | None:
        item = self._items.get(owner_id)  # a plain dict read is atomic; the lock guards the writes
        if item is None or item[0] < time.monotonic():
            if item is not None:
                with self._lock:
                    self._items.pop(owner_id, None)
            return None
        return item[1]

    def put(self, keyring: Keyring) -> None:
        ttl = settings.VAULT_KEY_CACHE_SECONDS
        if ttl <= 0:
            return
        with self._lock:
            self._items[keyring.owner_id] = (time.monotonic() + ttl, keyring)
            self._items.move_to_end(keyring.owner_id)
            while len(self._items) > CACHE_SIZE:
                self._items.popitem(last=False)

    def evict(self, owner_id: uuid.UUID | None = None) -> None:
        with self._lock:
            if owner_id is None:
                self._items.clear()
            else:
                self._items.pop(owner_id, None)


key_cache = _Cache()


def _load(owner_id: uuid.UUID) -> Keyring | None:
    keys = list(AccountKey.objects.using(KEYSTORE).filter(owner_id=owner_id).order_by("created_at", "key_id"))
    index = AccountIndexKey.objects.using(KEYSTORE).filter(owner_id=owner_id).first()
    if not keys or index is None:
        return None
    ring = master_keys()
    active = [k for k in keys if k.status == AccountKey.Status.ACTIVE]
    return Keyring(
        owner_id=owner_id,
        primary_id=(active or keys)[-1].key_id,
        data_keys={k.key_id: ring.unwrap(k.kek_id, k.wrapped, _dek_aad(owner_id, k.key_id)) for k in keys},
        index_key=ring.unwrap(index.kek_id, index.wrapped, _index_aad(owner_id)),
    )


def _new_key_id() -> str:
    return secrets.token_hex(6)


def _create(owner_id: uuid.UUID) -> None:
    ring = master_keys()
    key_id = _new_key_id()
    kek_id, wrapped = ring.wrap(new_key(), _dek_aad(owner_id, key_id))
    index_kek_id, index_wrapped = ring.wrap(new_key(), _index_aad(owner_id))
    try:
        with transaction.atomic(using=KEYSTORE):
            AccountIndexKey.objects.using(KEYSTORE).create(owner_id=owner_id, kek_id=index_kek_id,
                                                           wrapped=index_wrapped)
            AccountKey.objects.using(KEYSTORE).create(owner_id=owner_id, key_id=key_id, kek_id=kek_id,
                                                      wrapped=wrapped)
    except IntegrityError:
        pass  # another process created them first; theirs win


def keyring_for(owner_id: uuid.UUID | str, *, create: bool = False) -> Keyring:
    """The account's keys; with create=True, made on first use (only for writes of a live account)."""
    if not isinstance(owner_id, uuid.UUID):
        owner_id = uuid.UUID(str(owner_id))
    keyring = key_cache.get(owner_id)
    if keyring is not None:
        return keyring
    keyring = _load(owner_id)
    if keyring is None and create:
        if is_tombstoned(owner_id):
            raise KeysDestroyed(f"account {owner_id} was deleted")
        _create(owner_id)
        keyring = _load(owner_id)
    if keyring is None:
        raise KeysDestroyed(f"no keys for account {owner_id}: it was deleted, or its data was never sealed")
    key_cache.put(keyring)
    return keyring


def destroy_account_keys(owner_id: uuid.UUID | str) -> None:
    """Crypto-shredding: the account's keys leave the live key store (secure_delete on SQLite) at once,
    and a tombstone records the deletion so no restore brings the account back."""
    owner_id = uuid.UUID(str(owner_id))
    with transaction.atomic(using=KEYSTORE):
        AccountKey.objects.using(KEYSTORE).filter(owner_id=owner_id).delete()
        AccountIndexKey.objects.using(KEYSTORE).filter(owner_id=owner_id).delete()
        record_tombstone(owner_id)
    key_cache.evict(owner_id)


def record_tombstone(owner_id: uuid.UUID | str) -> None:
    Tombstone.objects.using(KEYSTORE).get_or_create(owner_id=uuid.UUID(str(owner_id)))


def tombstoned_ids() -> list[uuid.UUID]:
    """Every account whose deletion has begun, by the live key store."""
    return list(Tombstone.objects.using(KEYSTORE).values_list("owner_id", flat=True))


_TOMBSTONE = Prepared(
    lambda owner_id: Tombstone.objects.using(KEYSTORE).filter(owner_id=owner_id).values_list("pk")[:1],
    [Tombstone._meta.get_field("owner_id")])


def is_tombstoned(owner_id: uuid.UUID | str) -> bool:
    """Whether the account's deletion has begun: true from the moment its tombstone is written, even when a
    crash left its rows behind for `enforce_tombstones` to finish (nobody signs in to or writes to it then)."""
    return bool(_TOMBSTONE.rows(owner_id if isinstance(owner_id, uuid.UUID) else uuid.UUID(str(owner_id))))


def add_primary_key(owner_id: uuid.UUID | str) -> str:
    """Starts a data-key rotation: a new key encrypts from now on; older ones become decrypt-only."""
    owner_id = uuid.UUID(str(owner_id))
    keyring_for(owner_id)  # refuses for a deleted account
    key_id = _new_key_id()
    kek_id, wrapped = master_keys().wrap(new_key(), _dek_aad(owner_id, key_id))
    with transaction.atomic(using=KEYSTORE):
        AccountKey.objects.using(KEYSTORE).filter(owner_id=owner_id, status=AccountKey.Status.ACTIVE).update(
            status=AccountKey.Status.RETIRED, retired_at=timezone.now()
        )
        AccountKey.objects.using(KEYSTORE).create(owner_id=owner_id, key_id=key_id, kek_id=kek_id, wrapped=wrapped)
    key_cache.evict(owner_id)
    return key_id


def rewrap_all(*, batch: int = 200, limit: int | None = None) -> int:
    """Master-key rotation: re-wraps every key not yet under the current master key. Each row is
    re-wrapped in its own small transaction, so an interrupted run resumes where it stopped."""
    ring = master_keys()
    done = 0
    for _row in chain(_rewrapped(AccountKey, lambda k: _dek_aad(k.owner_id, k.key_id), ring, batch),
                      _rewrapped(AccountIndexKey, lambda k: _index_aad(k.owner_id), ring, batch)):
        done += 1
        if limit is not None and done >= limit:
            break
    key_cache.evict()
    return done


_Wrapped = TypeVar("_Wrapped", AccountKey, AccountIndexKey)


def _rewrapped(model: type[_Wrapped], aad: Callable[[_Wrapped], bytes], ring: MasterKeys,
               batch: int) -> Iterator[_Wrapped]:
    """Re-wraps the rows of one table under the current master key, yielding each one once it is stored
    (lazily: the caller stops before the next row when its limit is reached)."""
    while True:
        rows = list(model.objects.using(KEYSTORE).exclude(kek_id=ring.current_id).order_by("pk")[:batch])
        if not rows:
            return
        for row in rows:
            secret = ring.unwrap(row.kek_id, row.wrapped, aad(row))
            kek_id, wrapped = ring.wrap(secret, aad(row))
            with transaction.atomic(using=KEYSTORE):
                model.objects.using(KEYSTORE).filter(pk=row.pk, kek_id=row.kek_id).update(
                    kek_id=kek_id, wrapped=wrapped
                )
            yield row


def unknown_master_key_ids() -> set[str]:
    """Master keys that wrapped something in the store but are not configured now."""
    used = set(AccountKey.objects.using(KEYSTORE).values_list("kek_id", flat=True).distinct())
    used |= set(AccountIndexKey.objects.using(KEYSTORE).values_list("kek_id", flat=True).distinct())
    return used - master_keys().known_ids()
