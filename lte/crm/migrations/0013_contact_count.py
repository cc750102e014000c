"""Each account's number of contacts, kept by the database (issue 9: an unfiltered list's exact count at 100,000
contacts was the whole of its first page's time). Triggers count every row inserted into or deleted from
crm_contact, in the statement's own transaction: on SQLite one per row, on PostgreSQL one per statement over its
transition table (a bulk insert or a cascade of 100,000 rows is one UPDATE). The counts of the rows already there
are filled in here. pg_restore creates triggers after it has loaded the rows, so a restored database keeps the
counts it was backed up with instead of counting its rows twice.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER crm_contact_counted_in AFTER INSERT ON crm_contact BEGIN
         INSERT INTO crm_contactcount (owner_id, contacts) VALUES (NEW.owner_id, 1)
         ON CONFLICT (owner_id) DO UPDATE SET contacts = contacts + 1;
       END""",
    """CREATE TRIGGER crm_contact_counted_out AFTER DELETE ON crm_contact BEGIN
         UPDATE crm_contactcount SET contacts = contacts - 1 WHERE owner_id = OLD.owner_id;
       END""",
]
SQLITE_UNDO = ["DROP TRIGGER IF EXISTS crm_contact_counted_in", "DROP TRIGGER IF EXISTS crm_contact_counted_out"]

POSTGRESQL = [
    """CREATE FUNCTION crm_contact_counted_in() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO crm_contactcount (owner_id, contacts)
           SELECT owner_id, count(*) FROM counted_rows GROUP BY owner_id
         ON CONFLICT (owner_id) DO UPDATE SET contacts = crm_contactcount.contacts + EXCLUDED.contacts;
         RETURN NULL;
       END $$""",
    """CREATE FUNCTION crm_contact_counted_out() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         UPDATE crm_contactcount AS c SET contacts = c.contacts - gone.n
           FROM (SELECT owner_id, count(*) AS n FROM counted_rows GROUP BY owner_id) AS gone
          WHERE c.owner_id = gone.owner_id;
         RETURN NULL;
       END $$""",
    """CREATE TRIGGER crm_contact_counted_in AFTER INSERT ON crm_contact
       REFERENCING NEW TABLE AS counted_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_counted_in()""",
    """CREATE TRIGGER crm_contact_counted_out AFTER DELETE ON crm_contact
       REFERENCING OLD TABLE AS counted_rows FOR EACH STATEMENT EXECUTE FUNCTION crm_contact_counted_out()""",
]
POSTGRESQL_UNDO = [
    "DROP TRIGGER IF EXISTS crm_contact_counted_in ON crm_contact",
    "DROP TRIGGER IF EXISTS crm_contact_counted_out ON crm_contact",
    "DROP FUNCTION IF EXISTS crm_contact_counted_in()",
    "DROP FUNCTION IF EXISTS crm_contact_counted_out()",
]
FILL = ("INSERT INTO crm_contactcount (owner_id, contacts) "
        "SELECT owner_id, count(*) FROM crm_contact GROUP BY owner_id")


def count_forward(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    for sql in [FILL, *(POSTGRESQL if postgresql else SQLITE)]:
        schema_editor.execute(sql)


def count_backward(apps, schema_editor):
    for sql in POSTGRESQL_UNDO if schema_editor.connection.vendor == "postgresql" else SQLITE_UNDO:
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0005_user_onboarded_at"),
        ("crm", "0012_index_tables_integer_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="ContactCount",
            fields=[
                ("owner", models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True,
                                               related_name="+", serialize=False, to=settings.AUTH_USER_MODEL)),
                ("contacts", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(count_forward, count_backward),
    ]
