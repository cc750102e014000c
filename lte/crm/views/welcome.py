"""The first run: three steps shown once after the first sign-in (import the phone's contacts as a vCard, keep
or delete the starter scripts, set a daily goal of reach-outs). Skippable; finished or skipped, never again."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from lte.accounts.models import User
from lte.crm.models import MessageTemplate
from lte.crm.services import activity

STEPS = (1, 2, 3)


class DailyGoalForm(forms.Form):
    reach_outs = forms.IntegerField(label=_("Reach-outs a day"), min_value=0, max_value=1000,
                                    widget=forms.NumberInput(attrs={"inputmode": "numeric"}))


def _step(request: HttpRequest) -> int:
    try:
        step = int(request.GET.get("step") or request.POST.get("step") or 1)
    except ValueError:
        return 1
    return step if step in STEPS else 1


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _finish(user) -> HttpResponse:
    User.objects.filter(pk=user.pk, onboarded_at__isnull=True).update(onboarded_at=timezone.now())
    return redirect("crm:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.onboarded_at is not None:  # type: ignore[union-attr]
        return redirect("crm:dashboard")
    step = _step(request)
    scripts = MessageTemplate.objects.owned_by(user).order_by("name")
    goal = activity.activity_goal(user)
    form = DailyGoalForm(initial={"reach_outs": goal.reach_outs})
    if request.method == "POST":
        if request.POST.get("action") == "skip":
            return _finish(user)
        if step == 2:
            keep = [pk for pk in request.POST.getlist("keep") if _is_uuid(pk)]
            with transaction.atomic():
                scripts.exclude(pk__in=keep).delete()
        elif step == 3:
            form = DailyGoalForm(request.POST)
            if form.is_valid():
                activity.activity_goal_set(owner=user, reach_outs=form.cleaned_data["reach_outs"],
                                           follow_ups=goal.follow_ups, presentations=goal.presentations)
                return _finish(user)
            return render(request, "crm/welcome.html", {"step": step, "steps": STEPS, "form": form}, status=400)
        return redirect(f"{reverse('crm:welcome')}?step={step + 1}")
    return render(request, "crm/welcome.html", {"step": step, "steps": STEPS, "scripts": scripts, "form": form})
