from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from . import roles, signals  # noqa: F401  (connects the auth receivers)

        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="accounts.sync_role_permissions")
