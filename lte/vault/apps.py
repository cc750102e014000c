from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "lte.vault"
    label = "vault"
    verbose_name = "Vault (key store)"

    def ready(self) -> None:
        from lte.vault import checks  # noqa: F401
