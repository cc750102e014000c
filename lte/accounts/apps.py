from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(sender, using: str, **kwargs) -> None:
    """The database cache's table (the rate limits without Redis), after every migrate: `lte run`, `lte migrate`,
    the test databases. A no-op for other caches and databases, and when the table exists."""
    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "lte.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from lte.accounts import signals  # noqa: F401

        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="lte-create-cache-table")
