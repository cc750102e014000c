"""Daily activity: today's counters (reach-outs, follow-ups done, presentations) and the daily goal."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext

from lte.crm.models import ActivityDay, ActivityGoal
from lte.lib.zones import today_for


def activity_add(*, owner, reach_outs: int = 0, follow_ups: int = 0, presentations: int = 0,
                 day: date | None = None) -> ActivityDay:
    day = day or today_for(owner)
    row, _ = ActivityDay.objects.get_or_create(owner=owner, day=day)
    ActivityDay.objects.filter(pk=row.pk).update(
        reach_outs=F("reach_outs") + reach_outs, follow_ups=F("follow_ups") + follow_ups,
        presentations=F("presentations") + presentations,
    )
    row.refresh_from_db()
    return row


def activity_goal(owner) -> ActivityGoal:
    """The owner's goals, or the defaults (unsaved: showing the dashboard writes nothing)."""
    return ActivityGoal.objects.filter(owner=owner).first() or ActivityGoal(owner=owner)


@transaction.atomic
def activity_goal_set(*, owner, reach_outs: int, follow_ups: int, presentations: int) -> ActivityGoal:
    for name, value in (("reach_outs", reach_outs), ("follow_ups", follow_ups), ("presentations", presentations)):
        if not isinstance(value, int) or not 0 <= value <= 1000:
            raise ValidationError({name: gettext("must be a whole number from 0 to 1000.")})
    goal, _ = ActivityGoal.objects.get_or_create(owner=owner)
    goal.reach_outs, goal.follow_ups, goal.presentations = reach_outs, follow_ups, presentations
    goal.save()
    return goal
