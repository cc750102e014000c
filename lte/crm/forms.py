"""The CRM pages' forms: they only parse what was typed; the services validate and write."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lte.crm import fields
from lte.crm.birthdays import is_yearless, yearless
from lte.crm.models import Contact, Message, Stage
from lte.crm.services.contacts import ContactData
from lte.crm.services.followups import MAX_TITLE
from lte.crm.services.messages import MAX_MESSAGE
from lte.crm.services.notes import MAX_NOTE
from lte.crm.services.orders import MAX_PRODUCTS

TEXT = {"dir": "auto", "autocomplete": "off"}
AREA = {"dir": "auto", "rows": 3}


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def contact_field(name: str, widget: forms.Widget | None = None, **options) -> forms.Field:
    """A contact form field as lte.crm.fields declares it: its label, and a text's length or a number's bounds.
    Lists (phones, emails, websites, tags…) are typed as lines or separated text, which contact_data reads."""
    declared = fields.FIELD[name]
    options.update(label=declared.label, required=False, **({"widget": widget} if widget is not None else {}))
    if declared.kind == fields.DATE:
        return forms.DateField(**options)
    if declared.kind == fields.NUMBER:
        return forms.IntegerField(min_value=declared.least, max_value=declared.greatest, **options)
    if declared.kind == fields.CHOICE:
        return forms.ChoiceField(choices=(), **options)
    return forms.CharField(max_length=declared.max_length if declared.kind == fields.TEXT else None, **options)


class QuickContactForm(forms.Form):
    """The dashboard's few-second capture: a name and a way to reach them."""

    first_name = contact_field("first_name", forms.TextInput(attrs={**TEXT, "autocomplete": "off"}))
    last_name = contact_field("last_name", forms.TextInput(attrs=TEXT))
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_("Email"), max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def contact_data(self) -> ContactData:
        data = self.cleaned_data
        return ContactData(first_name=data["first_name"], last_name=data["last_name"],
                           phones=[data["phone"]] if data["phone"] else [],
                           emails=[data["email"]] if data["email"] else [])


def labelled_lines(value: str) -> tuple[list[str], list[str]]:
    """'mobile: +1 312 555 0100' lines -> (values, labels); a line without a label has the label ''."""
    values, labels = [], []
    for line in lines(value):
        label, sep, rest = line.partition(":")
        if sep and rest.strip() and label.strip() and len(label) <= 40 and "@" not in label and \
                not label.strip().lstrip("+").replace(" ", "").isdigit() and not rest.startswith("//"):
            values.append(rest.strip())
            labels.append(label.strip())
        else:
            values.append(line)
            labels.append("")
    return values, labels


def labelled_text(values: list[str], labels: list[str]) -> str:
    return "\n".join(f"{label}: {value}" if label else value for value, label in zip(values, labels, strict=True))


