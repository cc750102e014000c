"""Issue 9's database size: one account of 100,000 contacts (no notes), seeded as the other benches seed it
(bench.common.seed_account), against a plain schema holding the same data in the same database.

    .venv/bin/python bench/size_bench.py                  (SQLite; BENCH_CONTACTS=20000 for a quick run)
    BENCH_DATABASE_URL=postgres://… .venv/bin/python bench/size_bench.py

The plain schema is what a CRM without encryption or search indexes keeps for the same contacts: integer keys,
the owner as an integer, names, company, emails and phones in plaintext columns, source, stage, the two times,
and Django's many-to-many table for the tags; indexed for the same look-ups a plain CRM makes (the list in name
order, an email, a phone; a name search there is a LIKE over the table). Sizes are what the database reports
after VACUUM: SQLite's dbstat per table and index, PostgreSQL's pg_table_size / pg_relation_size. The goal
(issue 9): ours ≤ 2× the plain schema's.
"""

# ruff: noqa: S608 - the SQL is built from constant table names; every value is a parameter
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import Plain, command, load_average, machine, seed_account, setup_instance

CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
# Our tables that grow with the contacts (the rest of the file is a few rows: the account, its stages, tags…).
OURS = ["crm_contact", "crm_contacttoken", "crm_contactlookup", "crm_contact_tags"]
PLAIN = ["plain_contact", "plain_contact_tags"]
DJANGO_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how Django writes a datetime into SQLite (UTC)
PLAIN_SCHEMA = [
    """CREATE TABLE plain_contact (id {serial} PRIMARY KEY, owner_id integer NOT NULL, first_name varchar(100)
       NOT NULL, last_name varchar(100) NOT NULL, company varchar(100) NOT NULL, emails text NOT NULL,
       phones text NOT NULL, source varchar(40) NOT NULL, stage_id integer NULL, created_at {time} NOT NULL,
       updated_at {time} NOT NULL)""",
    "CREATE INDEX plain_contact_owner_name ON plain_contact (owner_id, last_name, first_name)",
    "CREATE INDEX plain_contact_owner_email ON plain_contact (owner_id, emails)",
    "CREATE INDEX plain_contact_owner_phone ON plain_contact (owner_id, phones)",
    "CREATE TABLE plain_contact_tags (id {serial} PRIMARY KEY, contact_id integer NOT NULL, tag_id integer NOT NULL)",
    "CREATE UNIQUE INDEX plain_contact_tags_pair ON plain_contact_tags (contact_id, tag_id)",
    "CREATE INDEX plain_contact_tags_tag ON plain_contact_tags (tag_id)",
]


def main() -> None:
    setup_instance()
    print(f"# database size — {machine()}, load average {load_average()}")
    started = time.perf_counter()
    user = seed_account(contacts=CONTACTS, notes_per_contact=0, seed=13)
    print(f"  seeded {CONTACTS:,} contacts (no notes) in {time.perf_counter() - started:.1f} s")
    plain = Plain()
    plain_copy(plain, user)
    sizes = measure(plain)
    print(f"\n`{command('bench/size_bench.py')}` — {CONTACTS:,} contacts, no notes, database {plain.vendor}, "
          f"after VACUUM\n")
    print("| table | rows | table MB | indexes MB | total MB |\n|---|---|---|---|---|")
    for name in OURS + PLAIN:
        rows, table, indexes = sizes[name]
        print(f"| {name} | {rows:,} | {table / 1e6:.1f} | {indexes / 1e6:.1f} | {(table + indexes) / 1e6:.1f} |")
    ours = sum(sum(sizes[n][1:]) for n in OURS)
    floor = sum(sum(sizes[n][1:]) for n in PLAIN)
    print(f"| **size vs plain**: ours {ours / 1e6:.1f} MB, plain {floor / 1e6:.1f} MB | | | | "
          f"**{ours / floor:.1f}×** (goal ≤ 2×) |")
    if "file" in sizes:
        print(f"\nthe whole database file, plain tables included: {sizes['file'][1] / 1e6:.1f} MB")
    print("\nper index (MB):", ", ".join(f"{n} {s / 1e6:.1f}" for n, s in sizes["by index"]))
    print(f"load average after: {load_average()}")


