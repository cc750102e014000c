"""The conversation log on a contact, and composing from a template: open the phone's app pre-filled, then log it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from lte.crm.forms import MessageForm
from lte.crm.models import Message, MessageTemplate
from lte.crm.services import messages as messages_service
from lte.crm.services import templates
from lte.crm.services.messages import message_log, message_update
from lte.crm.views.contacts import contact_detail_url, contact_for, invalid_detail, saved_in_place
from lte.crm.views.links import prefilled
from lte.lib.formats import account_country
from lte.lib.http import form_errors, found, is_htmx, owned


@login_required
@require_POST
def message_add(request: HttpRequest, contact_id) -> HttpResponse:
    contact = contact_for(request, contact_id)
    form = MessageForm(request.POST, prefix="msg")
    if form.is_valid():
        with form_errors(form):
            message = message_log(owner=request.user, contact_id=contact.pk, **form.cleaned_data)
            return saved_in_place(request, contact, "message", _("Message logged."), message.pk)
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
            message = message_log(owner=request.user, contact_id=contact.pk, channel=channel, direction="out",
                                  body=request.POST.get("body", ""))
    except ValidationError as exc:
        if is_htmx(request):
            return HttpResponse(" ".join(exc.messages), status=400)
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("crm:compose", args=[contact.pk]))
    if is_htmx(request):  # the tap that opened the phone's app logged it at once: say so, with an undo
        return render(request, "crm/_logged.html", {"message": message, "contact": contact, "kind": "sent"})
    messages.success(request, _("Logged as sent. That's a reach-out for today."))
    return redirect(contact_detail_url(contact.pk))


ATTEMPT_CHANNELS = (Message.Channel.CALL, Message.Channel.SMS, Message.Channel.WHATSAPP, Message.Channel.EMAIL)
OUTCOMES = {"reached": gettext_lazy("Reached them"), "no_answer": gettext_lazy("No answer"),
            "left_message": gettext_lazy("Left a message")}


@login_required
@require_POST
def contact_attempt(request: HttpRequest, contact_id) -> HttpResponse:
    """A Call / Text / WhatsApp / Email tap on the contact page: logged as an outgoing message of that channel
    while the phone's app opens (lte.js posts it), with "how did it go?" and an undo."""
    contact = contact_for(request, contact_id)
    channel = request.POST.get("channel", "")
    if channel not in ATTEMPT_CHANNELS:
        return HttpResponse(_("Unknown channel."), status=400)
    with found():
        message = message_log(owner=request.user, contact_id=contact.pk, channel=channel, direction="out")
    if is_htmx(request):
        return render(request, "crm/_logged.html", {"message": message, "contact": contact, "kind": "attempt",
                                                    "outcomes": OUTCOMES})
    messages.success(request, _("Logged."))
    return redirect(contact_detail_url(contact.pk))


@login_required
@require_POST
def message_outcome(request: HttpRequest, message_id) -> HttpResponse:
    """"How did it go?": one tap writes the outcome into the logged attempt."""
    message = owned(Message, request, message_id, Message.objects.owned_by(request.user).select_related("contact"))
    outcome = request.POST.get("outcome", "")
    if outcome not in OUTCOMES:
        return HttpResponse(_("Unknown outcome."), status=400)
    with found():
        message_update(owner=request.user, message_id=message.pk, body=str(OUTCOMES[outcome]))
    if is_htmx(request):
        return render(request, "crm/_logged.html", {"message": message, "contact": message.contact,
                                                    "kind": "noted", "outcome": OUTCOMES[outcome]})
    messages.success(request, _("Noted."))
    return redirect(contact_detail_url(message.contact_id))


@login_required
@require_POST
def message_unsend(request: HttpRequest, message_id) -> HttpResponse:
    """"Didn't send" / "didn't happen": takes back a message logged by a tap."""
    message = owned(Message, request, message_id)
    with found():
        messages_service.message_unsend(owner=request.user, message_id=message.pk)
    if is_htmx(request):
        return render(request, "crm/_logged.html", {"kind": "undone"})
    messages.success(request, _("Taken back: nothing was logged."))
    return redirect(contact_detail_url(message.contact_id))
