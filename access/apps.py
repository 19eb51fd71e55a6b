from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"

    def ready(self):
        # The audit log is append-only (the database refuses UPDATE): a merged record's
        # rows stay under its own id, and the survivor's log reads through the merge.
        from clients.merge import Policy, on_merge

        on_merge("access.AccessEvent", policy=Policy.STAY)
