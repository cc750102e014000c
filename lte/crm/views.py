"""The CRM pages: thin views over lte.crm.services (writes) and owner-scoped querysets (reads).

Every object is fetched through `objects.owned_by(request.user)` or a service, so another account's id
is a 404, exactly like a missing one. Changes are POSTs that redirect (they work without JavaScript);
htmx requests get the partial the same view renders into its full page.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

import phonenumbers
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.crm import queries
from lte.crm.forms import (
    ContactForm,
    FollowUpEditForm,
    FollowUpForm,
    GoalForm,
    MessageForm,
    NoteForm,
    QuickContactForm,
    StageNameForm,
    TemplateForm,
    add_service_errors,
)
from lte.crm.models import (
    ActivityDay,
    ActivityGoal,
    Contact,
    DuplicateDismissal,
    FollowUp,
    Message,
    MessageTemplate,
    Note,
    Stage,
    StageChange,
    Tag,
)
from lte.crm.services import activity, contacts, duplicates, followups, notes, stages, templates
from lte.crm.services.messages import message_log
from lte.lib.zones import day_start, today_for

PAGE_SIZE = 50
BOARD_CARDS = 50
FOLLOWUP_ROWS = 100
TIMELINE_EACH = 100
UPCOMING_DAYS = 7
SORTS = {"name": gettext_lazy("Name"), "-last_contacted": gettext_lazy("Last contacted"),
         "-created": gettext_lazy("Newest first")}
COUNTERS = ("reach_outs", "follow_ups", "presentations")


# --- Helpers ---------------------------------------------------------------------------------------------


def is_htmx(request: HttpRequest) -> bool:
    """An htmx swap (not a history restore, which needs the whole page)."""
    return request.headers.get("HX-Request") == "true" and not request.headers.get("HX-History-Restore-Request")


@contextlib.contextmanager
def found() -> Iterator[None]:
    """A service's DoesNotExist (missing, or another account's) becomes the same 404."""
    try:
        yield
    except ObjectDoesNotExist:
        raise Http404 from None


def owned(model, request: HttpRequest, pk, query=None):
    return get_object_or_404(query if query is not None else model.objects.owned_by(request.user), pk=pk)


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go back to after a POST: the page's own `next`, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def contact_detail_url(contact_id) -> str:
    return reverse("crm:contact-detail", args=[contact_id])


# --- Reaching a contact: tel:, sms:, WhatsApp and mailto: links ------------------------------------------


def encode(text: str) -> str:
    """Percent-encodes a message for a URL's query (spaces as %20: SMS and mail apps don't read '+')."""
    return quote(text, safe="")


def mail_encode(text: str) -> str:
    """mailto: bodies use CRLF line breaks (RFC 6068)."""
    return encode(text.replace("\r\n", "\n").replace("\n", "\r\n"))


@dataclass
class Phone:
    number: str  # E.164
    display: str
    tel: str
    sms: str
    whatsapp: str
    label: str = ""


@dataclass
class Email:
    address: str
    mailto: str
    label: str = ""


def phone_links(e164: str, label: str = "") -> Phone:
    try:
        display = phonenumbers.format_number(phonenumbers.parse(e164), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    except phonenumbers.NumberParseException:
        display = e164
    digits = "".join(ch for ch in e164 if ch.isdigit())
    plus = "+" + digits
    return Phone(number=e164, display=display, tel=f"tel:{plus}", sms=f"sms:{plus}",
                 whatsapp=f"https://wa.me/{digits}", label=label)


def email_links(address: str, label: str = "") -> Email:
    return Email(address=address, mailto="mailto:" + quote(address, safe="@+"), label=label)


def prefilled(contact: Contact, body: str, subject: str = "") -> list[dict[str, str]]:
    """Buttons that open the phone's own app with the message typed in. `base` lets lte.js re-encode an
    edited message; `crlf` marks mailto: bodies."""
    links = []
    for phone in map(phone_links, contact.phones):
        links.append({"channel": "sms", "label": _("SMS"), "to": phone.display,
                      "base": f"{phone.sms}?&body=", "href": f"{phone.sms}?&body={encode(body)}", "crlf": ""})
        links.append({"channel": "whatsapp", "label": _("WhatsApp"), "to": phone.display,
                      "base": f"{phone.whatsapp}?text=", "href": f"{phone.whatsapp}?text={encode(body)}", "crlf": ""})
    for email in map(email_links, contact.emails):
        base = f"{email.mailto}?subject={encode(subject)}&body=" if subject else f"{email.mailto}?body="
        links.append({"channel": "email", "label": _("Email"), "to": email.address,
                      "base": base, "href": base + mail_encode(body), "crlf": "1"})
    return links


# --- Today (the dashboard) ---------------------------------------------------------------------------


def activity_today(user) -> dict[str, Any]:
    today = today_for(user)
    day = ActivityDay.objects.owned_by(user).filter(day=today).first() or ActivityDay(day=today)
    goal = activity.activity_goal(user)
    return {"day": day, "goal": goal, "counters": _counters(day, goal)}


def _counters(day: ActivityDay, goal) -> list[dict[str, Any]]:
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
        "quick_form": QuickContactForm(),
        "here": request.get_full_path(),
        "now": timezone.now(),
        "section": "today",
        **activity_today(user),
    }


# --- Contacts ------------------------------------------------------------------------------------------


@login_required
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    q = request.GET.get("q", "")[:200]
    tag = request.GET.get("tag", "")[:40]
    stage = request.GET.get("stage", "")[:40]
    sort = request.GET.get("sort", "name")
    sort = sort if sort in SORTS else "name"
    cursor = request.GET.get("cursor", "")[:500] or None
    try:
        result = queries.page(user, q=q, tag=tag, stage=stage, sort=sort, limit=PAGE_SIZE, cursor=cursor,
                              with_count=not cursor)
    except ValidationError:  # a stale or hand-made cursor: start from the top
        cursor = None
        result = queries.page(user, q=q, tag=tag, stage=stage, sort=sort, limit=PAGE_SIZE)
    filters = {k: v for k, v in (("q", q), ("tag", tag), ("stage", stage), ("sort", sort)) if v}
    more_url = (reverse("crm:contact-list") + "?" + urlencode({**filters, "cursor": result.next_cursor})
                if result.next_cursor else "")
    context = {"page": result, "more_url": more_url, "more": bool(cursor), "q": q, "tag": tag, "stage": stage,
               "sort": sort}
    if is_htmx(request):
        response = render(request, "crm/_contact_rows.html", context)
    else:
        context |= {"sorts": SORTS, "stages": stages.stages_of(user),
                    "tags": Tag.objects.owned_by(user).values_list("name", flat=True),
                    "filtered": bool(q or tag or stage), "section": "contacts"}
        response = render(request, "crm/contact_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    pipeline = stages.stages_of(request.user)
    form = ContactForm(request.POST or None, stages=pipeline, initial={"stage": pipeline[0].slug if pipeline else ""})
    if request.method == "POST" and form.is_valid():
        try:
            contact = contacts.contact_create(owner=request.user, data=form.contact_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Contact added."))
            return redirect(contact_detail_url(contact.pk))
    return render(request, "crm/contact_form.html", {"form": form, "sources": contacts.DEFAULT_SOURCES,
                                                     "section": "contacts"}, status=400 if form.errors else 200)


@login_required
@require_POST
def contact_quick_add(request: HttpRequest) -> HttpResponse:
    """The Today page's quick capture. If anything is wrong, the full form opens with what was typed."""
    quick = QuickContactForm(request.POST)
    error = None
    if quick.is_valid():
        try:
            contact = contacts.contact_create(owner=request.user, data=quick.contact_data())
        except ValidationError as exc:
            error = exc
        else:
            messages.success(request, _("Contact added. Add a note or a follow-up while it's fresh."))
            return redirect(contact_detail_url(contact.pk))
    pipeline = stages.stages_of(request.user)
    typed = quick.data
    form = ContactForm({"first_name": typed.get("first_name", ""), "last_name": typed.get("last_name", ""),
                        "phones": typed.get("phone", ""), "emails": typed.get("email", ""),
                        "stage": pipeline[0].slug if pipeline else ""}, stages=pipeline)
    form.is_valid()
    for field, errors in quick.errors.items():
        target = {"phone": "phones", "email": "emails"}.get(field, field)
        form.add_error(target if target in form.fields else None, errors)
    if error is not None:
        add_service_errors(form, error)
    return render(request, "crm/contact_form.html", {"form": form, "sources": contacts.DEFAULT_SOURCES,
                                                     "section": "contacts"}, status=400)


