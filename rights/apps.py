from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "Clients' rights"

    def ready(self):
        # One person, one record (clients.merge): their rights requests and packs follow to
        # the surviving record.
        from clients.merge import Policy, on_merge

        from .deadlines import register_clock

        register_clock()

        for model in ("rights.SubjectAccessRequest", "rights.SarPack", "rights.ErasureRequest"):
            on_merge(model, policy=Policy.MOVE)
        # Rectification requests and correction notices follow too; the clock runs on the deadline mechanism.
        for model in ("rights.RectificationRequest", "rights.RectificationNotice"):
            on_merge(model, policy=Policy.MOVE)
        from .rectification import register_clock as register_rectification_clock

        register_rectification_clock()
        # A retention batch records what it did to the record it listed: that stays as it was.
        on_merge("rights.RetentionBatchItem", policy=Policy.STAY)
