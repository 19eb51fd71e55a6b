from django.apps import AppConfig


class StatutoryConfig(AppConfig):
    name = "statutory"
    verbose_name = "Police and statutory requests"
    # Read by accounts.roles.sync_role_permissions (keys are accounts.models.Role values),
    # so accounts never imports this app.
    role_permissions = {
        "service_manager": ("statutory.view_statutoryrequest", "statutory.change_statutoryrequest"),
        "iso": ("statutory.view_statutoryrequest", "statutory.change_statutoryrequest"),
    }
