"""The import report names contacts and quotes the values that could not be read: seal it under the owner's
key. Existing reports are moved into the sealed column, then the plaintext one is dropped."""

from django.db import migrations

import lte.vault.fields


def seal_reports(apps, schema_editor):
    ImportJob = apps.get_model("crm", "ImportJob")
    for job in ImportJob.objects.using(schema_editor.connection.alias).iterator():
        job.errors = list(job.errors_plain or [])
        job.save(update_fields=["errors"])


class Migration(migrations.Migration):

    dependencies = [
        ("crm", "0004_duplicate_dismissal"),
    ]

    operations = [
        migrations.RenameField("importjob", "errors", "errors_plain"),
        migrations.AddField(
            model_name="importjob",
            name="errors",
            field=lte.vault.fields.EncryptedField(blank=True, codec="json", null=True),
        ),
        migrations.RunPython(seal_reports, migrations.RunPython.noop),
        migrations.RemoveField("importjob", "errors_plain"),
        migrations.AlterField(
            model_name="importjob",
            name="errors",
            field=lte.vault.fields.EncryptedField(blank=True, codec="json", default=list, null=True),
        ),
    ]
