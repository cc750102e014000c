"""The pipeline's stages: the defaults every account starts with, renaming and reordering."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from lte.crm.models import Stage
from lte.crm.services.normalise import MAX_TOUCH_DAYS, clean_text

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


def clean_rule_days(value) -> int | None:
    """A stage's follow-up rule: whole days from 1 to a year, or none."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_TOUCH_DAYS:
        raise ValidationError({"followup_days": f"must be between 1 and {MAX_TOUCH_DAYS} days, or empty for no rule."})
    return value


@transaction.atomic
def stage_rule_set(*, owner, slug: str, followup_days) -> Stage:
    """The stage's follow-up rule ("Presented → follow up in 2 days"); None removes it. Contacts moved into the
    stage from now on get the follow-up; ones already there keep what they have."""
    stage = stage_by_slug(owner, slug)
    stage.followup_days = clean_rule_days(followup_days)
    stage.save(update_fields=["followup_days"])
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
