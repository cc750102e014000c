"""Routes the vault's key-store models to the `keystore` database and everything else away from it."""

KEYSTORE_APP = "vault"


class KeystoreRouter:
    def db_for_read(self, model, **hints):
        return "keystore" if model._meta.app_label == KEYSTORE_APP else "default"

    def db_for_write(self, model, **hints):
        return "keystore" if model._meta.app_label == KEYSTORE_APP else "default"

    def allow_relation(self, obj1, obj2, **hints):
        return (obj1._meta.app_label == KEYSTORE_APP) == (obj2._meta.app_label == KEYSTORE_APP)

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label == KEYSTORE_APP:
            return db == "keystore"
        return db == "default"
