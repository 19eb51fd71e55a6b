from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "breaches"

    def ready(self):
        from .deadlines import register_clock

        register_clock()

        # The register names the records a breach affected as they were; a merged one
        # redirects to the survivor (clients.merge).
        from clients.merge import Policy, on_merge

        on_merge("breaches.BreachReport_affected_clients", policy=Policy.STAY)
        on_merge("breaches.HistoricalBreachReport_affected_clients", policy=Policy.STAY)
