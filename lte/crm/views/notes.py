"""Notes on a contact: add, edit, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from lte.crm.forms import NoteForm
from lte.crm.models import Note
from lte.crm.services import notes
from lte.crm.views.contacts import contact_detail_url, contact_for, invalid_detail, saved_in_place
from lte.lib.http import form_errors, found, owned


@login_required
@require_POST
def note_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        with form_errors(form):
            note = notes.note_create(owner=request.user, contact=contact, body=form.cleaned_data["body"])
            return saved_in_place(request, contact, "note", _("Note saved."), note.pk)
    return invalid_detail(request, contact, note_form=form)


@login_required
@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, note_id) -> HttpResponse:
    note = owned(Note, request, note_id, Note.objects.owned_by(request.user).select_related("contact"))
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        with form_errors(form):
            notes.note_update(owner=request.user, note_id=note.pk, body=form.cleaned_data["body"])
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
