"""Follow-ups: set on a contact, the Today/Overdue/Upcoming lists, done, undo, snooze, edit, delete (htmx rows)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.crm import queries
from lte.crm.forms import FollowUpEditForm, FollowUpForm
from lte.crm.models import FollowUp
from lte.crm.services import followups
from lte.crm.views.contacts import FOLLOWUP_ROWS, contact_detail_url, contact_for, invalid_detail, saved_in_place
from lte.crm.views.today import activity_today
from lte.lib.formats import format_day, format_moment
from lte.lib.http import form_errors, found, is_htmx, next_url, owned


@login_required
@require_POST
def followup_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        with form_errors(form):
            followup = followups.followup_create(owner=request.user, contact_id=contact.pk,
                                                title=form.cleaned_data["title"],
                                                due_at=form.cleaned_data["due_at"])
            when = format_moment(followup.due_at, "MMMEdjm")
            return saved_in_place(request, contact, "followup",
                                  _("Follow-up set for %(when)s.") % {"when": when}, followup.pk)
    return invalid_detail(request, contact, followup_form=form)

DUE_TABS = {"today": gettext_lazy("Today"), "overdue": gettext_lazy("Overdue"), "upcoming": gettext_lazy("Upcoming")}


@login_required
@require_GET
def followup_list(request: HttpRequest) -> HttpResponse:
    due = request.GET.get("due", "today")
    due = due if due in DUE_TABS else "today"
    counts = {tab: queries.followups(request.user, tab).count() for tab in DUE_TABS}
    rows = list(queries.followups(request.user, due).order_by("due_at")[:FOLLOWUP_ROWS])
    tabs = [{"due": tab, "label": label, "count": counts[tab]} for tab, label in DUE_TABS.items()]
    return render(request, "crm/followup_list.html", {
        "due": due, "tabs": tabs, "followups": rows, "count": counts[due], "here": request.get_full_path(),
        "now": timezone.now(), "section": "followups"})


def _followup_done(request: HttpRequest, followup_id, *, done: bool, state: str, message: str) -> HttpResponse:
    followup = owned(FollowUp, request, followup_id)
    with found():
        followup = followups.followup_update(owner=request.user, followup_id=followup.pk, done=done)
    return _followup_response(request, followup, state, message)


def _followup_response(request: HttpRequest, followup: FollowUp, state: str, message: str) -> HttpResponse:
    if is_htmx(request):
        followup = FollowUp.objects.owned_by(request.user).select_related("contact").get(pk=followup.pk)
        with_counters = request.POST.get("counters") == "1"
        context = {"f": followup, "state": state, "next": next_url(request, ""), "now": timezone.now(),
                   "with_counters": with_counters, "oob": with_counters,
                   "with_delete": request.POST.get("deletable") == "1"}
        if with_counters:  # the Today page's counters change too: htmx swaps them out of band
            context |= activity_today(request.user)
        return render(request, "crm/_followup_row.html", context)
    messages.success(request, message)
    return redirect(next_url(request, reverse("crm:followup-list")))


@login_required
@require_POST
def followup_done(request: HttpRequest, followup_id) -> HttpResponse:
    return _followup_done(request, followup_id, done=True, state="done", message=_("Done. Nice work."))


@login_required
@require_POST
def followup_undo(request: HttpRequest, followup_id) -> HttpResponse:
    return _followup_done(request, followup_id, done=False, state="open", message=_("Back on your list."))


@login_required
@require_POST
def followup_snooze(request: HttpRequest, followup_id) -> HttpResponse:
    followup = owned(FollowUp, request, followup_id)
    choice = request.POST.get("choice", "")[:20]
    on = parse_date(request.POST.get("on", "")[:10].strip() or "") if choice == "date" else None
    try:
        with found():
            followup = followups.followup_snooze(owner=request.user, followup_id=followup.pk, days=1,
                                                 choice=choice or None, on=on)
    except (ValidationError, ValueError):
        if is_htmx(request):
            return HttpResponse(_("Pick a day after today to snooze to."), status=400)
        messages.error(request, _("Pick a day after today to snooze to."))
        return redirect(next_url(request, reverse("crm:followup-list")))
    when = format_moment(followup.due_at, "MMMEdjm") if choice == "later" else format_day(followup.due_at, "MMMEd")
    return _followup_response(request, followup, "snoozed", _("Snoozed to %(when)s.") % {"when": when})


@login_required
@require_POST
def followup_delete(request: HttpRequest, followup_id) -> HttpResponse:
    followup = owned(FollowUp, request, followup_id)
    with found():
        followups.followup_delete(owner=request.user, followup_id=followup.pk)
    if is_htmx(request):
        return HttpResponse("")  # htmx swaps the row away
    messages.success(request, _("Follow-up deleted."))
    return redirect(next_url(request, reverse("crm:followup-list")))


@login_required
@require_http_methods(["GET", "POST"])
def followup_edit(request: HttpRequest, followup_id) -> HttpResponse:
    followup = owned(FollowUp, request, followup_id,
                     FollowUp.objects.owned_by(request.user).select_related("contact"))
    initial = {"title": followup.title, "due_at": timezone.localtime(followup.due_at)}
    form = FollowUpEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            followups.followup_update(owner=request.user, followup_id=followup.pk, **form.cleaned_data)
            messages.success(request, _("Follow-up saved."))
            return redirect(next_url(request, contact_detail_url(followup.contact_id)))
    return render(request, "crm/followup_form.html", {"form": form, "f": followup, "next": next_url(request, ""),
                                                      "section": "followups"},
                  status=400 if form.errors else 200)
