"""Tests of data migrations on a database holding rows: the schema taken back to a migration, then forward."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# The last migration with the index tables' UUID keys and kinds' long names: older data migrations run there.
BEFORE_INTEGER_KEYS = "0011_search_indexes_and_no_redundant_contact_indexes"


@contextlib.contextmanager
def migrated_back(app: str, name: str) -> Iterator[None]:
    """The database at `app`'s migration `name` inside the block (every later one of that app unapplied, rows
    kept as its reverse operations keep them), and migrated forward to the latest again after it. Needs a
    transactional test (`django_db(transaction=True)`): SQLite can't change a schema inside a transaction."""
    MigrationExecutor(connection).migrate([(app, name)])
    try:
        yield
    finally:
        executor = MigrationExecutor(connection)  # a fresh graph: the applied set changed
        executor.migrate(executor.loader.graph.leaf_nodes())
