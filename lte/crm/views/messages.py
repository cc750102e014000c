"""The conversation log on a contact, and composing from a template: open the phone's app pre-filled, then log it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from lte.crm.forms import MessageForm
from lte.crm.models import Message, MessageTemplate
from lte.crm.services import templates
from lte.crm.services.messages import message_log
from lte.crm.views.contacts import contact_detail_url, contact_for, invalid_detail
from lte.crm.views.links import prefilled
from lte.lib.formats import account_country
from lte.lib.http import form_errors, found


@login_required
@require_POST
def message_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    form = MessageForm(request.POST, prefix="msg")
    if form.is_valid():
        with form_errors(form):
            message_log(owner=request.user, contact_id=contact.pk, **form.cleaned_data)
            messages.success(request, _("Message logged."))
            return redirect(contact_detail_url(contact.pk))
    return invalid_detail(request, contact, message_form=form)


@login_required
@require_GET
def compose(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
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
        "links": prefilled(contact, body, subject, country=account_country(request.user)), "channel": channel,
        "channels": [(c, label) for c, label in Message.Channel.choices if c != Message.Channel.IN_PERSON],
        "section": "contacts"})


@login_required
@require_POST
def compose_sent(request: HttpRequest, contact_id) -> HttpResponse:
    """'Mark as sent': the link that opened the app can't log anything, so this tap does."""
    contact = contact_for(request, contact_id)
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
