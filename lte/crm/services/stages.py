"""The pipeline's stages: the defaults every account starts with, renaming and reordering."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from lte.crm.models import Stage
from lte.crm.services.normalise import MAX_TOUCH_DAYS, clean_text

# Named in the account's language when they are created (then they are the seller's own, to rename).
DEFAULT_STAGES = [
    ("new-lead", _("New lead")), ("contacted", _("Contacted")), ("presented", _("Presented")),
    ("following-up", _("Following up")), ("customer", _("Customer")), ("team-member", _("Team member")),
    ("not-now", _("Not now")),
]
CUSTOMER_STAGE = "customer"


@transaction.atomic
def stage_defaults_create(*, owner) -> list[Stage]:
    """The pipeline every account starts with (PRODUCT.md); renamable and reorderable afterwards."""
    existing = list(Stage.objects.owned_by(owner))
    if existing:
        return existing
    with translation.override(getattr(owner, "language", None) or "en"):
        named = [(slug, gettext(name)) for slug, name in DEFAULT_STAGES]
    Stage.objects.bulk_create(
        [Stage(owner=owner, slug=slug, name=name, position=i) for i, (slug, name) in enumerate(named)],
        ignore_conflicts=True,
    )
    return list(Stage.objects.owned_by(owner))


def is_default_name(slug: str, name: str) -> bool:
    """Whether a stage still has the name it started with, in whichever language the account had then."""
    default = dict(DEFAULT_STAGES).get(slug)
    if default is None:
        return False
    names = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.add(gettext(default))
    return name in names


def stages_of(owner) -> list[Stage]:
    return list(Stage.objects.owned_by(owner)) or stage_defaults_create(owner=owner)


def stage_by_slug(owner, slug: str) -> Stage:
    stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None and not Stage.objects.owned_by(owner).exists():
        stage_defaults_create(owner=owner)
        stage = Stage.objects.owned_by(owner).filter(slug=slug).first()
    if stage is None:
        raise ValidationError({"stage": gettext("There is no stage “%(slug)s”.") % {"slug": slug[:40]}})
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
        raise ValidationError({"stages": gettext("Give every stage exactly once.")})
    for position, slug in enumerate(slugs):
        stages[slug].position = position
    Stage.objects.bulk_update(list(stages.values()), ["position"])
    return stages_of(owner)
