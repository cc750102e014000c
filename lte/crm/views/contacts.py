"""The contact pages: the list (search, filters, keyset paging), the card and its timeline, add, edit, delete,
move to a stage, merge a duplicate.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lte.accounts import plans
from lte.crm import queries
from lte.crm.forms import (
    NETWORKS,
    ContactForm,
    FollowUpForm,
    MessageForm,
    NoteForm,
    OrderForm,
    QuickContactForm,
    prefill,
)
from lte.crm.models import Contact, FollowUp, Message, MessageTemplate, Note, Order, StageChange, Tag
from lte.crm.services import contacts, duplicates, stages
from lte.crm.views.links import Phone, email_links, phone_links, profile_links
from lte.lib.formats import account_country
from lte.lib.http import add_service_errors, flash_errors, form_errors, found, is_htmx, next_url, owned, url_for_each
from lte.lib.prepared import Prepared
from lte.lib.zones import today_for

PAGE_SIZE = 50
FOLLOWUP_ROWS = 100
TIMELINE_EACH = 100
SORTS = {"name": gettext_lazy("Name"), "-last_contacted": gettext_lazy("Last contacted"),
         "-created": gettext_lazy("Newest first")}


def contact_detail_url(contact_id) -> str:
    return reverse("crm:contact-detail", args=[contact_id])


MAX_ROWS = 500


def _count_param(request: HttpRequest, name: str, default: int) -> int:
    try:
        return max(0, min(int(request.GET.get(name, "")[:6]), MAX_ROWS))
    except ValueError:
        return default


class Row(NamedTuple):
    contact: queries.Listed
    url: str
    phone: Phone | None  # the main phone's links
    call: str  # "Call Ana", "Ana anrufen": the call button's name for a screen reader
    text: str


def _row(contact: queries.Listed, url: str, country: str, call: str, text: str) -> Row:
    if not contact.phones:
        return Row(contact, url, None, "", "")
    name = {"name": contact.first_name or contact.last_name}
    return Row(contact, url, phone_links(contact.phones[0], country=country), call % name, text % name)


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
    # `rows`: how many rows the list had when it was left ("Load more" pushes it into the URL with htmx), so Back
    # shows them all again from the top and the browser can put the scroll back. `shown`: rows above a cursor.
    shown = _count_param(request, "shown", 0)
    limit = PAGE_SIZE if cursor else max(PAGE_SIZE, _count_param(request, "rows", PAGE_SIZE))
    try:
        result = queries.page(user, q=q, tag=tag, stage=stage, sort=sort, limit=limit, cursor=cursor,
                              with_count=not cursor, listed=True)
    except ValidationError:  # a stale or hand-made cursor: start from the top
        cursor = None
        shown = 0
        result = queries.page(user, q=q, tag=tag, stage=stage, sort=sort, limit=PAGE_SIZE, listed=True)
    filters = {k: v for k, v in (("q", q), ("tag", tag), ("stage", stage), ("sort", sort)) if v}
    shown += len(result.items)
    more_url = (reverse("crm:contact-list") + "?" + urlencode({**filters, "cursor": result.next_cursor,
                                                                "shown": shown})
                if result.next_cursor else "")
    country = account_country(user)
    # Each row with its page's address, its main phone's links (the number shown, the call and text buttons) and
    # the buttons' spoken names, each made once: formatting a number is 50 µs, a reverse 30-40 µs, a translation
    # in the template 20 µs, and a list has up to 500 rows.
    detail, call, text = url_for_each("crm:contact-detail"), _("Call %(name)s"), _("Text %(name)s")
    rows = [_row(c, detail(c.pk), country, call, text) for c in result.items]
    keep_url = reverse("crm:contact-list") + "?" + urlencode({**filters, "rows": min(shown + PAGE_SIZE, MAX_ROWS)})
    context = {"page": result, "more_url": more_url, "keep_url": keep_url, "more": bool(cursor), "q": q,
               "tag": tag, "stage": stage, "sort": sort, "country": country, "rows": rows}
    if is_htmx(request):
        response = render(request, "crm/_contact_rows.html", context)
    else:
        context |= {"sorts": SORTS, "stages": stages.stages_of(user),
                    "tags": Tag.objects.owned_by(user).values_list("name", flat=True),
                    "filtered": bool(q or tag or stage), "section": "contacts",
                    "contact_limit": plans.contact_limit(user)}
        if context["contact_limit"] is not None:  # the plan's limit, shown before it is reached
            context["contact_total"] = Contact.objects.owned_by(user).count()
        response = render(request, "crm/contact_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request: HttpRequest) -> HttpResponse:
    pipeline = stages.stages_of(request.user)
    initial = {"stage": pipeline[0].slug if pipeline else "", **prefill(request.GET.get("q", ""))}
    form = ContactForm(request.POST or None, stages=pipeline, initial=initial)
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            contact = contacts.contact_create(owner=request.user, data=form.contact_data())
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
                        "phone": [typed.get("phone", "")], "phone_label": ["mobile"],
                        "email": [typed.get("email", "")], "email_label": ["home"],
                        "stage": pipeline[0].slug if pipeline else ""}, stages=pipeline)
    form.is_valid()
    for field, errors in quick.errors.items():
        target = {"phone": "phones", "email": "emails"}.get(field, field)
        form.add_error(target if target in form.fields else None, errors)
    if error is not None:
        add_service_errors(form, error)
    return render(request, "crm/contact_form.html", {"form": form, "sources": contacts.DEFAULT_SOURCES,
                                                     "section": "contacts"}, status=400)


def _latest(model, *order: str, each: bool = True, limit: int = TIMELINE_EACH) -> Prepared:
    """The account's latest rows of a model (`each`: of one contact), a query the contact page runs every time,
    compiled once (each query's building and compiling by the ORM cost more than its run)."""
    owner = model._meta.get_field("owner")
    if each:
        return Prepared(lambda owner_id, contact_id: model.objects.filter(owner=owner_id, contact=contact_id)
                        .order_by(*order)[:limit], [owner, model._meta.get_field("contact")])
    return Prepared(lambda owner_id: model.objects.filter(owner=owner_id).order_by(*order)[:limit], [owner])


_NOTES, _SENT = _latest(Note, "-created_at"), _latest(Message, "-sent_at")
_MOVES, _FOLLOWUPS = _latest(StageChange, "-at"), _latest(FollowUp, "-created_at")
_ORDERS = _latest(Order, "-ordered_on", "-created_at")  # their models' own orderings
_TEMPLATES = _latest(MessageTemplate, "position", "name", each=False, limit=8)


def detail_context(request: HttpRequest, contact: Contact, **forms: Any) -> dict[str, Any]:
    user = request.user
    notes, sent = _NOTES.instances(user.pk, contact.pk), _SENT.instances(user.pk, contact.pk)
    moves, followups = _MOVES.instances(user.pk, contact.pk), _FOLLOWUPS.instances(user.pk, contact.pk)
    edit_note, delete_note = url_for_each("crm:note-edit"), url_for_each("crm:note-delete")
    timeline = ([{"kind": "note", "at": n.created_at, "item": n, "edit_url": edit_note(n.pk),
                  "delete_url": delete_note(n.pk)} for n in notes]
                + [{"kind": "message", "at": m.sent_at, "item": m} for m in sent]
                + [{"kind": "stage", "at": s.at, "item": s} for s in moves]
                + [{"kind": "followup", "at": f.done_at or f.created_at, "item": f} for f in followups])
    timeline.sort(key=lambda entry: entry["at"], reverse=True)
    open_followups = (FollowUp.objects.owned_by(user).filter(contact=contact, done_at__isnull=True)
                      .select_related("contact").order_by("due_at")[:FOLLOWUP_ROWS])
    return {
        "contact": contact,
        "phones": [phone_links(p, label, country=account_country(user))
                   for p, label in zip(contact.phones, contact.phone_labels, strict=True)],
        "emails": [email_links(e, label) for e, label in zip(contact.emails, contact.email_labels, strict=True)],
        "profiles": profile_links(contact.social, NETWORKS),
        "stages": stages.stages_of(user),
        "open_followups": open_followups,
        "timeline": timeline,
        "duplicates": duplicates.find_duplicates(owner=user, emails=contact.emails, phones=contact.phones,
                                               exclude=contact.pk),
        "templates": _TEMPLATES.instances(user.pk),
        "orders": _ORDERS.instances(user.pk, contact.pk),
        "order_form": forms.get("order_form") or OrderForm(prefix="order", initial={"ordered_on": today_for(user)}),
        "note_form": forms.get("note_form") or NoteForm(prefix="note"),
        "message_form": forms.get("message_form") or MessageForm(prefix="msg"),
        "followup_form": forms.get("followup_form") or FollowUpForm(prefix="fu"),
        "in_days": FollowUpForm.IN_DAYS,
        "here": request.get_full_path(),
        "now": timezone.now(),
        "section": "contacts",
    }


def contact_for(request: HttpRequest, contact_id) -> Contact:
    query = Contact.objects.owned_by(request.user).select_related("stage").prefetch_related("tags")
    return owned(Contact, request, contact_id, query)


@login_required
@require_GET
def contact_detail(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    return render(request, "crm/contact_detail.html", detail_context(request, contact))


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    pipeline = stages.stages_of(request.user)
    form = ContactForm(request.POST or None, stages=pipeline, initial=ContactForm.initial_for(contact))
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            contacts.contact_update(owner=request.user, contact_id=contact.pk,
                                    data=form.contact_data(contact))
            messages.success(request, _("Saved."))
            return redirect(contact_detail_url(contact.pk))
    return render(request, "crm/contact_form.html", {"form": form, "contact": contact,
                                                     "sources": contacts.DEFAULT_SOURCES, "section": "contacts"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def contact_delete(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
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
    contact = contact_for(request, contact_id)
    with flash_errors(request):
        contact = contacts.contact_set_stage(owner=request.user, contact_id=contact.pk,
                                             stage=request.POST.get("stage", "")[:40])
        if contact.stage is not None:
            moved = _("Moved to %(stage)s.") % {"stage": contact.stage.name}
            if is_htmx(request) and not next_url(request, ""):  # the contact page's chips: saved in place
                return saved_in_place(request, contact, "stage", moved)
            if not is_htmx(request):
                messages.success(request, moved)
    target = next_url(request, contact_detail_url(contact.pk))
    if is_htmx(request):  # the board: htmx follows the redirect and swaps the board, the moved card marked
        path = target.partition("#")[0]
        target = f"{path}{'&' if '?' in path else '?'}{urlencode({'moved': contact.pk})}"
    return redirect(target)


@login_required
@require_http_methods(["GET", "POST"])
def contact_merge(request: HttpRequest, contact_id, other_id) -> HttpResponse:
    """Folds a duplicate (`other_id`) into this contact, after a confirmation."""
    keep = contact_for(request, contact_id)
    other = contact_for(request, other_id)
    if request.method == "POST":
        with flash_errors(request):
            duplicates.contact_merge(owner=request.user, keep_id=keep.pk, merge_id=other.pk)
            messages.success(request, _("Merged. Everything from the duplicate is on this contact now."))
        return redirect(contact_detail_url(keep.pk))
    return render(request, "crm/confirm.html", {
        "title": _("Merge these contacts?"), "contact": keep, "other": other,
        "action": reverse("crm:contact-merge", args=[keep.pk, other.pk]),
        "explain": _("Emails, phone numbers, tags, notes, messages and follow-ups of the duplicate move to this "
                     "contact; empty fields are filled in. The duplicate is then deleted."),
        "confirm": _("Merge into this one"), "danger": False, "back": contact_detail_url(keep.pk),
        "section": "contacts"})


ANCHORS = {"note": "note-", "message": "message-", "followup": "fu-", "stage": "stage-picker"}


def saved_in_place(request: HttpRequest, contact: Contact, fresh: str, message: str, pk: Any = "") -> HttpResponse:
    """After a save on the contact page: htmx gets the page as it is now (it swaps #contact-page), the new item
    marked data-fresh so lte.js moves the focus to it; a plain post (no JS, or the offline queue's fallback) goes
    back to the page, scrolled to the new item."""
    if is_htmx(request):
        contact = contact_for(request, contact.pk)  # as saved: its stage, last contacted
        return render(request, "crm/contact_detail.html",
                      detail_context(request, contact) | {"fresh": fresh, "fresh_pk": str(pk), "saved": message})
    messages.success(request, message)
    return redirect(f"{contact_detail_url(contact.pk)}#{ANCHORS[fresh]}{pk}")


def invalid_detail(request: HttpRequest, contact: Contact, **forms: Any) -> HttpResponse:
    return render(request, "crm/contact_detail.html", detail_context(request, contact, **forms), status=400)
