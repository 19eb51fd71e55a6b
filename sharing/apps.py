from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Sharing"

    def ready(self):
        # When a consent is withdrawn, every disclosure that relied on it gets a
        # "tell the recipient to stop using it" task, in the withdrawal's transaction.
        from consent.services import on_withdrawal

        from .services import recipient_notices_create

        on_withdrawal(recipient_notices_create)

        # Agreements nearing their end date run on the shared deadline mechanism.
        from .deadlines import register_clocks

        register_clocks()
