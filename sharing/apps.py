from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Sharing"

    def ready(self):
        # When a consent is withdrawn, every disclosure that relied on it gets a
        # "tell the recipient to stop using it" task, in the withdrawal's transaction.
        from consent.services import on_sharing_stopped, on_withdrawal

        from .services import recipient_notices_create, transmissions_cancel, transmissions_cancel_on_withdrawal

        on_withdrawal(recipient_notices_create)
        # Pending transmissions that relied on it are cancelled, in the same transaction.
        on_withdrawal(transmissions_cancel_on_withdrawal)
        # So does ending a lawful basis (an objection) or restricting sharing about the client.
        on_sharing_stopped(transmissions_cancel)

        # Agreements nearing their end date run on the shared deadline mechanism.
        from .deadlines import register_chores, register_clocks

        register_clocks()
        # Transmissions whose task was lost are sent again by the sweep (re-checked first).
        register_chores()

        # One person, one record (clients.merge): work in progress follows to the
        # surviving record; the disclosure log is append-only (the database refuses
        # UPDATE), so disclosures stay on the merged record and pages read through it.
        from clients.merge import Policy, on_merge

        for model in ("sharing.Referral", "sharing.RecipientNotice", "sharing.Transmission"):
            on_merge(model, policy=Policy.MOVE)
        on_merge("sharing.Disclosure", policy=Policy.STAY)
