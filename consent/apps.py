from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "consent"

    def ready(self):
        # Reviews, expiries and basis end dates run on the shared deadline mechanism.
        from .deadlines import register_clocks

        register_clocks()

        # One person, one record: a merge moves every basis and its evidence to the
        # surviving record (clients.merge).
        from clients.merge import Policy, on_merge

        for model in ("consent.ConsentRecord", "consent.LawfulBasisRecord", "consent.ConsentEvidence"):
            on_merge(model, policy=Policy.MOVE)
