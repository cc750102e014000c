from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "lte.crm"
    label = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from lte.crm import signals  # noqa: F401  (connects the signup receiver)
