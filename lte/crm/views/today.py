"""Today, the signed-in home (/app/): follow-ups due, overdue and coming up, today's activity against the goal,
a quick capture.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from lte.accounts.forms import CountryForm
from lte.accounts.preferences import guess_country
from lte.crm import queries
from lte.crm.forms import QuickContactForm
from lte.crm.models import ActivityDay
from lte.crm.services import activity
from lte.crm.views.contacts import FOLLOWUP_ROWS
from lte.lib.zones import day_start, today_for

UPCOMING_DAYS = 7
COUNTERS = ("reach_outs", "follow_ups", "presentations")


def activity_today(user) -> dict[str, Any]:
    today = today_for(user)
    day = ActivityDay.objects.owned_by(user).filter(day=today).first() or ActivityDay(day=today)
    goal = activity.activity_goal(user)
    return {"day": day, "goal": goal, "counters": counters(day, goal)}


def counters(day: ActivityDay, goal) -> list[dict[str, Any]]:
    labels = {"reach_outs": _("Reach-outs"), "follow_ups": _("Follow-ups done"),
              "presentations": _("Presentations")}
    out = []
    for name in COUNTERS:
        value, target = getattr(day, name), getattr(goal, name)
        out.append({"name": name, "label": labels[name], "value": value, "goal": target,
                    "max": max(target, 1), "met": value >= target})
    return out


def today_context(request: HttpRequest) -> dict[str, Any]:
    """What the Today page shows: follow-ups due today, overdue and in the next week; today's activity."""
    user = request.user
    start = day_start(user, today_for(user))
    horizon = start + timedelta(days=UPCOMING_DAYS + 1)
    overdue = queries.followups(user, "overdue").order_by("due_at")
    upcoming = queries.followups(user, "upcoming").filter(due_at__lt=horizon)
    return {
        "today_followups": list(queries.followups(user, "today")[:FOLLOWUP_ROWS]),
        "overdue_followups": list(overdue[:FOLLOWUP_ROWS]),
        "overdue_count": overdue.count(),
        "upcoming_followups": list(upcoming[:FOLLOWUP_ROWS]),
        "birthdays": queries.birthdays_on(user, today_for(user))[:FOLLOWUP_ROWS],
        "reorders_week": list(queries.reorders_this_week(user)[:FOLLOWUP_ROWS]),
        "quick_form": QuickContactForm(),
        "here": request.get_full_path(),
        "now": timezone.now(),
        "section": "today",
        **activity_today(user),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Today: follow-ups due, overdue and coming up, today's activity against the goal, a quick capture.

    While the account has no country, a one-question form asks for it first (pre-filled with our guess),
    because a number typed without its +country code can't be read without one.
    """
    context = today_context(request)
    if not request.user.country:  # type: ignore[union-attr]
        context["country_form"] = CountryForm(initial={"country": guess_country(request)})
    return render(request, "crm/dashboard.html", context)
