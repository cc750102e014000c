"""The personal-data registry: every model that holds anything about a person says how it is seen,
exported, corrected and deleted. "Your data", the export and deletion are derived from it, and a test
fails when a model is missing — so a new feature can't forget a right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.utils.translation import gettext_noop

ACCOUNT = "account"      # about the user themself (profile, sessions, logins, tokens…)
OWNED = "owned"          # the user's own CRM records
DERIVED = "derived"      # computed from owned records (search tokens, blind indexes): deleted with them
STAFF = "staff"          # kept by us about the user (staff access log, reports)
AGGREGATE = "aggregate"  # anonymous counts, no person in them
KEYS = "keys"            # the key store: crypto material, shredded on deletion, never exported
NONE = "none"            # holds nothing about anyone
KINDS = {ACCOUNT, OWNED, DERIVED, STAFF, AGGREGATE, KEYS, NONE}

Column = tuple[str, Callable[[Any], Any]]


@dataclass(frozen=True)
class Entry:
    label: str                                  # plain words, for "Your data" (gettext_noop: shown translated)
    kind: str
    user_field: str | None = None               # the lookup from the model to the user's id
    export_file: str | None = None              # e.g. "contacts.csv"
    columns: tuple[Column, ...] = ()
    correct: str = ""                           # where the user corrects it
    delete: str = gettext_noop("deleted with your account")
    order_by: tuple[str, ...] = ("pk",)
    select_related: tuple[str, ...] = ()
    prefetch_related: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)

    def rows(self, user_id) -> models.QuerySet:
        raise NotImplementedError


_registry: dict[str, tuple[type[models.Model], Entry]] = {}


def register(label: str, entry: Entry) -> None:
    if entry.kind not in KINDS:
        raise ValueError(f"unknown kind {entry.kind}")
    model = apps.get_model(label)
    _registry[model._meta.label_lower] = (model, entry)


def entries(kinds: Iterable[str] | None = None) -> list[tuple[type[models.Model], Entry]]:
    wanted = set(kinds) if kinds else KINDS
    return [(model, entry) for model, entry in _registry.values() if entry.kind in wanted]


def entry_for(model: type[models.Model]) -> Entry | None:
    found = _registry.get(model._meta.label_lower)
    return found[1] if found else None


def queryset(model: type[models.Model], entry: Entry, user_id) -> models.QuerySet:
    if entry.user_field is None:
        raise ValueError(f"{model._meta.label}: {entry.kind} rows belong to nobody and have no queryset per user")
    query = model._default_manager.filter(**{entry.user_field: user_id})
    if entry.select_related:
        query = query.select_related(*entry.select_related)
    if entry.prefetch_related:
        query = query.prefetch_related(*entry.prefetch_related)
    return query.order_by(*entry.order_by)


def unregistered_models() -> list[str]:
    """Concrete models that the registry does not know (the guard test lists these)."""
    missing = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower not in _registry:
            missing.append(model._meta.label_lower)
    return sorted(missing)


def deletion_order(kinds: Iterable[str]) -> list[tuple[type[models.Model], Entry]]:
    """The registered models of these kinds, every model before the models it points to, so rows can be
    deleted in bulk without breaking a foreign key (lte.privacy.deletion)."""
    chosen = [(m, e) for m, e in entries(kinds) if e.user_field and e.user_field != "pk"]
    models_in = {m for m, _ in chosen}
    ordered: list[tuple[type[models.Model], Entry]] = []
    placed: set = set()

    def referrers_of(model) -> list:
        return [(m, e) for m, e in chosen if m is not model and any(
            getattr(f, "related_model", None) is model and (f.many_to_one or f.one_to_one)
            for f in m._meta.concrete_fields)]

    def place(model, entry, trail=()):
        if model in placed or model in trail:
            return
        for ref_model, ref_entry in referrers_of(model):
            if ref_model in models_in:
                place(ref_model, ref_entry, (*trail, model))
        placed.add(model)
        ordered.append((model, entry))

    for model, entry in chosen:
        place(model, entry)
    return ordered
