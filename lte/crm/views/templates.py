"""Message templates: list, write, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from lte.crm.forms import TemplateForm
from lte.crm.models import MessageTemplate
from lte.crm.services import templates
from lte.lib.http import form_errors, found, owned


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
        with form_errors(form):
            templates.template_save(owner=request.user, template_id=template.pk if template else None,
                                   **form.cleaned_data)
            messages.success(request, _("Template saved."))
            return redirect("crm:template-list")
    return render(request, "crm/template_form.html", {"form": form, "template": template, "section": "templates",
                                                      "placeholders": placeholder_buttons()},
                  status=400 if form.errors else 200)


def placeholder_buttons() -> list[tuple[str, str]]:
    """The placeholders a script may hold (services.templates.PLACEHOLDER), each with the words on its button."""
    return [("{first_name}", _("First name")), ("{last_name}", _("Last name")), ("{full_name}", _("Full name")),
            ("{my_name}", _("My name"))]


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
