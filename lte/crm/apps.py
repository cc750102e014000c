from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "lte.crm"
    label = "crm"
    verbose_name = "CRM"
