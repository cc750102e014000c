"""The CRM pages' forms: they only parse what was typed; the services validate and write."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lte.crm import services
from lte.crm.models import NAME_MAX, Contact, Message, Stage
from lte.crm.services import ContactData

TEXT = {"dir": "auto", "autocomplete": "off"}
AREA = {"dir": "auto", "rows": 3}


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Puts a service's ValidationError on the matching fields (or the form when no field matches)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, messages in exc.message_dict.items():
        target = field if field in form.fields else None
        form.add_error(target, [m if target else f"{field}: {m}" for m in messages])


class QuickContactForm(forms.Form):
    """The dashboard's few-second capture: a name and a way to reach them."""

    first_name = forms.CharField(label=_("First name"), max_length=NAME_MAX, required=False,
                                 widget=forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    last_name = forms.CharField(label=_("Last name"), max_length=NAME_MAX, required=False,
                                widget=forms.TextInput(attrs=TEXT))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_("Email"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def contact_data(self) -> ContactData:
        data = self.cleaned_data
        return ContactData(first_name=data["first_name"], last_name=data["last_name"],
                           phones=[data["phone"]] if data["phone"] else [],
                           emails=[data["email"]] if data["email"] else [])


class ContactForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=NAME_MAX, required=False,
                                 widget=forms.TextInput(attrs=TEXT))
    last_name = forms.CharField(label=_("Last name"), max_length=NAME_MAX, required=False,
                                widget=forms.TextInput(attrs=TEXT))
    phones = forms.CharField(label=_("Phone numbers"), required=False, help_text=_("One per line."),
                             widget=forms.Textarea(attrs={"rows": 2, "inputmode": "tel", "autocomplete": "off"}))
    emails = forms.CharField(label=_("Email addresses"), required=False, help_text=_("One per line."),
                             widget=forms.Textarea(attrs={"rows": 2, "inputmode": "email", "autocomplete": "off"}))
    stage = forms.ChoiceField(label=_("Stage"), choices=(), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by commas."),
                           widget=forms.TextInput(attrs=TEXT))
    source = forms.CharField(label=_("Source"), max_length=services.SOURCE_MAX, required=False,
                             widget=forms.TextInput(attrs={**TEXT, "list": "sources"}))
    address = forms.CharField(label=_("Address"), max_length=services.MAX_ADDRESS, required=False,
                              widget=forms.Textarea(attrs={**AREA, "autocomplete": "off"}))
    birthday = forms.DateField(label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    customer_since = forms.DateField(label=_("Customer since"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    reorder_every_days = forms.IntegerField(label=_("Reorder every (days)"), required=False, min_value=1,
                                            max_value=366, widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
    social = forms.CharField(label=_("Social profiles"), required=False,
                             help_text=_("One per line, like “instagram: @name”."),
                             widget=forms.Textarea(attrs={**AREA, "rows": 2}))

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].choices = [(s.slug, s.name) for s in stages]

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {
            "first_name": contact.first_name, "last_name": contact.last_name,
            "phones": "\n".join(contact.phones), "emails": "\n".join(contact.emails),
            "stage": contact.stage.slug if contact.stage_id else "",
            "tags": ", ".join(t.name for t in contact.tags.all()),
            "source": contact.source, "address": contact.address or "", "birthday": contact.birthday,
            "customer_since": contact.customer_since, "reorder_every_days": contact.reorder_every_days,
            "social": "\n".join(f"{k}: {v}" for k, v in (contact.social or {}).items()),
        }

    def clean_social(self) -> dict[str, str]:
        social = {}
        for line in lines(self.cleaned_data["social"]):
            network, sep, handle = line.partition(":")
            if not sep or not network.strip() or not handle.strip():
                raise ValidationError(_("Write each profile as “network: handle”."))
            social[network.strip()[:20]] = handle.strip()
        return social

    def contact_data(self) -> ContactData:
        data = self.cleaned_data
        return ContactData(
            first_name=data["first_name"], last_name=data["last_name"],
            phones=lines(data["phones"]), emails=lines(data["emails"]), stage=data["stage"] or None,
            tags=[t.strip() for t in data["tags"].split(",") if t.strip()], source=data["source"],
            address=data["address"], birthday=data["birthday"], customer_since=data["customer_since"],
            reorder_every_days=data["reorder_every_days"], social=data["social"],
        )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=services.MAX_NOTE,
                           widget=forms.Textarea(attrs={**AREA, "placeholder": _("What did you talk about?")}))


class MessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Message.Channel.choices, initial=Message.Channel.SMS)
    direction = forms.ChoiceField(label=_("Direction"), choices=Message.Direction.choices,
                                  initial=Message.Direction.OUT, widget=forms.RadioSelect)
    body = forms.CharField(label=_("What was said"), max_length=services.MAX_MESSAGE, required=False,
                           widget=forms.Textarea(attrs=AREA))


class FollowUpForm(forms.Form):
    """A title and either a one-tap "in N days" button or a chosen date and time (in the seller's timezone)."""

    IN_DAYS = {"1": _("Tomorrow"), "3": _("In 3 days"), "7": _("In a week")}

    title = forms.CharField(label=_("Follow-up"), max_length=services.MAX_TITLE, required=False,
                            widget=forms.TextInput(attrs={**TEXT, "placeholder": _("Follow up")}))
    due_at = forms.DateTimeField(label=_("When"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"))
    in_days = forms.ChoiceField(choices=[(k, v) for k, v in IN_DAYS.items()], required=False,
                                widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if not data.get("title"):
            data["title"] = str(_("Follow up"))
        if data.get("in_days"):
            day = timezone.localdate() + timedelta(days=int(data["in_days"]))
            data["due_at"] = timezone.make_aware(datetime.combine(day, time(9, 0)))
        elif not data.get("due_at") and "due_at" not in self.errors:
            self.add_error("due_at", _("Pick when, or tap one of the buttons."))
        return data


class FollowUpEditForm(forms.Form):
    title = forms.CharField(label=_("Follow-up"), max_length=services.MAX_TITLE, widget=forms.TextInput(attrs=TEXT))
    due_at = forms.DateTimeField(label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                             format="%Y-%m-%dT%H:%M"))


class TemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80, widget=forms.TextInput(attrs=TEXT))
    channel = forms.ChoiceField(label=_("Usually sent by"), choices=[
        (Message.Channel.SMS, _("SMS")), (Message.Channel.WHATSAPP, _("WhatsApp")),
        (Message.Channel.EMAIL, _("Email")), (Message.Channel.SOCIAL, _("Social")),
        (Message.Channel.OTHER, _("Other"))])
    subject = forms.CharField(label=_("Email subject"), max_length=200, required=False,
                              widget=forms.TextInput(attrs=TEXT))
    body = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea(attrs={**AREA, "rows": 6}),
                           help_text=_("Placeholders: {first_name} {last_name} {full_name} {my_name}"))


class GoalForm(forms.Form):
    reach_outs = forms.IntegerField(label=_("Reach-outs a day"), min_value=0, max_value=1000)
    follow_ups = forms.IntegerField(label=_("Follow-ups a day"), min_value=0, max_value=1000)
    presentations = forms.IntegerField(label=_("Presentations a day"), min_value=0, max_value=1000)


class StageNameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40, widget=forms.TextInput(attrs=TEXT))
