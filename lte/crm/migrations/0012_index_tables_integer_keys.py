"""The search tokens and blind-index lookups get integer keys, lookups a one-character kind (issue 9, parts 3-4).

A UUID key can't become an integer in place (PostgreSQL has no cast, SQLite's rebuild would copy the UUIDs into
it), so each table is made anew beside the old one, its rows copied across in SQL, the old one dropped and the
new one renamed to the old name; the indexes come last, once the rows are in (one sort instead of a row at a
time). Copied, not re-derived: rebuilding a lookup needs its owner's vault key, and a copy needs nothing. The
same statements on SQLite and PostgreSQL; a row of an unknown kind stops the migration (NOT NULL) rather than
being dropped. Backwards, the old tables come back with a fresh UUID for each row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

KINDS = [("email", "e"), ("phone", "p"), ("phonen", "n"), ("tail4", "t")]  # the old kind, its one-character code


def _case(column: str, pairs) -> str:
    return "CASE " + " ".join(f"WHEN {column} = '{old}' THEN '{new}'" for old, new in pairs) + " END"


COPY_FORWARD = [
    "INSERT INTO crm_newcontacttoken (owner_id, contact_id, token) "
    "SELECT owner_id, contact_id, token FROM crm_oldcontacttoken",
    "INSERT INTO crm_newcontactlookup (owner_id, contact_id, kind, digest) "
    f"SELECT owner_id, contact_id, {_case('kind', KINDS)}, digest FROM crm_oldcontactlookup",
]


def copy_forward(apps, schema_editor):
    for sql in COPY_FORWARD:
        schema_editor.execute(sql)


def copy_backward(apps, schema_editor):
    """Into the old tables, which the reversed operations have made again (still named crm_old…)."""
    new_id = "gen_random_uuid()" if schema_editor.connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    back = [(new, old) for old, new in KINDS]
    schema_editor.execute(f"INSERT INTO crm_oldcontacttoken (id, owner_id, contact_id, token) "  # noqa: S608
                          f"SELECT {new_id}, owner_id, contact_id, token FROM crm_newcontacttoken")
    schema_editor.execute(f"INSERT INTO crm_oldcontactlookup (id, owner_id, contact_id, kind, digest) "  # noqa: S608
                          f"SELECT {new_id}, owner_id, contact_id, {_case('kind', back)}, digest "
                          f"FROM crm_newcontactlookup")


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0011_search_indexes_and_no_redundant_contact_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The old tables' indexes go first: their names are the new tables' (index names are per database).
        migrations.RemoveIndex(model_name='contacttoken', name='crm_token_owner_token_contact'),
        migrations.RemoveIndex(model_name='contacttoken', name='crm_token_contact_token'),
        migrations.RemoveIndex(model_name='contactlookup', name='crm_lookup_owner_digest'),
        migrations.CreateModel(
            name='NewContactToken',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('token', models.CharField(max_length=100)),
                ('contact', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name='+', to='crm.contact')),
                ('owner', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='NewContactLookup',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('kind', models.CharField(max_length=1)),
                ('digest', models.CharField(max_length=32)),
                ('contact', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                              related_name='+', to='crm.contact')),
                ('owner', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        # Both ways, the copy runs with the old rows in crm_old… and the new ones in crm_new….
        migrations.RenameModel('ContactToken', 'OldContactToken'),
        migrations.RenameModel('ContactLookup', 'OldContactLookup'),
        migrations.RunPython(copy_forward, copy_backward),
        migrations.DeleteModel(name='OldContactToken'),
        migrations.DeleteModel(name='OldContactLookup'),
        migrations.RenameModel('NewContactToken', 'ContactToken'),
        migrations.RenameModel('NewContactLookup', 'ContactLookup'),
        migrations.AlterField(
            model_name='contacttoken',
            name='contact',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='tokens', to='crm.contact'),
        ),
        migrations.AlterField(
            model_name='contactlookup',
            name='contact',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name='lookups', to='crm.contact'),
        ),
        migrations.AddIndex(
            model_name='contacttoken',
            index=models.Index(fields=['owner', 'token', 'contact'], name='crm_token_owner_token_contact'),
        ),
        migrations.AddIndex(
            model_name='contacttoken',
            index=models.Index(fields=['contact', 'token'], name='crm_token_contact_token'),
        ),
        migrations.AddIndex(
            model_name='contactlookup',
            index=models.Index(fields=['owner', 'kind', 'digest'], name='crm_lookup_owner_digest'),
        ),
        migrations.AddIndex(
            model_name='contactlookup',
            index=models.Index(fields=['contact'], name='crm_lookup_contact'),
        ),
    ]
