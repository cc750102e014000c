"""The personal-data registry knows every model, so no feature can forget a right."""

from django.apps import apps

from lte.privacy import registry


def test_every_model_is_in_the_personal_data_registry():
    missing = registry.unregistered_models()
    assert missing == [], (
        f"Declare these in lte/privacy/declarations.py (how each is seen, exported, corrected, deleted): {missing}"
    )


def test_every_model_pointing_at_a_user_is_declared_as_holding_personal_data():
    user_model = apps.get_model("accounts.User")
    for model in apps.get_models(include_auto_created=True):
        points_at_user = any(getattr(f, "related_model", None) is user_model and f.many_to_one
                             for f in model._meta.get_fields())
        entry = registry.entry_for(model)
        if points_at_user:
            assert entry.kind not in (registry.NONE, registry.AGGREGATE), model._meta.label
            assert entry.user_field, f"{model._meta.label} needs user_field so rights can find its rows"


def test_owned_and_account_records_with_contents_are_exported():
    for model, entry in registry.entries([registry.OWNED]):
        assert entry.export_file, f"{model._meta.label} holds the user's own records: export it"
        assert entry.columns
    contract = {"contacts.csv", "notes.csv", "messages.csv", "followups.csv", "account.csv"}
    assert contract <= {e.export_file for _m, e in registry.entries() if e.export_file}


def test_every_exported_user_field_can_be_corrected_or_deleted():
    for model, entry in registry.entries([registry.OWNED, registry.ACCOUNT]):
        if entry.export_file:
            assert entry.correct or "delete" in entry.delete, model._meta.label
