from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self):
        # Reviews, expiries and basis end dates run on the shared deadline mechanism.
        from .deadlines import register_clocks

        register_clocks()
