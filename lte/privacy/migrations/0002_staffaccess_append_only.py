"""Database triggers that refuse UPDATE and DELETE on the staff access log (it is append-only)."""

from django.db import migrations


def install(apps, schema_editor):
    from lte.privacy.staff import POSTGRES_TRIGGERS, SQLITE_TRIGGERS

    statements = {"sqlite": SQLITE_TRIGGERS, "postgresql": POSTGRES_TRIGGERS}.get(schema_editor.connection.vendor, [])
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