def _detail_context(request: HttpRequest, contact: Contact, **forms: Any) -> dict[str, Any]:
    user = request.user
    notes = Note.objects.owned_by(user).filter(contact=contact).order_by("-created_at")[:TIMELINE_EACH]
    sent = Message.objects.owned_by(user).filter(contact=contact).order_by("-sent_at")[:TIMELINE_EACH]
    moves = StageChange.objects.owned_by(user).filter(contact=contact).order_by("-at")[:TIMELINE_EACH]
    followups = FollowUp.objects.owned_by(user).filter(contact=contact).order_by("-created_at")[:TIMELINE_EACH]
    timeline = ([{"kind": "note", "at": n.created_at, "item": n} for n in notes]
                + [{"kind": "message", "at": m.sent_at, "item": m} for m in sent]
                + [{"kind": "stage", "at": s.at, "item": s} for s in moves]
                + [{"kind": "followup", "at": f.done_at or f.created_at, "item": f} for f in followups])
    timeline.sort(key=lambda entry: entry["at"], reverse=True)
    open_followups = (FollowUp.objects.owned_by(user).filter(contact=contact, done_at__isnull=True)
                      .select_related("contact").order_by("due_at")[:FOLLOWUP_ROWS])
    return {
        "contact": contact,
        "phones": [phone_links(p, label) for p, label in zip(contact.phones, contact.phone_labels, strict=True)],
        "emails": [email_links(e, label) for e, label in zip(contact.emails, contact.email_labels, strict=True)],
        "stages": stages.stages_of(user),
        "open_followups": open_followups,
        "timeline": timeline,
        "duplicates": duplicates.find_duplicates(owner=user, emails=contact.emails, phones=contact.phones,
                                               exclude=contact.pk),
        "templates": MessageTemplate.objects.owned_by(user)[:8],
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "message_form": forms.get("message_form") or MessageForm(prefix="msg"),
        "followup_form": forms.get("followup_form") or FollowUpForm(prefix="fu"),
        "in_days": FollowUpForm.IN_DAYS,
        "here": request.get_full_path(),
        "now": timezone.now(),
        "section": "contacts",
    }


