"""A member's weekly activity, as counts and nothing else: the one place team code reads a member's CRM.

Counted at read time, only for a member who shares (the caller checks `Membership.share_activity`), from the
member's own daily counters and the day each customer became one. Only aggregates leave the database: no row,
no name and no sealed value is loaded, so nothing here could open the member's key (the vault's guard would
refuse it anyway: the request is the leader's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.db.models import Sum

from lte.crm.models import ActivityDay, Contact
from lte.lib.zones import today_for

WEEK_DAYS = 7


@dataclass(frozen=True)
class WeeklyCounts:
    reach_outs: int = 0  # messages sent (each outgoing message logged counts one) and reach-outs counted by hand
    follow_ups: int = 0  # follow-ups done
    presentations: int = 0  # presentations given (counted by the seller on the Today page)
    new_customers: int = 0  # contacts who became customers

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def __add__(self, other: WeeklyCounts) -> WeeklyCounts:
        return WeeklyCounts(**{name: getattr(self, name) + getattr(other, name) for name in asdict(self)})


def week_of(user) -> tuple[date, date]:
    """The last 7 days, today included, in the member's own timezone (as their Activity page shows them)."""
    today = today_for(user)
    return today - timedelta(days=WEEK_DAYS - 1), today


def weekly_counts(member) -> WeeklyCounts:
    first, last = week_of(member)
    sums = ActivityDay.objects.owned_by(member).filter(day__gte=first, day__lte=last).aggregate(
        reach_outs=Sum("reach_outs"), follow_ups=Sum("follow_ups"), presentations=Sum("presentations"))
    customers = Contact.objects.owned_by(member).filter(customer_since__gte=first, customer_since__lte=last).count()
    return WeeklyCounts(reach_outs=sums["reach_outs"] or 0, follow_ups=sums["follow_ups"] or 0,
                        presentations=sums["presentations"] or 0, new_customers=customers)
