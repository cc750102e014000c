"""The daily activity pages: the week against the goal, setting the goal, +1 on today's counters."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lte.crm.forms import GoalForm
from lte.crm.models import ActivityDay, ActivityGoal
from lte.crm.services import activity
from lte.crm.views.today import COUNTERS, activity_today, counters
from lte.lib.formats import account_country, week_start
from lte.lib.http import form_errors, is_htmx, next_url
from lte.lib.zones import today_for


@login_required
@require_GET
def activity_week(request: HttpRequest) -> HttpResponse:
    """This week, from the first day of the week where the seller is (Sunday in the US and Brazil, Monday in
    Spain, France, Germany: CLDR) to its last, against the goal; the days still to come count nothing yet."""
    user = request.user
    today = today_for(user)
    first = week_start(today, country=account_country(user))
    last = first + timedelta(days=6)
    rows = {row.day: row for row in ActivityDay.objects.owned_by(user).filter(day__gte=first, day__lte=today)}
    goal = activity.activity_goal(user)
    week = [rows.get(day) or ActivityDay(day=day) for day in (first + timedelta(days=n) for n in range(7))]
    days = [{"day": row.day, "today": row.day == today, "later": row.day > today, "counters": counters(row, goal)}
            for row in week]
    totals = counters(ActivityDay(**{name: sum(getattr(row, name) for row in week) for name in COUNTERS}),
                       ActivityGoal(**{name: getattr(goal, name) * 7 for name in COUNTERS}))
    form = GoalForm(initial={name: getattr(goal, name) for name in COUNTERS})
    return render(request, "crm/activity.html", {"days": days, "totals": totals, "form": form, "first": first,
                                                 "last": last, "section": "activity"})


@login_required
@require_POST
def activity_goal(request: HttpRequest) -> HttpResponse:
    form = GoalForm(request.POST)
    if form.is_valid():
        with form_errors(form):
            activity.activity_goal_set(owner=request.user, **form.cleaned_data)
            messages.success(request, _("Your daily goal is saved."))
            return redirect("crm:activity")
    messages.error(request, _("Goals are whole numbers from 0 to 1000."))
    return redirect("crm:activity")


@login_required
@require_POST
def activity_add(request: HttpRequest) -> HttpResponse:
    """+1 on one of today's counters (presentations happen off the app, so they're counted by hand)."""
    counter = request.POST.get("counter", "")
    if counter not in COUNTERS:
        raise Http404
    activity.activity_add(owner=request.user, reach_outs=int(counter == "reach_outs"),
                          follow_ups=int(counter == "follow_ups"), presentations=int(counter == "presentations"))
    if is_htmx(request):
        return render(request, "crm/_activity_today.html", activity_today(request.user))
    return redirect(next_url(request, reverse("crm:dashboard")))
