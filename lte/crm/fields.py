"""The contact's fields, declared once: what each holds, where it is kept, its limits, and what it is called on the
contact form, in the import's report and in contacts.csv. The API names each field by its own name.

The order is the contact's own: contacts.csv's columns and the API's keys come in this order. Derived from it:
- contacts.csv's columns (lte.privacy.declarations) and the reading of our own export back (imports.layouts);
- the import report's word for each field (imports.rows.FIELD_WORDS);
- what a merge and a re-import fill in when the kept contact has none (FILLED_IN);
- which fields live in the sealed `details` (IN_DETAILS: _apply opens them only when one of these changes);
- the contact form's labels, kinds and limits (forms.contact_field).
ContactData, the API's schemas, the form's order, the model and the import's raw fields are written out where
they are read, and lte/crm/tests/test_fields.py holds each of them to this declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lte.crm.models import NAME_MAX
from lte.crm.services.normalise import (
    MAX_ADDRESS,
    MAX_ADDRESSES,
    MAX_EMAILS,
    MAX_PHONES,
    MAX_REORDER_DAYS,
    MAX_TOUCH_DAYS,
    MAX_URL,
    MAX_URLS,
    SOURCE_MAX,
)
from lte.crm.services.tags import MAX_TAGS, TAG_MAX

# What a field holds.
ID = "id"
TEXT = "text"
TEXTS = "texts"  # a list of texts
PAIRS = "pairs"  # a list of {label, value}
DATE = "date"
NUMBER = "number"
MAP = "map"  # network -> handle
CHOICE = "choice"  # one of the owner's stages, by slug
MOMENT = "moment"  # a date and time, set by LTE

# Where it is kept.
PLAIN = "plain"  # a column of its own in plaintext, so lists sort and search on it in SQL
SEALED = "sealed"  # an EncryptedField of its own
REACH = "reach"  # sealed with the other emails and phones in `reach` (one decryption per contact on a list)
DETAILS = "details"  # sealed in `details` with the rest of the card
RELATED = "related"  # another table (the stage, the tags)


@dataclass(frozen=True)
class ContactField:
    name: str  # on Contact, on ContactData and in the API
    kind: str
    kept: str
    max_length: int | None = None  # of the text, or of each text of a list
    most: int | None = None  # items in a list
    least: int | None = None  # a number's bounds
    greatest: int | None = None
    label: str | Promise = ""  # on the contact form ("": the form shows it as part of another field)
    words: str | Promise = ""  # in the import's report: "phone “12” could not be read" (in the owner's language)
    column: str = ""  # in contacts.csv
    labels: str = ""  # the contacts.csv column of its values' labels, one per value in their order
    given: bool = True  # set through ContactData (forms, API, import); False: LTE sets it
    filled_in: bool = False  # a merge or a re-import fills it in when the kept contact has none

    @property
    def report_words(self) -> str | Promise:
        return self.words or self.name.replace("_", " ")


FIELDS: tuple[ContactField, ...] = (
    ContactField("id", ID, PLAIN, column="id", given=False),
    ContactField("first_name", TEXT, PLAIN, NAME_MAX, label=_("First name"), words=_("first name"),
                 column="first_name", filled_in=True),
    ContactField("last_name", TEXT, PLAIN, NAME_MAX, label=_("Last name"), words=_("last name"),
                 column="last_name", filled_in=True),
    ContactField("company", TEXT, PLAIN, NAME_MAX, label=_("Company"), words=_("company"),
                 column="company", filled_in=True),
    ContactField("job_title", TEXT, DETAILS, NAME_MAX, label=_("Job title"), words=_("job title"),
                 column="job_title", filled_in=True),
    ContactField("emails", TEXTS, REACH, most=MAX_EMAILS, label=_("Email addresses"), words=_("email"),
                 column="emails", labels="email_labels"),
    ContactField("email_labels", TEXTS, DETAILS, most=MAX_EMAILS, words=_("email label")),
    ContactField("phones", TEXTS, REACH, most=MAX_PHONES, label=_("Phone numbers"), words=_("phone"),
                 column="phones", labels="phone_labels"),
    ContactField("phone_labels", TEXTS, DETAILS, most=MAX_PHONES, words=_("phone label")),
    ContactField("address", TEXT, SEALED, MAX_ADDRESS, label=_("Address"), words=_("address"), column="address",
                 labels="address_label"),  # the first of `addresses`
    ContactField("addresses", PAIRS, DETAILS, MAX_ADDRESS, MAX_ADDRESSES, label=_("Other addresses"),
                 words=_("address"), column="other_addresses"),  # (contacts.csv: those beyond the first, as JSON)
    ContactField("urls", PAIRS, DETAILS, MAX_URL, MAX_URLS, label=_("Websites"), words=_("website"), column="urls",
                 labels="url_labels"),
    ContactField("birthday", DATE, SEALED, label=_("Birthday"), words=_("birthday"), column="birthday", filled_in=True),
    ContactField("source", TEXT, PLAIN, SOURCE_MAX, label=_("Source"), words=_("source"),
                 column="source", filled_in=True),
    ContactField("stage", CHOICE, RELATED, 40, label=_("Stage"), words=_("stage"), column="stage"),
    ContactField("tags", TEXTS, RELATED, TAG_MAX, MAX_TAGS, label=_("Tags"), words=_("tag"), column="tags"),
    ContactField("customer_since", DATE, PLAIN, label=_("Customer since"), words=_("customer since"),
                 column="customer_since",
                 filled_in=True),
    ContactField("reorder_every_days", NUMBER, PLAIN, least=1, greatest=MAX_REORDER_DAYS,
                 label=_("Reorder every (days)"), words=_("reorder every (days)"), column="reorder_every_days",
                 filled_in=True),
    ContactField("stay_in_touch_days", NUMBER, PLAIN, least=1, greatest=MAX_TOUCH_DAYS,
                 label=_("Stay in touch every (days)"), words=_("stay in touch every (days)"),
                 column="stay_in_touch_days", filled_in=True),
    ContactField("social", MAP, SEALED, label=_("Social profiles"), words=_("social profile"), column="social",
                 filled_in=True),
    ContactField("last_contacted_at", MOMENT, PLAIN, column="last_contacted_at", given=False),
    ContactField("created_at", MOMENT, PLAIN, column="created_at", given=False),
    ContactField("updated_at", MOMENT, PLAIN, column="updated_at", given=False),
)

FIELD = {f.name: f for f in FIELDS}
GIVEN = tuple(f.name for f in FIELDS if f.given)  # ContactData's fields and the API's ContactIn, in this order
FILLED_IN = tuple(f.name for f in FIELDS if f.filled_in)
IN_DETAILS = tuple(f.name for f in FIELDS if f.kept == DETAILS)
OPENS_DETAILS = tuple(f.name for f in FIELDS if f.kept in (DETAILS, REACH))  # (the labels of the reach are there)
# contacts.csv's header: each field's column, then the column of its labels.
EXPORT_COLUMNS = tuple(c for f in FIELDS for c in (f.column, f.labels) if c)
