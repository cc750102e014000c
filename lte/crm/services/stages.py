"""The pipeline's stages: the defaults every account starts with, renaming and reordering."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from lte.crm.models import Stage
from lte.crm.services.normalise import clean_text

DEFAULT_STAGES = [
    ("new-lead", "New lead"), ("contacted", "Contacted"), ("presented", "Presented"),
    ("following-up", "Following up"), ("customer", "Customer"), ("team-member", "Team member"), ("not-now", "Not now"),
]
CUSTOMER_STAGE = "customer"


@transaction.atomic
def stage_defaults_create(*, owner) -> list[Stage]:
    """The pipeline every account starts with (PRODUCT.md); renamable and reorderable afterwards."""
    existing = list(Stage.objects.owned_by(owner))
    if existing:
        return existing
    Stage.objects.bulk_create(
        [Stage(owner=owner, slug=slug, name=name, position=i) for i, (slug, name) in enumerate(DEFAULT_STAGES)],
        ignore_conflicts=True,
    )
    return list(Stage.objects.owned_by(owner))


def stages_of(owner) -> list[Stage]:
    return list(Stage.objects.owned_by(owner)) or stage_defaults_create(owner=owner)


def stage_by_slug(owner, slug: str) -> Stage:
    stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None and not Stage.objects.owned_by(owner).exists():
        stage_defaults_create(owner=owner)
        stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None:
        raise ValidationError({"stage": f"There is no stage “{slug[:40]}”."})
    return stage


@transaction.atomic
def stage_rename(*, owner, slug: str, name: str) -> Stage:
    stage = stage_by_slug(owner, slug)
    stage.name = clean_text(name, field="name", max_length=40, required=True)
    stage.save(update_fields=["name"])
    return stage


@transaction.atomic
def stage_reorder(*, owner, slugs: list[str]) -> list[Stage]:
    stages = {s.slug: s for s in stages_of(owner)}
    if sorted(slugs) != sorted(stages):
        raise ValidationError({"stages": "Give every stage exactly once."})
    for position, slug in enumerate(slugs):
        stages[slug].position = position
    Stage.objects.bulk_update(list(stages.values()), ["position"])
    return stages_of(owner)
