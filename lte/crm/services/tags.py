"""Tags: the owner's tags by (case-insensitive) name, made when first used."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from lte.crm.models import Tag
from lte.crm.services.normalise import clean_text, unique

MAX_TAGS = 30
TAG_MAX = 40


def tags_for(owner, names: Iterable[str]) -> list[Tag]:
    cleaned = unique((clean_text(n, field="tags", max_length=TAG_MAX) for n in names), key=str.casefold)
    cleaned = [n for n in cleaned if n]
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": gettext("A contact has at most %(most)s tags.") % {"most": MAX_TAGS}})
    existing = tags_named(owner, cleaned)
    return [existing[n.casefold()] for n in cleaned if n.casefold() in existing]


def tags_named(owner, names: Iterable[str], known: dict[str, Tag] | None = None) -> dict[str, Tag]:
    """The owner's tags with these (clean) names, by folded name, making the missing ones; "vip" finds an
    existing "VIP" instead of making a twin. `known` (folded name -> tag) is a cache a caller keeps."""
    folded = {n.casefold(): n for n in sorted(names)}
    if known is None:  # no cache: only the tags asked for
        known = {t.name.casefold(): t for t in Tag.objects.owned_by(owner).order_by("name")
                 if t.name.casefold() in folded}
    elif not known and folded:  # a cache's first use: every tag of the owner, once
        for tag in Tag.objects.owned_by(owner).order_by("name"):
            known.setdefault(tag.name.casefold(), tag)
    missing = [folded[f] for f in folded if f not in known]
    if missing:
        Tag.objects.bulk_create([Tag(owner=owner, name=n) for n in missing], ignore_conflicts=True)
        for tag in Tag.objects.owned_by(owner).filter(name__in=missing):
            known.setdefault(tag.name.casefold(), tag)
    return known
