"""The CRM pages' forms: they only parse what was typed; the services validate and write."""

from __future__ import annotations

import contextlib
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


PHONE_LABELS = {"mobile": _("Mobile"), "home": _("Home"), "work": _("Work"), "other": _("Other")}
EMAIL_LABELS = {"home": _("Personal"), "work": _("Work"), "other": _("Other")}
NETWORKS = {"instagram": "Instagram", "facebook": "Facebook", "tiktok": "TikTok", "whatsapp": "WhatsApp",
            "linkedin": "LinkedIn", "x": "X", "other": _("Other")}
EMPTY_ROWS = 2  # rows offered without JavaScript on a new contact (one on an edit); with it, "+ add" adds more


def listed(data, name: str) -> list[str]:
    """Every value posted under `name` (a QueryDict's list, or a plain dict's value or list)."""
    if hasattr(data, "getlist"):
        return [str(v) for v in data.getlist(name)]
    value = data.get(name, [])
    return [str(v) for v in (value if isinstance(value, list | tuple) else [value])]


def posted_rows(data, value_name: str, label_name: str) -> list[tuple[str, str]]:
    """The (value, label) rows of a repeated input and its label select, in order, the empty ones too."""
    values, labels = listed(data, value_name), listed(data, label_name)
    labels += [""] * (len(values) - len(labels))
    return [(value.strip(), label.strip()[:40]) for value, label in zip(values, labels, strict=False)]


def row_choices(known: dict, current: str, *, blank: bool = False) -> list[tuple[str, str]]:
    """A label select's options: the known labels, plus a label the contact already has (an import's "cell")."""
    choices = [(key, str(name)) for key, name in known.items()]
    if current and current not in known:
        choices.append((current, current))
    if blank or current == "":
        choices.insert(0, ("", "—"))
    return choices


def prefill(q: str) -> dict:
    """A new contact's fields from what was searched: an email, a number, or a name ("Ana María López")."""
    q = " ".join(q.split())[:200]
    if not q:
        return {}
    if "@" in q and " " not in q:
        return {"emails": [(q, "home")]}
    if sum(ch.isdigit() for ch in q) >= 4 and all(ch.isdigit() or ch in "+-(). " for ch in q):
        return {"phones": [(q, "mobile")]}
    first, _sep, last = q.partition(" ")
    return {"first_name": first[:100], "last_name": last[:100]}


