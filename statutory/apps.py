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

    def ready(self):
        # Emergency requests and the review of emergency disclosures run on the shared
        # deadline mechanism (deadlines/).
        from .deadlines import register_clocks

        register_clocks()

        # One person, one record (clients.merge): a request and its documents follow to the
        # surviving record. A merge is refused while a request's legal hold is on.
        from clients.merge import Policy, on_merge

        for model in ("statutory.StatutoryRequest", "statutory.StatutoryDocument"):
            on_merge(model, policy=Policy.MOVE)
