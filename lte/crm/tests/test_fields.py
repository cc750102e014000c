"""The contact's fields are declared once (lte.crm.fields); what is written out by hand elsewhere for readability —
ContactData, the API's schemas, the form, the model, the import's raw fields — is held to that declaration here."""

from __future__ import annotations

import annotated_types
import pytest
from django.db import models

from lte.crm import fields
from lte.crm.api import ContactIn, ContactOut, LabelledIn
from lte.crm.fields import FIELD, FIELDS, FILLED_IN, GIVEN
from lte.crm.forms import ContactForm
from lte.crm.imports import layouts, readers
from lte.crm.imports.writer import _Snapshot
from lte.crm.models import Contact
from lte.crm.services.contacts import ContactData
from lte.privacy import declarations, registry
from lte.vault.fields import EncryptedField

# contacts.csv's header is part of the contract (CONTRACT.md: export → import gives back the same data):
# written out once more here, so that a change to the declaration that moves a column is seen.
CONTACTS_CSV = ["id", "first_name", "last_name", "company", "job_title", "emails", "email_labels", "phones",
                "phone_labels", "address", "address_label", "other_addresses", "urls", "url_labels", "birthday",
                "source", "stage", "tags", "customer_since", "reorder_every_days", "stay_in_touch_days", "social",
                "last_contacted_at", "created_at", "updated_at"]
FORM_NAMES = {"addresses": "more_addresses"}  # the form's address field is the first one; these are the others
FORM_ONLY = {"birthday_no_year"}


def _limits(field) -> dict[str, object]:
    found: dict[str, object] = {}
    for item in field.metadata:
        if isinstance(item, annotated_types.MaxLen):
            found["max_length"] = item.max_length
        elif isinstance(item, annotated_types.Ge):
            found["ge"] = item.ge
        elif isinstance(item, annotated_types.Le):
            found["le"] = item.le
    return found


def test_contact_data_has_the_given_fields_in_order():
    assert list(ContactData.__dataclass_fields__) == list(GIVEN)


def test_the_api_shows_every_field_and_takes_the_given_ones_in_order():
    assert list(ContactOut.model_fields) == [f.name for f in FIELDS]
    assert list(ContactIn.model_fields) == list(GIVEN)


@pytest.mark.parametrize("name", GIVEN)
def test_the_api_takes_a_field_within_its_declared_limits(name):
    declared, limits = FIELD[name], _limits(ContactIn.model_fields[name])
    if declared.kind in (fields.TEXT, fields.CHOICE):
        assert limits == {"max_length": declared.max_length}
    elif declared.kind in (fields.TEXTS, fields.PAIRS):
        assert limits == {"max_length": declared.most}
    elif declared.kind == fields.NUMBER:
        assert limits == {"ge": declared.least, "le": declared.greatest}
    if declared.kind == fields.PAIRS:
        assert _limits(LabelledIn.model_fields["value"]) == {"max_length": declared.max_length}


def test_the_form_has_every_labelled_field_under_its_label():
    form = ContactForm(stages=[])
    labelled = {FORM_NAMES.get(f.name, f.name): f.label for f in FIELDS if f.label}
    assert set(form.fields) - FORM_ONLY == set(labelled)
    assert {name: form.fields[name].label for name in labelled} == labelled
    assert all(f.given for f in FIELDS if f.label)


@pytest.mark.parametrize("declared", FIELDS, ids=lambda f: f.name)
def test_the_model_keeps_each_field_where_declared(declared):
    if declared.kept in (fields.DETAILS, fields.REACH):  # read out of the sealed `details` or `reach`
        assert isinstance(getattr(Contact, declared.name), property)
        return
    field = Contact._meta.get_field(declared.name)
    if declared.kept == fields.SEALED:
        assert isinstance(field, EncryptedField)
    elif declared.kept == fields.RELATED:
        assert field.is_relation
    else:
        assert not isinstance(field, EncryptedField) and not field.is_relation
        if declared.kind == fields.TEXT:
            assert isinstance(field, models.CharField) and field.max_length == declared.max_length


def test_contacts_csv_has_the_declared_columns():
    assert list(fields.EXPORT_COLUMNS) == CONTACTS_CSV
    entry = dict(registry.entries())[Contact]
    assert [name for name, _ in entry.columns] == CONTACTS_CSV
    assert set(declarations._CONTACT_CELLS) == set(CONTACTS_CSV)  # no cell written for a column that went


def test_the_import_reads_every_column_of_our_export_back():
    assert layouts.detect_layout(CONTACTS_CSV) == "lte"
    spec = layouts.spec_for("lte", CONTACTS_CSV)
    read = {e["col"] for e in spec} | {e["label_col"] for e in spec if e.get("label_col") is not None}
    assert read == set(range(len(CONTACTS_CSV)))
    assert {e["field"] for e in spec} - {"aligned_labels", "addresses_json"} <= set(FIELD)


def test_the_import_raw_fields_are_declared_ones():
    raw = readers.empty_fields()
    assert set(raw) - {"notes", "extra"} <= set(FIELD)
    single = (fields.ID, fields.TEXT, fields.DATE, fields.NUMBER, fields.CHOICE, fields.MOMENT)
    read_as_text = {f.name for f in FIELDS if f.column and f.kind in single and f.name != "address"}
    assert set(layouts.TEXT_FIELDS) - {"middle_name", "name"} == read_as_text  # (those two make the first name)


def test_a_re_import_compares_every_filled_in_field():
    assert set(FILLED_IN) <= set(_Snapshot.__dataclass_fields__)
    assert all(FIELD[name].given for name in FILLED_IN)
