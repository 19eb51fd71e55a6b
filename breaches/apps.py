from django.apps import AppConfig


class BreachesConfig(AppConfig):
    name = "breaches"

    def ready(self):
        from .deadlines import register_clock

        register_clock()