def plain_copy(plain: Plain, user) -> None:
    """The same contacts in the plain schema: names, company, source and times as stored, emails and phones
    opened (the plain schema keeps them readable), stages and tags by small integer ids."""
    from lte.crm.models import Contact
    from lte.vault.context import acting_for

    sqlite = plain.vendor == "sqlite"
    for statement in PLAIN_SCHEMA:
        plain.rows(statement.format(serial="integer" if sqlite else "bigserial",
                                    time="datetime" if sqlite else "timestamptz"))
    stage_ids: dict = {}
    contact_ids: dict = {}
    tag_ids: dict = {}
    rows, links = [], []
    with acting_for(user.pk):
        contacts = Contact.objects.owned_by(user).order_by("pk").only(
            "first_name", "last_name", "company", "reach", "source", "stage_id", "created_at", "updated_at")
        for contact in contacts.iterator(chunk_size=5000):
            pk = contact_ids.setdefault(contact.pk, len(contact_ids) + 1)
            stage = stage_ids.setdefault(contact.stage_id, len(stage_ids) + 1) if contact.stage_id else None
            rows.append((pk, 1, contact.first_name, contact.last_name, contact.company, "\n".join(contact.emails),
                         "\n".join(contact.phones), contact.source, stage, contact.created_at, contact.updated_at))
    through = Contact.tags.through
    for contact_id, tag_id in through.objects.filter(contact__owner=user).values_list("contact_id", "tag_id"):
        links.append((contact_ids[contact_id], tag_ids.setdefault(tag_id, len(tag_ids) + 1)))
    marks = "?" if sqlite else "%s"
    cursor = plain.con.cursor()
    if sqlite:
        cursor.execute("BEGIN")
    cursor.executemany(f"INSERT INTO plain_contact VALUES ({', '.join([marks] * 11)})",
                       [(*r[:9], *(t.strftime(DJANGO_SQLITE_TIME) for t in r[9:])) if sqlite else r for r in rows])
    cursor.executemany(f"INSERT INTO plain_contact_tags (contact_id, tag_id) VALUES ({marks}, {marks})", links)
    if sqlite:
        cursor.execute("COMMIT")
    cursor.close()


def measure(plain: Plain) -> dict:
    """Per table: (rows, bytes of the table, bytes of its indexes), after VACUUM; and each index's bytes."""
    tables = OURS + PLAIN
    sizes: dict = {}
    if plain.vendor == "sqlite":
        plain.rows("VACUUM")
        by_name = dict(plain.rows("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
        owner = dict(plain.rows("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
        for table in tables:
            indexes = [n for n, t in owner.items() if t == table and n != table]
            sizes[table] = (plain.rows(f"SELECT count(*) FROM {table}")[0][0], by_name.get(table, 0),
                            sum(by_name.get(n, 0) for n in indexes))
        sizes["by index"] = sorted(((n, by_name.get(n, 0)) for n, t in owner.items() if t in tables and n != t),
                                   key=lambda x: -x[1])
        page_size, pages = plain.rows("PRAGMA page_size")[0][0], plain.rows("PRAGMA page_count")[0][0]
        sizes["file"] = (0, page_size * pages, 0)
        return sizes
    plain.rows("VACUUM ANALYZE")
    for table in tables:
        sizes[table] = (plain.rows(f"SELECT count(*) FROM {table}")[0][0],
                        plain.rows("SELECT pg_table_size(%s)", table)[0][0],
                        plain.rows("SELECT pg_indexes_size(%s)", table)[0][0])
    sizes["by index"] = sorted(plain.rows(
        "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) FROM pg_index "
        "WHERE indrelid::regclass::text = ANY(%s)", tables), key=lambda x: -x[1])
    return sizes


if __name__ == "__main__":
    main()
