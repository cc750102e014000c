"""EncryptedField: a model field stored as `v1:<key id>:<nonce+ciphertext>` under the owner's data key.

The associated data binds each ciphertext to its table, column, row and owner
(`lte:v1:<app.model>.<field>:<pk>:<owner id>`), so a value copied to another row or account does not
open. Values are sealed in `pre_save` and opened lazily, on attribute access, through the decryption
guard (lte.vault.context). Models using it need a primary key that exists before the insert (a UUID
default) and an owner id attribute (`owner_id` by default).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models.query_utils import DeferredAttribute

from lte.vault.context import check_can_read
from lte.vault.crypto import DecryptionFailed, b64d, b64e
from lte.vault.keys import keyring_for

VERSION = "v1"


class Sealed(str):
    """A ciphertext as read from the database (as opposed to a plaintext waiting to be sealed)."""


class Codec:
    name = "text"

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        return value.encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return raw.decode("utf-8")


class JSONCodec(Codec):
    name = "json"

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return json.loads(raw)


class StringsCodec(Codec):
    """A list of strings (emails, phone numbers): cheaper to decode than JSON on every list page."""

    name = "strings"
    SEP = "\x1e"  # ASCII record separator: refused in the values themselves

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) and self.SEP not in v for v in value):
            raise TypeError("expected a list of strings")
        return self.SEP.join(value).encode("utf-8")

    def decode(self, raw: bytes) -> Any:
        return raw.decode("utf-8").split(self.SEP) if raw else []


class ReachCodec(Codec):
    """A contact's emails and phone numbers, sealed together: one decryption per contact on a list page."""

    name = "reach"
    ITEM, GROUP = "\x1f", "\x1e"  # ASCII unit and record separators: refused in the values themselves

    def encode(self, value: Any) -> bytes:
        emails, phones = list(value.get("emails") or []), list(value.get("phones") or [])
        for item in emails + phones:
            if not isinstance(item, str) or self.ITEM in item or self.GROUP in item:
                raise TypeError("emails and phones are lists of plain strings")
        return f"{self.ITEM.join(emails)}{self.GROUP}{self.ITEM.join(phones)}".encode()

    def decode(self, raw: bytes) -> Any:
        emails, _, phones = raw.decode("utf-8").partition(self.GROUP)
        return {"emails": emails.split(self.ITEM) if emails else [],
                "phones": phones.split(self.ITEM) if phones else []}


class DateCodec(Codec):
    name = "date"

    def encode(self, value: Any) -> bytes:
        if not isinstance(value, date):
            raise TypeError(f"expected a date, got {type(value).__name__}")
        return value.isoformat().encode()

    def decode(self, raw: bytes) -> Any:
        return date.fromisoformat(raw.decode())


CODECS = {c.name: c for c in (Codec(), JSONCodec(), StringsCodec(), ReachCodec(), DateCodec())}


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, uuid.UUID) else uuid.UUID(str(value)).hex


def associated_data(field: EncryptedField, instance: models.Model, owner_id: uuid.UUID) -> bytes:
    """lte:v1:<app.model>.<field>:<row id>:<owner id> — a value opens only where it was sealed."""
    return f"{field.aad_prefix}:{_hex(instance.pk)}:{owner_id.hex}".encode()


def seal_value(field: EncryptedField, instance: models.Model, value: Any) -> str:
    owner_id = field.owner_of(instance)
    keyring = keyring_for(owner_id, create=True)
    blob = keyring.cipher(keyring.primary_id).seal(field.codec.encode(value),
                                                    associated_data(field, instance, owner_id))
    return f"{VERSION}:{keyring.primary_id}:{b64e(blob)}"


def open_value(field: EncryptedField, instance: models.Model, token: str) -> Any:
    owner_id = field.owner_of(instance)
    check_can_read(owner_id, field.label)
    version, _, rest = token.partition(":")
    key_id, _, blob = rest.partition(":")
    if version != VERSION or not blob:
        raise DecryptionFailed("not a vault ciphertext of a known version")
    keyring = keyring_for(owner_id)
    try:
        raw = b64d(blob)
    except ValueError:
        raise DecryptionFailed("ciphertext is not base64") from None
    return field.codec.decode(keyring.cipher(key_id).open(raw, associated_data(field, instance, owner_id)))


def open_raw(field: EncryptedField, *, pk, owner_id: uuid.UUID, token: str | None) -> Any:
    """Opens a ciphertext read with values_list() (no model instance): for bulk reads such as exports."""
    if token is None:
        return None
    row = _RawRow(pk, owner_id)
    return open_value(field, row, token)  # type: ignore[arg-type]


