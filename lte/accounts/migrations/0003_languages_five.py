"""LTE speaks five languages (CONTRACT.md v1.1): Portuguese is Brazilian Portuguese ('pt-BR'), and the accounts
that had chosen Italian or Dutch, which are no longer offered, read English until they choose again."""

from django.db import migrations

MOVES = {"pt": "pt-BR", "pt-br": "pt-BR", "it": "en", "nl": "en"}


def forwards(apps, schema_editor) -> None:
    User = apps.get_model("accounts", "User")
    for old, new in MOVES.items():
        User.objects.filter(language=old).update(language=new)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_daily_digest")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