def _contact(request: HttpRequest, contact_id) -> Contact:
    query = Contact.objects.owned_by(request.user).select_related("stage").prefetch_related("tags")
    return owned(Contact, request, contact_id, query)


@login_required
@require_GET
def contact_detail(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    return render(request, "crm/contact_detail.html", _detail_context(request, contact))


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    pipeline = stages.stages_of(request.user)
    form = ContactForm(request.POST or None, stages=pipeline, initial=ContactForm.initial_for(contact))
    if request.method == "POST" and form.is_valid():
        try:
            with found():
                contacts.contact_update(owner=request.user, contact_id=contact.pk,
                                        data=form.contact_data(contact))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(contact_detail_url(contact.pk))
    return render(request, "crm/contact_form.html", {"form": form, "contact": contact,
                                                     "sources": contacts.DEFAULT_SOURCES, "section": "contacts"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    if request.method == "POST":
        with found():
            contacts.contact_delete(owner=request.user, contact_id=contact.pk)
        messages.success(request, _("The contact and everything about them is deleted."))
        return redirect("crm:contact-list")
    return render(request, "crm/confirm.html", {
        "title": _("Delete this contact?"), "contact": contact, "action": reverse("crm:contact-delete",
                                                                                  args=[contact.pk]),
        "explain": _("Their notes, messages and follow-ups are deleted too. This can't be undone."),
        "confirm": _("Delete"), "danger": True, "back": contact_detail_url(contact.pk), "section": "contacts"})


@login_required
@require_POST
def contact_stage(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    try:
        with found():
            contact = contacts.contact_set_stage(owner=request.user, contact_id=contact.pk,
                                                 stage=request.POST.get("stage", "")[:40])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": contact.stage.name})
    return redirect(next_url(request, contact_detail_url(contact.pk)))


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    """Folds a duplicate (`other_id`) into this contact, after a confirmation."""
    keep = _contact(request, contact_id)
    other = _contact(request, other_id)
    if request.method == "POST":
        try:
            with found():
                duplicates.contact_merge(owner=request.user, keep_id=keep.pk, merge_id=other.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Merged. Everything from the duplicate is on this contact now."))
        return redirect(contact_detail_url(keep.pk))
    return render(request, "crm/confirm.html", {
        "title": _("Merge these contacts?"), "contact": keep, "other": other,
        "action": reverse("crm:contact-merge", args=[keep.pk, other.pk]),
        "explain": _("Emails, phone numbers, tags, notes, messages and follow-ups of the duplicate move to this "
                     "contact; empty fields are filled in. The duplicate is then deleted."),
        "confirm": _("Merge into this one"), "danger": False, "back": contact_detail_url(keep.pk),
        "section": "contacts"})


# --- Notes, messages and follow-ups on a contact ------------------------------------------------------


def _invalid_detail(request: HttpRequest, contact: Contact, **forms: Any) -> HttpResponse:
    return render(request, "crm/contact_detail.html", _detail_context(request, contact, **forms), status=400)


@login_required
@require_POST
def note_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            with found():
                notes.note_create(owner=request.user, contact=contact, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Note saved."))
            return redirect(contact_detail_url(contact.pk))
    return _invalid_detail(request, contact, note_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id) -> HttpResponse:
    note = owned(Note, request, note_id, Note.objects.owned_by(request.user).select_related("contact"))
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        try:
            with found():
                notes.note_update(owner=request.user, note_id=note.pk, body=form.cleaned_data["body"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Note saved."))
            return redirect(contact_detail_url(note.contact_id))
    return render(request, "crm/note_form.html", {"form": form, "note": note, "contact": note.contact,
                                                  "section": "contacts"}, status=400 if form.errors else 200)


@login_required
@require_POST
def note_delete(request: HttpRequest, note_id) -> HttpResponse:
    note = owned(Note, request, note_id)
    with found():
        notes.note_delete(owner=request.user, note_id=note.pk)
    messages.success(request, _("Note deleted."))
    return redirect(contact_detail_url(note.contact_id))


@login_required
@require_POST
def message_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = MessageForm(request.POST, prefix="msg")
    if form.is_valid():
        try:
            with found():
                message_log(owner=request.user, contact_id=contact.pk, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Message logged."))
            return redirect(contact_detail_url(contact.pk))
    return _invalid_detail(request, contact, message_form=form)


@login_required
@require_POST
def followup_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    form = FollowUpForm(request.POST, prefix="fu")
    if form.is_valid():
        try:
            with found():
                followup = followups.followup_create(owner=request.user, contact_id=contact.pk,
                                                    title=form.cleaned_data["title"],
                                                    due_at=form.cleaned_data["due_at"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            when = timezone.localtime(followup.due_at)
            messages.success(request, _("Follow-up set for %(when)s.") % {"when": when.strftime("%a %d %b, %H:%M")})
            return redirect(contact_detail_url(contact.pk))
    return _invalid_detail(request, contact, followup_form=form)


# --- Templates on a contact: open the phone's app pre-filled, then log it -------------------------------


@login_required
@require_GET
def compose(request: HttpRequest, contact_id) -> HttpResponse:
    contact = _contact(request, contact_id)
    saved = list(MessageTemplate.objects.owned_by(request.user))
    chosen = None
    body = subject = ""
    if request.GET.get("template"):
        try:
            chosen = next(t for t in saved if str(t.pk) == request.GET["template"])
        except StopIteration:
            raise Http404 from None
        body = templates.template_render(chosen, contact, request.user)
        # The subject takes the same placeholders: render it as a template of its own.
        subject = templates.template_render(MessageTemplate(body=chosen.subject), contact, request.user)
    channel = chosen.channel if chosen else Message.Channel.SMS
    return render(request, "crm/compose.html", {
        "contact": contact, "templates": saved, "chosen": chosen, "body": body, "subject": subject,
        "links": prefilled(contact, body, subject), "channel": channel,
        "channels": [(c, label) for c, label in Message.Channel.choices if c != Message.Channel.IN_PERSON],
        "section": "contacts"})


@login_required
@require_POST
def compose_sent(request: HttpRequest, contact_id) -> HttpResponse:
    """'Mark as sent': the link that opened the app can't log anything, so this tap does."""
    contact = _contact(request, contact_id)
    channel = request.POST.get("channel", "")
    try:
        with found():
            message_log(owner=request.user, contact_id=contact.pk, channel=channel, direction="out",
                                 body=request.POST.get("body", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("crm:compose", args=[contact.pk]))
    messages.success(request, _("Logged as sent. That's a reach-out for today."))
    return redirect(contact_detail_url(contact.pk))


# --- Follow-ups ----------------------------------------------------------------------------------------

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
    with found():
        followup = followups.followup_snooze(owner=request.user, followup_id=followup.pk, days=1)
    when = timezone.localtime(followup.due_at).strftime("%a %d %b")
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
        try:
            with found():
                followups.followup_update(owner=request.user, followup_id=followup.pk, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up saved."))
            return redirect(next_url(request, contact_detail_url(followup.contact_id)))
    return render(request, "crm/followup_form.html", {"form": form, "f": followup, "next": next_url(request, ""),
                                                      "section": "followups"},
                  status=400 if form.errors else 200)


# --- Message templates -----------------------------------------------------------------------------------


@login_required
@require_GET
def template_list(request: HttpRequest) -> HttpResponse:
    return render(request, "crm/template_list.html", {
        "templates": MessageTemplate.objects.owned_by(request.user), "section": "templates"})


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request: HttpRequest, template_id=None) -> HttpResponse:
    template = owned(MessageTemplate, request, template_id) if template_id else None
    initial = ({"name": template.name, "channel": template.channel, "subject": template.subject,
                "body": template.body} if template else {})
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with found():
                templates.template_save(owner=request.user, template_id=template.pk if template else None,
                                       **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Template saved."))
            return redirect("crm:template-list")
    return render(request, "crm/template_form.html", {"form": form, "template": template, "section": "templates"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def template_delete(request: HttpRequest, template_id) -> HttpResponse:
    template = owned(MessageTemplate, request, template_id)
    if request.method == "POST":
        with found():
            templates.template_delete(owner=request.user, template_id=template.pk)
        messages.success(request, _("Template deleted."))
        return redirect("crm:template-list")
    return render(request, "crm/confirm.html", {
        "title": _("Delete this template?"), "subject_name": template.name,
        "action": reverse("crm:template-delete", args=[template.pk]),
        "explain": _("Messages you already sent with it stay in your contacts' history."),
        "confirm": _("Delete"), "danger": True, "back": reverse("crm:template-list"), "section": "templates"})


# --- Board -------------------------------------------------------------------------------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    pipeline = stages.stages_of(user)
    counts = dict(Contact.objects.owned_by(user).values_list("stage").annotate(n=Count("id")).order_by())
    columns = []
    for i, stage in enumerate(pipeline):
        cards = Contact.objects.owned_by(user).filter(stage=stage).order_by("sort_name", "id")[:BOARD_CARDS]
        columns.append({"stage": stage, "cards": list(cards), "count": counts.get(stage.pk, 0),
                        "next": pipeline[i + 1] if i + 1 < len(pipeline) else None})
    return render(request, "crm/board.html", {"columns": columns, "stages": pipeline, "limit": BOARD_CARDS,
                                              "section": "board"})


# --- Daily activity --------------------------------------------------------------------------------------


@login_required
@require_GET
def activity_week(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = today_for(user)
    first = today - timedelta(days=6)
    rows = {row.day: row for row in ActivityDay.objects.owned_by(user).filter(day__gte=first, day__lte=today)}
    goal = activity.activity_goal(user)
    week = [rows.get(day) or ActivityDay(day=day) for day in (today - timedelta(days=n) for n in range(7))]
    days = [{"day": row.day, "today": row.day == today, "counters": _counters(row, goal)} for row in week]
    totals = _counters(ActivityDay(**{name: sum(getattr(row, name) for row in week) for name in COUNTERS}),
                       ActivityGoal(**{name: getattr(goal, name) * 7 for name in COUNTERS}))
    form = GoalForm(initial={name: getattr(goal, name) for name in COUNTERS})
    return render(request, "crm/activity.html", {"days": days, "totals": totals, "form": form,
                                                 "section": "activity"})


@login_required
@require_POST
def activity_goal(request: HttpRequest) -> HttpResponse:
    form = GoalForm(request.POST)
    if form.is_valid():
        try:
            activity.activity_goal_set(owner=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
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
    return redirect(next_url(request, reverse("accounts:dashboard")))


# --- Stages --------------------------------------------------------------------------------------------


@login_required
@require_GET
def stage_list(request: HttpRequest) -> HttpResponse:
    pipeline = stages.stages_of(request.user)
    counts = dict(Contact.objects.owned_by(request.user).values_list("stage").annotate(n=Count("id")).order_by())
    rows = [{"stage": s, "count": counts.get(s.pk, 0), "form": StageNameForm(initial={"name": s.name},
                                                                             prefix=s.slug)} for s in pipeline]
    return render(request, "crm/stage_list.html", {"rows": rows, "section": "stages"})


def _stage(request: HttpRequest, slug: str) -> Stage:
    return get_object_or_404(Stage.objects.owned_by(request.user), slug=slug)


@login_required
@require_POST
def stage_rename(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage(request, slug)
    form = StageNameForm(request.POST, prefix=stage.slug)
    try:
        if not form.is_valid():
            raise ValidationError(_("A stage name is 1 to 40 characters."))
        stages.stage_rename(owner=request.user, slug=stage.slug, name=form.cleaned_data["name"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Stage renamed."))
    return redirect("crm:stage-list")


@login_required
@require_POST
def stage_move(request: HttpRequest, slug: str) -> HttpResponse:
    stage = _stage(request, slug)
    slugs = [s.slug for s in stages.stages_of(request.user)]
    i = slugs.index(stage.slug)
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(slugs):
        slugs[i], slugs[j] = slugs[j], slugs[i]
        stages.stage_reorder(owner=request.user, slugs=slugs)
    return redirect(reverse("crm:stage-list") + f"#stage-{stage.slug}")


# --- Possible duplicates -------------------------------------------------------------------------------

DUPLICATE_PAIRS = 50


def _page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def _side(contact: Contact, other: Contact, *, older: bool) -> dict[str, Any]:
    """One contact of a pair, with the values it shares with the other marked."""
    their_emails = {e.casefold() for e in other.emails}
    return {"contact": contact, "other": other, "older": older,
            "phones": [{"display": phone_links(p).display, "shared": p in other.phones} for p in contact.phones],
            "emails": [{"address": e, "shared": e.casefold() in their_emails} for e in contact.emails]}


@login_required
@require_GET
def duplicate_list(request: HttpRequest) -> HttpResponse:
    """Every pair of the seller's contacts sharing an email or a phone, with Merge and Not the same person;
    `?show=dismissed` lists the pairs marked as two people (to take that back)."""
    user = request.user
    if is_htmx(request) and request.GET.get("badge") == "1":
        # The contact list's count, fetched after that page has shown: at 100,000 contacts finding the
        # pairs takes a scan of the blind index, which the list itself shouldn't wait for.
        response = render(request, "crm/_duplicate_count.html", {"count": duplicates.pair_count(user)})
        patch_vary_headers(response, ["HX-Request"])
        return response
    number = _page_number(request)
    offset = (number - 1) * DUPLICATE_PAIRS
    dismissed = DuplicateDismissal.objects.owned_by(user)
    context: dict[str, Any] = {"here": request.get_full_path(), "section": "contacts",
                               "dismissed_count": dismissed.count(), "page_number": number}
    if request.GET.get("show") == "dismissed":
        rows = list(dismissed.select_related("contact_a", "contact_b").order_by("-created_at", "id")
                    [offset:offset + DUPLICATE_PAIRS + 1])
        context |= {"show": "dismissed", "dismissals": rows[:DUPLICATE_PAIRS],
                    "has_next": len(rows) > DUPLICATE_PAIRS, "count": duplicates.pair_count(user)}
    else:
        page = duplicates.pair_page(user, offset=offset, limit=DUPLICATE_PAIRS)
        pairs = [{"pair": p, "sides": [_side(p.first, p.second, older=True), _side(p.second, p.first, older=False)]}
                 for p in page.items]
        context |= {"show": "pairs", "pairs": pairs, "count": page.count, "capped": page.capped,
                    "has_next": offset + DUPLICATE_PAIRS < page.count}
    response = render(request, "crm/duplicates.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _back_to_duplicates(request: HttpRequest) -> HttpResponse:
    return redirect(next_url(request, reverse("crm:duplicates")))


@login_required
@require_POST
def duplicate_merge(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    """Merges `other_id` into `contact_id` (the one the seller keeps): every value of both stays."""
    keep, other = _contact(request, contact_id), _contact(request, other_id)
    return _duplicate_action(request, lambda: duplicates.contact_merge(owner=request.user, keep_id=keep.pk,
                                                                     merge_id=other.pk),
                             _("Merged. Everything from both is on one contact now."))


@login_required
@require_POST
def duplicate_dismiss(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    return _duplicate_action(request, lambda: duplicates.duplicate_dismiss(
        owner=request.user, contact_id=contact_id, other_id=other_id),
        _("Got it: two people. They won't be suggested as duplicates again."))


@login_required
@require_POST
def duplicate_dismissal_delete(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    return _duplicate_action(request, lambda: duplicates.duplicate_dismissal_delete(
        owner=request.user, contact_id=contact_id, other_id=other_id),
        _("They'll be suggested as possible duplicates again."))


def _duplicate_action(request: HttpRequest, action, done: str) -> HttpResponse:
    """Runs one of the duplicates page's actions (a missing contact is a 404) and goes back to the page."""
    try:
        with found():
            action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return _back_to_duplicates(request)