class ContactForm(forms.Form):
    """Every field a seller edits, in the page's order (lte/crm/tests/test_fields.py checks it covers them all)."""

    first_name = contact_field("first_name", forms.TextInput(attrs=TEXT))
    last_name = contact_field("last_name", forms.TextInput(attrs=TEXT))
    company = contact_field("company", forms.TextInput(attrs=TEXT))
    job_title = contact_field("job_title", forms.TextInput(attrs=TEXT))
    phones = contact_field("phones", forms.Textarea(attrs={"rows": 2, "inputmode": "tel", "autocomplete": "off"}),
                           help_text=_("One per line; a label first if you like: “mobile: 0612 345 678”."))
    emails = contact_field("emails", forms.Textarea(attrs={"rows": 2, "inputmode": "email", "autocomplete": "off"}),
                           help_text=_("One per line; a label first if you like: “work: ana@example.com”."))
    stage = contact_field("stage")
    tags = contact_field("tags", forms.TextInput(attrs=TEXT), help_text=_("Separated by commas."))
    source = contact_field("source", forms.TextInput(attrs={**TEXT, "list": "sources"}))
    address = contact_field("address", forms.Textarea(attrs={**AREA, "autocomplete": "off"}))
    more_addresses = contact_field("addresses", forms.Textarea(attrs={**AREA, "autocomplete": "off"}),
                                   help_text=_("A blank line between two addresses."))  # beyond the first
    birthday = contact_field("birthday", forms.DateInput(attrs={"type": "date"}))
    birthday_no_year = forms.BooleanField(label=_("I don't know the year"), required=False)
    urls = contact_field("urls", forms.Textarea(attrs={"rows": 2, "inputmode": "url", "autocomplete": "off"}),
                         help_text=_("One per line."))
    customer_since = contact_field("customer_since", forms.DateInput(attrs={"type": "date"}))
    reorder_every_days = contact_field("reorder_every_days", forms.NumberInput(attrs={"inputmode": "numeric"}))
    stay_in_touch_days = contact_field("stay_in_touch_days", forms.NumberInput(attrs={"inputmode": "numeric"}))
    social = contact_field("social", forms.Textarea(attrs={**AREA, "rows": 2}),
                           help_text=_("One per line, like “instagram: @name”."))

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["stage"]).choices = [(s.slug, s.name) for s in stages]

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {
            "first_name": contact.first_name, "last_name": contact.last_name, "company": contact.company,
            "job_title": contact.job_title,
            "phones": labelled_text(contact.phones, contact.phone_labels),
            "emails": labelled_text(contact.emails, contact.email_labels),
            "more_addresses": "\n\n".join(a["value"] for a in contact.addresses[1:]),
            "birthday_no_year": is_yearless(contact.birthday),
            "urls": "\n".join(u["value"] for u in contact.urls),
            "stage": contact.stage.slug if contact.stage else "",
            "tags": ", ".join(t.name for t in contact.tags.all()),
            "source": contact.source, "address": contact.address or "", "birthday": contact.birthday,
            "customer_since": contact.customer_since, "reorder_every_days": contact.reorder_every_days,
            "stay_in_touch_days": contact.stay_in_touch_days,
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

    def contact_data(self, contact: Contact | None = None) -> ContactData:
        """What the form says; labels of addresses and websites the form doesn't show are kept."""
        data = self.cleaned_data
        phones, phone_labels = labelled_lines(data["phones"])
        emails, email_labels = labelled_lines(data["emails"])
        old_addresses = {a["value"]: a["label"] for a in (contact.addresses if contact else [])}
        old_urls = {u["value"]: u["label"] for u in (contact.urls if contact else [])}
        addresses = [data["address"].strip()] + [block.strip() for block in
                                                 re.split(r"\n\s*\n", data["more_addresses"]) if block.strip()]
        birthday = data["birthday"]
        if birthday and data["birthday_no_year"]:
            birthday = yearless(birthday.month, birthday.day)
        return ContactData(
            first_name=data["first_name"], last_name=data["last_name"], company=data["company"],
            job_title=data["job_title"], phones=phones, phone_labels=phone_labels, emails=emails,
            email_labels=email_labels, stage=data["stage"] or None,
            tags=[t.strip() for t in data["tags"].split(",") if t.strip()], source=data["source"],
            addresses=[{"label": old_addresses.get(a, ""), "value": a} for a in addresses if a],
            urls=[{"label": old_urls.get(u, ""), "value": u} for u in lines(data["urls"])],
            birthday=birthday, customer_since=data["customer_since"],
            reorder_every_days=data["reorder_every_days"], stay_in_touch_days=data["stay_in_touch_days"],
            social=data["social"],
        )


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), max_length=MAX_NOTE,
                           widget=forms.Textarea(attrs={**AREA, "placeholder": _("What did you talk about?")}))


class MessageForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Message.Channel.choices, initial=Message.Channel.SMS)
    direction = forms.ChoiceField(label=_("Direction"), choices=Message.Direction.choices,
                                  initial=Message.Direction.OUT, widget=forms.RadioSelect)
    body = forms.CharField(label=_("What was said"), max_length=MAX_MESSAGE, required=False,
                           widget=forms.Textarea(attrs=AREA))


class OrderForm(forms.Form):
    """An order: its day, what was ordered, and (optionally) how much; the service checks the values."""

    ordered_on = forms.DateField(label=_("Ordered on"), widget=forms.DateInput(attrs={"type": "date"}))
    products = forms.CharField(label=_("What they ordered"), max_length=MAX_PRODUCTS, required=False,
                               widget=forms.Textarea(attrs=AREA))
    amount = forms.DecimalField(label=_("Amount (optional)"), required=False, min_value=0, max_digits=12,
                                decimal_places=2, widget=forms.NumberInput(attrs={"inputmode": "decimal",
                                                                                  "step": "0.01"}))
    currency = forms.CharField(label=_("Currency"), max_length=3, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off", "size": 4}))


class FollowUpForm(forms.Form):
    """A title and either a one-tap "in N days" button or a chosen date and time (in the seller's timezone)."""

    IN_DAYS = {"1": _("Tomorrow"), "3": _("In 3 days"), "7": _("In a week")}

    title = forms.CharField(label=_("Follow-up"), max_length=MAX_TITLE, required=False,
                            widget=forms.TextInput(attrs={**TEXT, "placeholder": _("Follow up")}))
    due_at = forms.DateTimeField(label=_("When"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                            format="%Y-%m-%dT%H:%M"))
    in_days = forms.ChoiceField(choices=[(k, v) for k, v in IN_DAYS.items()], required=False,
                                widget=forms.HiddenInput)

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not data.get("title"):
            data["title"] = str(_("Follow up"))
        if data.get("in_days"):
            day = timezone.localdate() + timedelta(days=int(data["in_days"]))
            data["due_at"] = timezone.make_aware(datetime.combine(day, time(9, 0)))
        elif not data.get("due_at") and "due_at" not in self.errors:
            self.add_error("due_at", _("Pick when, or tap one of the buttons."))
        return data


class FollowUpEditForm(forms.Form):
    title = forms.CharField(label=_("Follow-up"), max_length=MAX_TITLE, widget=forms.TextInput(attrs=TEXT))
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
