from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffAdminConfig(admin_apps.AdminConfig):
    """The Django admin, on a site that only allauth's sign-in opens (lte.privacy.staff_signin)."""

    default = False  # named in INSTALLED_APPS; this module's default is PrivacyConfig
    default_site = "lte.privacy.staff_signin.StaffAdminSite"


class PrivacyConfig(AppConfig):
    name = "lte.privacy"
    label = "privacy"
    verbose_name = "Privacy and your rights"

    def ready(self) -> None:
        # Imported once the models are loaded: the login signal, the vault's staff hook, the restore's account
        # remover and the jobs (documents, retention and deletion declare them; this app has no tasks.py).
        from lte.privacy import deletion, documents, retention, signals, staff  # noqa: F401
        from lte.privacy.declarations import declare

        declare()