def raw_opener(field: EncryptedField, owner_id: uuid.UUID) -> Callable[[Any, str | None], Any]:
    """open_raw for many rows of one column of one owner (an export): the read check and the owner's keys once,
    then per value only its decryption. The opener is for the current context only (it checked it)."""
    check_can_read(owner_id, field.label)
    ciphers: dict = {}  # the owner's keys, loaded with the first sealed value (an account may have none)
    prefix, owner_hex, decode = field.aad_prefix, owner_id.hex, field.codec.decode

    def open_one(pk, token: str | None) -> Any:
        if token is None:
            return None
        version, _, rest = token.partition(":")
        key_id, _, blob = rest.partition(":")
        if version != VERSION or not blob:
            raise DecryptionFailed("not a vault ciphertext of a known version")
        cipher = ciphers.get(key_id)
        if cipher is None:
            cipher = ciphers[key_id] = keyring_for(owner_id).cipher(key_id)
        try:
            raw = b64d(blob)
        except ValueError:
            raise DecryptionFailed("ciphertext is not base64") from None
        pk_hex = pk if pk.__class__ is str and len(pk) == 32 else _hex(pk)  # SQLite's column holds the hex
        return decode(cipher.open(raw, f"{prefix}:{pk_hex}:{owner_hex}".encode()))

    return open_one


class _RawRow:
    __slots__ = ("owner_id", "pk")

    def __init__(self, pk, owner_id) -> None:
        self.pk, self.owner_id = pk, owner_id


def key_id_of(token: str) -> str:
    return token.split(":", 2)[1]


class EncryptedAttribute(DeferredAttribute):
    """Holds the ciphertext in the instance's __dict__ and hands out the plaintext, opened once."""

    field: EncryptedField

    def __init__(self, field: EncryptedField) -> None:
        super().__init__(field)
        self.plain_key = f"_{field.attname}_plain"

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        state = super().__get__(instance, cls)
        if not isinstance(state, Sealed):
            return state
        if self.plain_key not in instance.__dict__:
            instance.__dict__[self.plain_key] = open_value(self.field, instance, state)
        return instance.__dict__[self.plain_key]

    def __set__(self, instance, value) -> None:
        instance.__dict__[self.field.attname] = value
        instance.__dict__.pop(self.plain_key, None)


class EncryptedField(models.TextField):
    descriptor_class = EncryptedAttribute
    # For django-stubs: the attribute holds the plaintext, whose type is the codec's (text, a date, JSON, emails
    # and phones), not TextField's str; the annotations exist only for the type checker.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def __init__(self, *args, codec: str = "text", owner_field: str = "owner_id", **kwargs) -> None:
        self.codec = CODECS[codec]
        self.owner_field = owner_field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.codec.name != "text":
            kwargs["codec"] = self.codec.name
        if self.owner_field != "owner_id":
            kwargs["owner_field"] = self.owner_field
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, *args, **kwargs) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.label = f"{cls._meta.label_lower}.{name}"
        self.aad_prefix = f"lte:{VERSION}:{self.label}"

    def owner_of(self, instance: models.Model) -> uuid.UUID:
        owner = getattr(instance, self.owner_field if not isinstance(instance, _RawRow) else "owner_id")
        if owner is None:
            raise ValueError(f"{self.label} needs an owner before it can be sealed")
        return owner if isinstance(owner, uuid.UUID) else uuid.UUID(str(owner))

    def from_db_value(self, value, expression, connection):
        return None if value is None else Sealed(value)

    def pre_save(self, model_instance, add):
        state = model_instance.__dict__.get(self.attname)
        if state is None or isinstance(state, Sealed):
            return state
        token = Sealed(seal_value(self, model_instance, state))
        model_instance.__dict__[self.attname] = token
        model_instance.__dict__[f"_{self.attname}_plain"] = state
        return token

    def get_prep_value(self, value):
        if value is None or isinstance(value, Sealed):
            return value
        if isinstance(value, str) and value.startswith(f"{VERSION}:"):
            return value
        raise TypeError("encrypted fields are sealed on save; they can't be used in queries or bulk updates")

    def get_lookup(self, lookup_name):
        # Only "is it empty?" makes sense on ciphertext; equality or contains would silently never match.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def value_to_string(self, obj) -> str:
        return "<encrypted>"


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedField]]:
    return [(model, field) for model in apps.get_models() for field in model._meta.concrete_fields
            if isinstance(field, EncryptedField)]