class ContactForm(forms.Form):
    """Every field a seller edits, in the page's order (lte/crm/tests/test_fields.py checks it covers them all).
    Phones, emails and social profiles are rows (`phone` + `phone_label`, `email` + `email_label`,
    `social_network` + `social_handle`, repeated); the older "one per line" text under `phones`, `emails` and
    `social` is still read (the offline outbox of an older page may post it)."""

    first_name = contact_field("first_name", forms.TextInput(attrs=TEXT))
    last_name = contact_field("last_name", forms.TextInput(attrs=TEXT))
    company = contact_field("company", forms.TextInput(attrs=TEXT))
    job_title = contact_field("job_title", forms.TextInput(attrs=TEXT))
    phones = contact_field("phones", forms.HiddenInput())
    emails = contact_field("emails", forms.HiddenInput())
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
    social = contact_field("social", forms.HiddenInput())

    ROWS = {"phones": ("phone", "phone_label"), "emails": ("email", "email_label"),
            "social": ("social_handle", "social_network")}
    CUSTOMER_ONLY = ("customer_since", "reorder_every_days")

    def __init__(self, *args, stages: list[Stage], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["stage"]).choices = [(s.slug, s.name) for s in stages]
        self.fields["phones"].initial = self.fields["emails"].initial = self.fields["social"].initial = ""

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {
            "first_name": contact.first_name, "last_name": contact.last_name, "company": contact.company,
            "job_title": contact.job_title,
            "phones": list(zip(contact.phones, contact.phone_labels, strict=True)),
            "emails": list(zip(contact.emails, contact.email_labels, strict=True)),
            "more_addresses": "\n\n".join(a["value"] for a in contact.addresses[1:]),
            "birthday_no_year": is_yearless(contact.birthday),
            "urls": "\n".join(u["value"] for u in contact.urls),
            "stage": contact.stage.slug if contact.stage else "",
            "tags": ", ".join(t.name for t in contact.tags.all()),
            "source": contact.source, "address": contact.address or "", "birthday": contact.birthday,
            "customer_since": contact.customer_since, "reorder_every_days": contact.reorder_every_days,
            "stay_in_touch_days": contact.stay_in_touch_days,
            "social": [(handle, network) for network, handle in (contact.social or {}).items()],
        }

    def rows(self, name: str) -> list[tuple[str, str]]:
        """The rows the page shows for `name`: what was posted, or the contact's with empty rows to fill."""
        value_name, label_name = self.ROWS[name]
        if self.is_bound:
            rows = posted_rows(self.data, value_name, label_name)
            if name == "social":
                with contextlib.suppress(ValidationError):  # shown as the field's error
                    rows += [(handle, network) for network, handle in self._legacy_social()]
            else:
                rows += list(zip(*labelled_lines(str(self.data.get(name) or "")), strict=True))
            return rows or [("", "")]
        initial = self.initial.get(name) or []
        rows = list(initial)
        return rows + [("", "")] * (1 if rows else EMPTY_ROWS if name != "social" else 1)

    def _rows_shown(self, name: str, known: dict, default: str) -> list[dict]:
        return [{"value": value, "label": label or ("" if value else default),
                 "choices": row_choices(known, label or ("" if value else default))}
                for value, label in self.rows(name)]

    def phone_rows(self) -> list[dict]:
        return self._rows_shown("phones", PHONE_LABELS, "mobile")

    def email_rows(self) -> list[dict]:
        return self._rows_shown("emails", EMAIL_LABELS, "home")

    def social_rows(self) -> list[dict]:
        return [{"handle": handle, "network": network or "instagram",
                 "choices": row_choices(NETWORKS, network or "instagram")} for handle, network in self.rows("social")]

    def phone_template(self) -> dict:
        return {"value": "", "label": "mobile", "choices": row_choices(PHONE_LABELS, "mobile")}

    def email_template(self) -> dict:
        return {"value": "", "label": "home", "choices": row_choices(EMAIL_LABELS, "home")}

    def social_template(self) -> dict:
        return {"handle": "", "network": "instagram", "choices": row_choices(NETWORKS, "instagram")}

    def _legacy_social(self) -> list[tuple[str, str]]:
        pairs = []
        for line in lines(str(self.data.get("social") or "")):
            network, sep, handle = line.partition(":")
            if not sep or not network.strip() or not handle.strip():
                raise ValidationError(_("Write each profile as “network: handle”."))
            pairs.append((network.strip()[:20], handle.strip()))
        return pairs

    def _filled(self, name: str) -> tuple[list[str], list[str]]:
        filled = [(value, label) for value, label in self.rows(name) if value]
        return [value for value, _label in filled], [label for _value, label in filled]

    def clean_phones(self) -> tuple[list[str], list[str]]:
        return self._filled("phones")

    def clean_emails(self) -> tuple[list[str], list[str]]:
        return self._filled("emails")

    def clean_social(self) -> dict[str, str]:
        social: dict[str, str] = {}
        value_name, label_name = self.ROWS["social"]
        for handle, network in posted_rows(self.data, value_name, label_name):
            if handle:
                social[(network or "other")[:20]] = handle
        for network, handle in self._legacy_social():
            social[network] = handle
        return social

    def contact_data(self, contact: Contact | None = None) -> ContactData:
        """What the form says; labels of addresses and websites the form doesn't show are kept."""
        data = self.cleaned_data
        phones, phone_labels = data["phones"]
        emails, email_labels = data["emails"]
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
                                widget=forms.HiddenInput())

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


class StageDeleteForm(forms.Form):
    """Where a deleted stage's contacts go: any other stage, needed only when it has contacts."""

    move_to = forms.ChoiceField(label=_("Move its contacts to"), required=False)

    def __init__(self, *args, choices: list[tuple[str, str]], needed: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        move_to = self.fields["move_to"]
        assert isinstance(move_to, forms.ChoiceField)
        move_to.choices = choices
        move_to.required = needed
