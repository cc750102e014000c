"""The pipeline's stages: the defaults every account starts with; adding, renaming, reordering and deleting."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

from lte.crm.models import Contact, Stage, StageChange
from lte.crm.services.followups import schedule_reorder
from lte.crm.services.normalise import MAX_TOUCH_DAYS, clean_text

# Named in the account's language when they are created (then they are the seller's own, to rename).
DEFAULT_STAGES = [
    ("new-lead", _("New lead")), ("contacted", _("Contacted")), ("presented", _("Presented")),
    ("following-up", _("Following up")), ("customer", _("Customer")), ("team-member", _("Team member")),
    ("not-now", _("Not now")),
]
CUSTOMER_STAGE = "customer"
FIRST_STAGE = "new-lead"
MAX_STAGES = 20
NAME_MAX = 40


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


def first_stage(owner) -> Stage:
    """Where a new contact starts: "New lead" while the seller keeps it, else the first stage of their pipeline."""
    pipeline = stages_of(owner)
    return next((s for s in pipeline if s.slug == FIRST_STAGE), pipeline[0])


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
    stage.name = _unused_name(owner, name, but=stage)
    stage.save(update_fields=["name"])
    return stage


def _unused_name(owner, name: str, *, but: Stage | None = None) -> str:
    name = clean_text(name, field="name", max_length=NAME_MAX, required=True)
    others = Stage.objects.owned_by(owner).exclude(pk=but.pk if but else None)
    same = next((s for s in others if s.name.casefold() == name.casefold()), None)
    if same is not None:
        raise ValidationError({"name": gettext("There is already a stage called “%(name)s”.") % {"name": same.name}})
    return name


@transaction.atomic
def stage_create(*, owner, name: str) -> Stage:
    """A new stage at the end of the pipeline. Its slug comes from the name and never changes (renaming keeps it)."""
    pipeline = stages_of(owner)
    if len(pipeline) >= MAX_STAGES:
        raise ValidationError({"name": gettext("A pipeline has at most %(max)s stages.") % {"max": MAX_STAGES}})
    name = _unused_name(owner, name)
    base = slugify(name)[:NAME_MAX - 4].strip("-") or "stage"
    taken = {s.slug for s in pipeline}
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return Stage.objects.create(owner=owner, slug=slug, name=name,
                                position=max(s.position for s in pipeline) + 1)


@transaction.atomic
def stage_delete(*, owner, slug: str, move_to: str | None = None) -> int:
    """Deletes a stage; the contacts in it move to `move_to` (needed when there are any), each with the move on its
    timeline. Moving is not working a contact: no stage rule fires, and `updated_at` says the record changed.
    Returns how many contacts moved."""
    stage = stage_by_slug(owner, slug)
    if Stage.objects.owned_by(owner).count() <= 1:
        raise ValidationError({"stage": gettext("A pipeline keeps at least one stage.")})
    contacts = Contact.objects.owned_by(owner).filter(stage=stage)
    moving = list(contacts.values_list("pk", flat=True))
    if moving:
        if not move_to:
            raise ValidationError({"move_to": gettext("Choose the stage its contacts move to.")})
        target = stage_by_slug(owner, move_to)
        if target.pk == stage.pk:
            raise ValidationError({"move_to": gettext("Choose another stage for its contacts.")})
        at = timezone.now()
        StageChange.objects.bulk_create(
            [StageChange(owner=owner, contact_id=pk, from_name=stage.name, to_name=target.name, at=at)
             for pk in moving], batch_size=1000)
        reorders: list[Contact] = []
        if target.slug == CUSTOMER_STAGE:  # as moving one contact there does: a customer since today
            contacts.filter(customer_since__isnull=True).update(customer_since=timezone.localdate())
            reorders = list(contacts.filter(reorder_every_days__isnull=False).select_related("owner"))
        contacts.update(stage=target, updated_at=at)
        for contact in reorders:
            schedule_reorder(contact)
    stage.delete()
    return len(moving)


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
