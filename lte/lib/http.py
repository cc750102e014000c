"""Generic helpers for the pages' views: htmx, owner-scoped fetches, safe redirects, paging, and the one way a
view turns a service's errors into a form's errors or a flash message.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


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



_STAND_IN = uuid.UUID(int=0)


def url_for_each(viewname: str) -> Callable[[uuid.UUID], str]:
    """`reverse(viewname, args=[pk])` for many rows of a page (each note's edit link), from one reverse: the URL
    of a stand-in id with each row's id put in its place. A reverse costs 30-40 µs, and a timeline has dozens."""
    template = reverse(viewname, args=[_STAND_IN])
    head, tail = template.split(str(_STAND_IN))
    return lambda pk: f"{head}{uuid.UUID(str(pk))}{tail}"


def next_url(request: HttpRequest, default: str) -> str:
    """Where to go back to after a POST: the page's own `next`, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default



def page_number(request: HttpRequest) -> int:
    try:
        return max(1, min(int(request.GET.get("page", "1")), 10_000))
    except ValueError:
        return 1


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Puts a service's ValidationError on the matching fields (or the form when no field matches)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields else None
        form.add_error(target, [m if target else f"{field}: {m}" for m in errors])


@contextlib.contextmanager
def form_errors(form: forms.Form) -> Iterator[None]:
    """Runs a form's service call: its ValidationError goes onto the form's fields and the block ends there
    (the view renders the form again); a DoesNotExist (missing, or another account's) is the same 404.

        with form_errors(form):
            note_update(owner=request.user, note_id=note.pk, body=form.cleaned_data["body"])
            messages.success(request, _("Note saved."))
            return redirect(...)
        return render(request, "crm/note_form.html", ...)  # reached only when the service refused
    """
    try:
        with found():
            yield
    except ValidationError as exc:
        add_service_errors(form, exc)


@contextlib.contextmanager
def flash_errors(request: HttpRequest) -> Iterator[None]:
    """Like form_errors, for a button without a form: a ValidationError becomes an error message shown on the
    next page, and the block ends there."""
    try:
        with found():
            yield
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
