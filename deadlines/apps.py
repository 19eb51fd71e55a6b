from django.apps import AppConfig


class DeadlinesConfig(AppConfig):
    name = "deadlines"
    verbose_name = "Deadlines and reminders"

    def ready(self):
        # accounts sits below this app and cannot import the outbox: hand it over.
        from accounts.notices import use_outbox

        from .services import outbox_queue

        use_outbox(outbox_queue)
