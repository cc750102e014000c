"""Data-key rotation for one account: re-seal every sensitive value under a new key, resumably."""

from __future__ import annotations

import uuid

from django.db import transaction

from lte.vault.context import acting_for
from lte.vault.fields import Sealed, encrypted_fields, key_id_of
from lte.vault.keys import add_primary_key, keyring_for
from lte.vault.models import AccountKey

BATCH = 500


def _stale(instance, fields, primary_id: str) -> list:
    return [f for f in fields
            if isinstance(state := instance.__dict__.get(f.attname), Sealed) and key_id_of(state) != primary_id]


def pending_rows(owner_id: uuid.UUID) -> int:
    """How many rows of the account still hold a value sealed under a key other than the newest."""
    primary = keyring_for(owner_id).primary_id
    count = 0
    for model, fields in _by_model().items():
        for instance in model.objects.filter(**{fields[0].owner_field: owner_id}).iterator(chunk_size=BATCH):
            count += bool(_stale(instance, fields, primary))
    return count


def _by_model() -> dict:
    grouped: dict = {}
    for model, field in encrypted_fields():
        grouped.setdefault(model, []).append(field)
    return grouped


def reencrypt_account(owner_id: uuid.UUID | str, *, new_key: bool = True, limit: int | None = None) -> int:
    """Adds a new data key (unless a rotation is already under way) and re-seals the account's values
    under it, a batch per transaction. Interrupted, it picks up where it stopped: rows already on the
    newest key are skipped. Old keys stay, decrypt-only, so older ciphertexts and backups still open."""
    owner_id = uuid.UUID(str(owner_id))
    if new_key and pending_rows(owner_id) == 0:
        add_primary_key(owner_id)
    primary = keyring_for(owner_id).primary_id
    done = 0
    with acting_for(owner_id):
        for model, fields in _by_model().items():
            owner_filter = {fields[0].owner_field: owner_id}
            last_pk = None
            while True:
                query = model.objects.filter(**owner_filter).order_by("pk")
                if last_pk is not None:
                    query = query.filter(pk__gt=last_pk)
                rows = list(query[:BATCH])
                if not rows:
                    break
                last_pk = rows[-1].pk
                with transaction.atomic():
                    for instance in rows:
                        stale = _stale(instance, fields, primary)
                        if not stale:
                            continue
                        for field in stale:
                            setattr(instance, field.attname, getattr(instance, field.attname))  # plaintext again
                        instance.save(update_fields=[f.attname for f in stale])
                        done += 1
                        if limit is not None and done >= limit:
                            return done
    return done


def retired_keys(owner_id: uuid.UUID | str) -> list[str]:
    return list(AccountKey.objects.filter(owner_id=owner_id, status=AccountKey.Status.RETIRED)
                .values_list("key_id", flat=True))
